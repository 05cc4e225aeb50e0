/* script_volume.h - logmash.throttle, .sample and .dedupe (volume.h), each
 * script with its own keys: the host says whose they are. */
#ifndef LOGMASH_SCRIPT_VOLUME_H
#define LOGMASH_SCRIPT_VOLUME_H

#include <lua.h>

#include "sandbox.h"

/* Sets the three in the table at index t. */
void script_volume_open(lua_State *L, int t, const struct sandbox_host *host);

#endif

/* luamem.h - a Lua allocator that holds a state within a byte limit:
 * growth past it is refused, and Lua raises a memory error in the code
 * that asked (a script call, the config file), not in logmash. */
#ifndef LOGMASH_LUAMEM_H
#define LOGMASH_LUAMEM_H

#include <stddef.h>

struct luamem {
	size_t used, limit;
};

/* A lua_Alloc; ud is a struct luamem. */
void *luamem_alloc(void *ud, void *ptr, size_t osize, size_t nsize);

#endif

/* validate.h - `logmash check` given a configuration (-c FILE, or
 * --connect, with the options of a run): each setting, script, input, the
 * state directory and the token checked without sending a log; with
 * --connect the API reached too. Exit 0 all well, 1 warnings, 2 errors. */
#ifndef LOGMASH_VALIDATE_H
#define LOGMASH_VALIDATE_H

/* Whether the arguments of `logmash check` ask for this rather than a
 * script trial: they name a config file or --connect. */
int validate_wanted(int argc, char **argv);

int validate_main(int argc, char **argv);

#endif

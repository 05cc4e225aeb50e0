/* attach.h - the subcommands that attach to a running logmash: top,
 * status and tap (over its control socket, control.h). */
#ifndef LOGMASH_ATTACH_H
#define LOGMASH_ATTACH_H

/* Whether arg names one of them. */
int attach_command(const char *arg);

/* Runs `logmash WHAT ...` (argv[0] is WHAT); returns the exit code. */
int attach_main(int argc, char **argv);

#endif

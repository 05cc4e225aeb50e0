/* check.h - `logmash check SCRIPT... [< sample]`: loads a script chain,
 * runs it over a sample and reports, log by log and script by script. */
#ifndef LOGMASH_CHECK_H
#define LOGMASH_CHECK_H

/* argv[0] is "check". Returns the exit status: 0 when the chain loaded and
 * no script failed on the sample, 1 when one failed on a log, 2 when a
 * script did not load (or the arguments are wrong). */
int check_main(int argc, char **argv);

#endif

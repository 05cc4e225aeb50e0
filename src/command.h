/* command.h - what an operator may ask of the event loop, from the
 * dashboard's keys or from a client of the control socket. */
#ifndef LOGMASH_COMMAND_H
#define LOGMASH_COMMAND_H

/* One byte each: the dashboard writes them down a pipe. */
enum command {
	CMD_STOP = 'q',         /* stop reading, send what was read, exit */
	CMD_TOGGLE_PAUSE = 'p', /* the dashboard's p */
	CMD_PAUSE = 'P',
	CMD_RESUME = 'U',
	CMD_RELOAD = 'r',       /* as SIGHUP: scripts, token, a wrong URL tried again */
	CMD_RETRY_NOW = 'n',    /* end a backoff now: retry what waits */
	CMD_HANGUP = 'H',       /* the dashboard's terminal is gone */
	CMD_DETACH = 'd',       /* `logmash top`'s q: leave, logmash runs on */
};

#endif

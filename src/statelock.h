/* statelock.h - one logmash a state directory, and one a replayed file.
 *
 * Two processes on one state directory would both rewrite the checkpoints
 * and share the spool, so logs would arrive twice. The first to start
 * holds an advisory lock (flock) on STATE_DIR/lock, which the kernel drops
 * with the process however it ends, SIGKILL included: there is never a
 * stale lock to clear by hand. The file holds the holder's PID, for the
 * message the second one prints (when the disk had room to write it). */
#ifndef LOGMASH_STATELOCK_H
#define LOGMASH_STATELOCK_H

#include <stddef.h>

/* Takes the lock of dir (which must exist). Returns the descriptor that
 * holds it, to keep open until exit; or -1 with the reason in why (another
 * logmash holds it, naming its PID, or the file cannot be used), having
 * changed nothing in dir. */
int statelock_take(const char *dir, char *why, size_t n);

/* Two replays of one dead-letter file would both send it: the lock of a
 * replayed file is a flock on the file itself (it is only read). Returns the
 * descriptor, or -1 with the reason in why. */
int statelock_replay(const char *file, char *why, size_t n);

#endif

/* statelock.c - one logmash a state directory (see the header). */
#include "statelock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "buf.h"

/* The PID the holder wrote, or 0 when it cannot be read. */
static long holder(int fd)
{
	char text[32];
	ssize_t n = pread(fd, text, sizeof text - 1, 0);
	if (n <= 0)
		return 0;
	text[n] = '\0';
	return strtol(text, NULL, 10);
}

/* Writes our PID into the lock file. It is for the message only: on a full
 * disk the file stays empty ("another logmash") and the lock holds all the
 * same. */
static void name_holder(int fd)
{
	char pid[32];
	int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) == len)
		return;
	if (ftruncate(fd, 0) != 0) /* half a PID could name another process */
		return;
}

int statelock_take(const char *dir, char *why, size_t n)
{
	struct buf path = {0};
	buf_printf(&path, "%s/lock", dir);
	int fd = open(buf_cstr(&path), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		snprintf(why, n, "cannot open %s: %s", buf_cstr(&path), strerror(errno));
		buf_free(&path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int err = errno;
		if (err == EWOULDBLOCK) {
			long pid = holder(fd);
			if (pid > 0)
				snprintf(why, n, "state dir %s is in use by logmash PID %ld: stop it, or "
					 "give this one another --state-dir", dir, pid);
			else
				snprintf(why, n, "state dir %s is in use by another logmash: stop it, or "
					 "give this one another --state-dir", dir);
		} else {
			snprintf(why, n, "cannot lock %s: %s", buf_cstr(&path), strerror(err));
		}
		close(fd);
		buf_free(&path);
		return -1;
	}
	buf_free(&path);
	name_holder(fd);
	return fd;
}

int statelock_replay(const char *file, char *why, size_t n)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, n, "--replay %s: %s", file, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int err = errno;
		if (err == EWOULDBLOCK)
			snprintf(why, n, "--replay %s: another logmash is replaying it now; wait for it "
				 "to end", file);
		else
			snprintf(why, n, "--replay %s: cannot lock it: %s", file, strerror(err));
		close(fd);
		return -1;
	}
	return fd;
}

/* token.c - the API token from its file: read without a copy left in
 * freed memory, checked, and reread on SIGHUP. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "crash.h"
#include "options.h"
#include "settings.h"
#include "util.h"

/* The token in path, or NULL with the reason in why. */
char *token_load(const char *path, char *why, size_t whylen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(why, whylen, "cannot read token file %s: %s", path, strerror(errno));
		return NULL;
	}
	/* Unbuffered: stdio's buffer would keep a copy in freed memory. */
	if (setvbuf(f, NULL, _IONBF, 0) != 0) {
		snprintf(why, whylen, "cannot read token file %s: %s", path, strerror(errno));
		fclose(f);
		return NULL;
	}
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & S_IROTH))
		warnx_("warning: token file %s is readable by every user; run: chmod 600 %s",
		       path, path);
	char tok[4096];
	size_t n = fread(tok, 1, sizeof tok - 1, f);
	int err = ferror(f);
	fclose(f);
	tok[n] = '\0';
	while (n && strchr(" \t\r\n", tok[n - 1]))
		tok[--n] = '\0';
	char *t = NULL;
	if (err)
		snprintf(why, whylen, "cannot read token file %s", path);
	else if (n == 0)
		snprintf(why, whylen, "token file %s is empty", path);
	else if (strpbrk(tok, "\r\n"))
		snprintf(why, whylen, "token file %s has more than one line; it should hold the "
			 "token only", path);
	else
		t = xstrdup(tok);
	wipe(tok, sizeof tok);
	return t;
}

int options_reload_token(struct options *o, char *why, size_t n)
{
	if (!o->token_file) {
		snprintf(why, n, "the token comes from CODEMASH_TOKEN, which cannot change while "
			 "logmash runs: use --token-file to reload it, or restart logmash");
		return -1;
	}
	char *t = token_load(o->token_file, why, n);
	if (!t)
		return -1;
	if (o->token) {
		crash_forget(o->token);
		wipe(o->token, strlen(o->token));
		free(o->token);
	}
	o->token = t;
	crash_secret(t, strlen(t));
	return 0;
}


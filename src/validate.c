/* validate.c - `logmash check -c CONFIG [--connect]`: a configuration
 * checked before it runs, like `vector validate` or `filebeat test`. */
#include "validate.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"
#include "options.h"
#include "script.h"
#include "settings.h"
#include "statelock.h"
#include "util.h"

struct verdict {
	int warnings, errors;
};

static void say(struct verdict *v, const char *level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(struct verdict *v, const char *level, const char *fmt, ...)
{
	if (level[0] == 'w')
		v->warnings++;
	else if (level[0] == 'e')
		v->errors++;
	printf("%-8s", level);
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

int validate_wanted(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--input") || !strncmp(argv[i], "--input=", 8))
			return 0; /* a sample read as the config's input reads */
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-c") || !strncmp(argv[i], "--config", 8) ||
		    !strcmp(argv[i], "--connect"))
			return 1;
	return 0;
}

/* A chain (the global one, or an input's own: at names it) loads. */
static void check_chain(struct verdict *v, const struct options *o, const char *at,
			const char *at_one, const struct script_spec *specs, size_t n)
{
	struct script_opts so = {.specs = specs, .n = n,
				 .memory_limit = o->script_memory, .budget = o->script_budget,
				 .unsafe = o->unsafe_scripts};
	struct buf err = {0};
	struct script_chain *c = script_chain_load(&so, &err);
	if (!c) {
		say(v, "error", "%s: %s (fix the script: `logmash check SCRIPT... < sample` "
		    "tries it on a sample)", at, buf_cstr(&err));
	} else {
		for (size_t i = 0; i < script_chain_len(c); i++) {
			const struct script_stat *st = script_chain_stat(c, i);
			say(v, "ok", "%s %s: loads, %s", at_one, st->path, script_kind_name(st->kind));
		}
		script_chain_free(c);
	}
	buf_free(&err);
}

static void check_scripts(struct verdict *v, const struct options *o)
{
	if (!o->n_scripts)
		say(v, "ok", "scripts: none (every log is sent as read)");
	else
		check_chain(v, o, "scripts", "script", o->scripts, o->n_scripts);
	for (size_t i = 0; i < o->n_inputs; i++) {
		const struct input_spec *sp = &o->inputs[i];
		if (!sp->n_scripts)
			continue;
		char at[96], one[96];
		snprintf(at, sizeof at, "input %s: scripts", input_spec_name(sp));
		snprintf(one, sizeof one, "input %s: script", input_spec_name(sp));
		check_chain(v, o, at, one, sp->scripts, sp->n_scripts);
	}
}

static void check_path(struct verdict *v, const struct options *o, const char *p);

/* A journal input: that it opens, and how new its newest entry is. */
static void check_journal(struct verdict *v, const struct options *o, const struct input_spec *sp)
{
	const char *name = input_spec_name(sp);
	struct buf err = {0};
	struct journal *j = journal_open(sp->journal_directory, sp->journal_matches,
					 sp->n_journal_matches, 65536, &err);
	if (!j) {
		say(v, "error", "input %s: %s", name, buf_cstr(&err));
		buf_free(&err);
		return;
	}
	double newest = journal_newest(j);
	journal_close(j);
	char where[PATH_MAX + 32];
	snprintf(where, sizeof where, "%s%s", sp->journal_directory ? "the journal in " : "the system journal",
		 sp->journal_directory ? sp->journal_directory : "");
	if (newest > 0)
		say(v, "ok", "input %s: %s opens; its newest entry%s is %.0f s old", name, where,
		    sp->n_journal_matches ? " that the matches take" : "", now_wall() - newest);
	else
		say(v, o->follow ? "ok" : "warning", "input %s: %s opens, with no entry%s yet%s", name,
		    where, sp->n_journal_matches ? " that the matches take" : "",
		    o->follow ? " (followed from when one is written)" : "");
	if (!sp->journal_directory && !journal_reads_all())
		say(v, "warning", "input %s: this user reads only its own entries of the system "
		    "journal: add it to the group systemd-journal (or adm)", name);
}

static void check_inputs(struct verdict *v, const struct options *o)
{
	for (size_t i = 0; i < o->n_inputs; i++)
		if (o->inputs[i].journal)
			check_journal(v, o, &o->inputs[i]);
	for (size_t i = 0; i < o->n_inputs; i++)
		for (size_t k = 0; k < o->inputs[i].n_paths; k++)
			check_path(v, o, o->inputs[i].paths[k]);
}

static void check_path(struct verdict *v, const struct options *o, const char *p)
{
	{
		struct stat st;
		if (!strcmp(p, "-")) {
			say(v, "ok", "input -: standard input");
		} else if (strpbrk(p, "*?[")) {
			glob_t g;
			int r = glob(p, 0, NULL, &g);
			size_t n = r == 0 ? g.gl_pathc : 0;
			globfree(&g);
			if (n)
				say(v, "ok", "input %s: matches %zu file%s", p, n, n == 1 ? "" : "s");
			else if (o->follow)
				say(v, "warning", "input %s: matches nothing yet; followed from when a file "
				    "appears (is the pattern right?)", p);
			else
				say(v, "error", "input %s: matches nothing: check the pattern (quote it, "
				    "so that the shell leaves it to logmash)", p);
		} else if (stat(p, &st) != 0) {
			if (errno == ENOENT && o->follow)
				say(v, "warning", "input %s: not there yet; followed from when it appears",
				    p);
			else
				say(v, "error", "input %s: %s", p, strerror(errno));
		} else if (access(p, R_OK) != 0) {
			say(v, "error", "input %s: cannot be read (%s): run logmash as a user who can, "
			    "or add it to the file's group", p, strerror(errno));
		} else {
			say(v, "ok", "input %s: %s, readable", p, S_ISREG(st.st_mode) ? "a file" : "not "
			    "a regular file (read as a stream: no checkpoint)");
		}
	}
}

static void check_state_dir(struct verdict *v, const struct options *o)
{
	if (!o->state_dir) {
		say(v, o->follow ? "warning" : "ok", "state dir: none%s", o->follow
		    ? ": a restart reads the files from their end again and loses what was unsent; "
		      "give --state-dir DIR" : " (nothing is kept across runs)");
		return;
	}
	struct stat st;
	if (stat(o->state_dir, &st) != 0) {
		const char *slash = strrchr(o->state_dir, '/');
		char *parent = !slash ? xstrdup(".")
			     : xstrndup(o->state_dir, (size_t)(slash - o->state_dir) + (slash == o->state_dir));
		if (access(parent, W_OK) == 0)
			say(v, "ok", "state dir %s: not there yet; it will be created", o->state_dir);
		else
			say(v, "error", "state dir %s: cannot be created in %s: %s", o->state_dir,
			    parent, strerror(errno));
		free(parent);
		return;
	}
	if (!S_ISDIR(st.st_mode) || access(o->state_dir, W_OK | X_OK) != 0) {
		say(v, "error", "state dir %s: not a folder logmash can write to: give another, or "
		    "fix its owner", o->state_dir);
		return;
	}
	char why[512];
	int fd = statelock_take(o->state_dir, why, sizeof why);
	if (fd < 0) {
		say(v, "error", "state dir %s: %s", o->state_dir, why);
		return;
	}
	close(fd);
	say(v, "ok", "state dir %s: writable, not in use", o->state_dir);
}

static void check_token(struct verdict *v, const struct options *o)
{
	if (o->dry_run)
		return;
	if (!o->project_id || !*o->project_id)
		say(v, "error", "project id: none: set project_id in the config, or use --project-id ID "
		    "or CODEMASH_PROJECT_ID");
	else if (strpbrk(o->project_id, "\r\n"))
		say(v, "error", "project id: must be one line");
	if (!o->token_file) {
		if (o->token)
			say(v, "ok", "token: from CODEMASH_TOKEN");
		else
			say(v, "error", "token: none: set token_file in the config, or use --token-file "
			    "FILE or CODEMASH_TOKEN");
		return;
	}
	if (o->token && strpbrk(o->token, "\r\n"))
		say(v, "error", "token file %s: the token must be one line", o->token_file);
	struct stat st;
	if (stat(o->token_file, &st) != 0) {
		say(v, "error", "token file %s: %s", o->token_file, strerror(errno));
		return;
	}
	if (!o->token) { /* there, but not a token: read it again for why */
		char why[PATH_MAX + 128];
		char *t = token_load(o->token_file, why, sizeof why);
		if (!t) {
			say(v, "error", "%s", why);
			return;
		}
		wipe(t, strlen(t));
		free(t);
	}
	/* Group-readable is the shipped unit's way (root:logmash 0640);
	 * anything more lets others read or replace it. */
	if (st.st_mode & (S_IROTH | S_IWOTH | S_IWGRP))
		say(v, "warning", "token file %s: mode %04o lets others %s it: chmod 640 %s",
		    o->token_file, (unsigned)(st.st_mode & 07777),
		    st.st_mode & S_IROTH ? "read" : "change", o->token_file);
	else
		say(v, "ok", "token file %s: readable, mode %04o", o->token_file,
		    (unsigned)(st.st_mode & 07777));
}

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
	(void)p, (void)ud;
	return size * n;
}

/* The API's host resolved, a TLS connection made and a GET sent to the
 * endpoint without credentials: what is there, with no log sent. */
static void check_connect(struct verdict *v, const struct options *o)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		say(v, "error", "connect: cannot initialise libcurl");
		return;
	}
	CURL *h = curl_easy_init();
	char url[1024], errbuf[CURL_ERROR_SIZE] = "";
	snprintf(url, sizeof url, "%s/%s/logs", o->url, o->api_version);
	CURLcode rc = h ? CURLE_OK : CURLE_OUT_OF_MEMORY;
	if (rc == CURLE_OK) rc = curl_easy_setopt(h, CURLOPT_URL, url);
	if (rc == CURLE_OK) rc = curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	if (rc == CURLE_OK) rc = curl_easy_setopt(h, CURLOPT_CERTINFO, 1L);
	if (rc == CURLE_OK) rc = curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	if (rc == CURLE_OK) rc = curl_easy_setopt(h, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
	if (rc == CURLE_OK) rc = curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
						(long)(o->connect_timeout * 1000));
	if (rc == CURLE_OK) rc = curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(o->timeout * 1000));
	if (rc == CURLE_OK && o->ca_file) rc = curl_easy_setopt(h, CURLOPT_CAINFO, o->ca_file);
	if (rc == CURLE_OK && o->insecure) rc = curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
	if (rc == CURLE_OK && o->insecure) rc = curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	if (rc == CURLE_OK)
		rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		say(v, "error", "connect %s: %s%s%s", url, curl_easy_strerror(rc), errbuf[0] ? ": " : "",
		    errbuf);
		goto out;
	}
	char *ip = NULL;
	long status = 0, version = 0;
	curl_off_t tls_us = 0;
	if (curl_easy_getinfo(h, CURLINFO_PRIMARY_IP, &ip) != CURLE_OK || !ip)
		ip = "?";
	if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK)
		status = 0;
	if (curl_easy_getinfo(h, CURLINFO_HTTP_VERSION, &version) != CURLE_OK)
		version = 0;
	if (curl_easy_getinfo(h, CURLINFO_APPCONNECT_TIME_T, &tls_us) != CURLE_OK)
		tls_us = 0;
	int tls = strncmp(o->url, "https://", 8) == 0;
	if (!tls && curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &tls_us) != CURLE_OK)
		tls_us = 0;
	const char *proto = version == CURL_HTTP_VERSION_2_0 ? "HTTP/2"
			  : version == CURL_HTTP_VERSION_3 ? "HTTP/3" : "HTTP/1.1";
	say(v, "ok", "connect %s: %s, %s%s, answered %ld to a GET without credentials (no log "
	    "sent); %s in %.0f ms", url, ip, proto, version == CURL_HTTP_VERSION_1_1 ||
	    version == CURL_HTTP_VERSION_1_0 ? " (a connection a request in flight)" : "", status,
	    tls ? "connected with TLS" : "connected", (double)tls_us / 1000);
	struct curl_certinfo *ci = NULL;
	if (curl_easy_getinfo(h, CURLINFO_CERTINFO, &ci) == CURLE_OK && ci && ci->num_of_certs > 0) {
		const char *subject = "?", *issuer = "?", *expires = "?";
		for (struct curl_slist *s = ci->certinfo[0]; s; s = s->next) {
			if (!strncmp(s->data, "Subject:", 8))
				subject = s->data + 8;
			else if (!strncmp(s->data, "Issuer:", 7))
				issuer = s->data + 7;
			else if (!strncmp(s->data, "Expire date:", 12))
				expires = s->data + 12;
		}
		say(v, o->insecure ? "warning" : "ok", "certificate: %s, issued by %s, expires %s%s",
		    subject, issuer, expires, o->insecure ? " (NOT verified: --insecure)" : " (verified)");
	} else if (!strncmp(o->url, "http://", 7)) {
		say(v, "warning", "connect: http:// sends the token in the clear; use https://");
	}
out:
	curl_easy_cleanup(h);
	curl_global_cleanup();
}

int validate_main(int argc, char **argv)
{
	int connect = 0, n = 0;
	char **args = xcalloc((size_t)argc + 1, sizeof *args);
	args[n++] = "logmash";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--connect"))
			connect = 1;
		else
			args[n++] = argv[i];
	}
	/* Settings and their bounds, the config file, the token: a mistake
	 * there exits 2 with its message, as a run would. */
	struct options o;
	memset(&o, 0, sizeof o);
	options_parse(&o, n, args, 1);
	struct verdict v = {0};
	say(&v, "ok", "settings: %s%s, sending to %s/%s/logs, project %s",
	    o.config_file ? "config " : "command line", o.config_file ? o.config_file : "", o.url,
	    o.api_version, o.project_id ? o.project_id : "(none)");
	check_scripts(&v, &o);
	check_inputs(&v, &o);
	check_state_dir(&v, &o);
	check_token(&v, &o);
	if (connect)
		check_connect(&v, &o);
	printf("%d error%s, %d warning%s%s\n", v.errors, v.errors == 1 ? "" : "s", v.warnings,
	       v.warnings == 1 ? "" : "s", connect ? "" : " (--connect also tries the API)");
	options_free(&o);
	free(args);
	if (fflush(stdout) != 0)
		return EXIT_USAGE;
	return v.errors ? 2 : v.warnings ? 1 : 0;
}

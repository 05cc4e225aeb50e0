/* attach.c - `logmash top`, `logmash status` and `logmash tap`: a running
 * logmash watched and steered through its control socket (control.h). */
#include "attach.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "command.h"
#include "ctlclient.h"
#include "ctlproto.h"
#include "dashboard.h"
#include "encoder.h"
#include "health.h"
#include "json.h"
#include "options.h"
#include "latency.h"
#include "snapjson.h"
#include "status.h"
#include "util.h"

/* Where the shipped unit puts the socket (its RuntimeDirectory=), and
 * where a service with only a state directory has it. */
#define UNIT_SOCKET "/run/logmash/control.sock"
#define DEFAULT_STATE_DIR "/var/lib/logmash"
#define REPLY_TIMEOUT_MS 5000

static const char usage[] =
"Usage: logmash top    [--state-dir DIR | --socket PATH]\n"
"       logmash status [--state-dir DIR | --socket PATH] [--json] [--max-behind SIZE]\n"
"       logmash tap    [--state-dir DIR | --socket PATH] [--limit N] [--count N]\n"
"Watch a running logmash through its control socket: STATE_DIR/control.sock,\n"
"or PATH; without either, the shipped unit's " UNIT_SOCKET ",\n"
"else " DEFAULT_STATE_DIR "/control.sock.\n"
"\n"
"  top     the dashboard, attached: q detaches and leaves logmash running;\n"
"          S then y stops it. It reconnects when logmash restarts.\n"
"  status  one snapshot, then exit: 0 healthy, 1 degraded (backing off, paused,\n"
"          auth failed, wrong URL, dead-lettering, or files more than\n"
"          --max-behind behind: default 64M), 2 cannot connect.\n"
"          --json prints it as one JSON object.\n"
"  tap     the request bodies being sent, with their outcomes, as JSON lines:\n"
"          at most --limit a second (default 100, at most 1000); --count N\n"
"          exits after N.\n";

struct attach_opts {
	const char *what;
	char *socket;
	int json;
	long limit, count;
	uint64_t max_behind;
};

int attach_command(const char *arg)
{
	return strcmp(arg, "top") == 0 || strcmp(arg, "status") == 0 || strcmp(arg, "tap") == 0;
}

static long number(const char *opt, const char *s, long lo, long hi)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		die(EXIT_USAGE, "%s %s: give a whole number from %ld to %ld", opt, s, lo, hi);
	return v;
}

static void parse(struct attach_opts *o, int argc, char **argv)
{
	static const struct option opts[] = {
		{"state-dir", required_argument, NULL, 'd'}, {"socket", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},            {"limit", required_argument, NULL, 'l'},
		{"count", required_argument, NULL, 'n'},     {"max-behind", required_argument, NULL, 'b'},
		{"help", no_argument, NULL, 'h'},            {NULL, 0, NULL, 0},
	};
	memset(o, 0, sizeof *o);
	o->what = argv[0];
	/* For getopt's messages: "logmash top: unrecognized option". */
	argv[0] = !strcmp(o->what, "top") ? "logmash top" : !strcmp(o->what, "tap") ? "logmash tap"
								    : "logmash status";
	o->limit = 100;
	o->max_behind = HEALTH_MAX_BEHIND;
	const char *dir = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 's': free(o->socket); o->socket = xstrdup(optarg); break;
		case 'j': o->json = 1; break;
		case 'l': o->limit = number("--limit", optarg, 1, 1000); break;
		case 'n': o->count = number("--count", optarg, 1, LONG_MAX); break;
		case 'b': {
			size_t v;
			if (parse_size(optarg, &v) != 0)
				die(EXIT_USAGE, "--max-behind %s: give a size such as 64M", optarg);
			o->max_behind = v;
			break;
		}
		case 'h': fputs(usage, stdout); exit(0);
		default: fputs(usage, stderr); exit(EXIT_USAGE);
		}
	}
	if (optind < argc)
		die(EXIT_USAGE, "logmash %s takes no argument %s (see logmash %s --help)", o->what,
		    argv[optind], o->what);
	if (o->socket && dir)
		die(EXIT_USAGE, "give --state-dir or --socket, not both");
	if (!o->socket && !dir && access(UNIT_SOCKET, F_OK) == 0)
		o->socket = xstrdup(UNIT_SOCKET);
	if (!o->socket) {
		struct buf p = {0};
		buf_printf(&p, "%s/control.sock", dir ? dir : DEFAULT_STATE_DIR);
		o->socket = xstrdup(buf_cstr(&p));
		buf_free(&p);
	}
}

/* Connects and asks; exits 2 when it cannot. */
static void open_or_exit(struct ctlclient *c, const char *path, const char *request)
{
	struct buf err = {0};
	if (ctlclient_connect(c, path, &err) != 0 || ctlclient_send(c, request) != 0) {
		fprintf(stderr, "logmash: %s\n", err.len ? buf_cstr(&err) : "the control socket hung up");
		exit(2);
	}
	buf_free(&err);
}

/* The type of a reply line, and its document parsed into d. */
static int reply_type(struct json_doc *d, const char *line, size_t len, struct buf *type)
{
	buf_clear(type);
	if (json_parse(d, line, len, 1 << 22) != 0 || d->ntok < 1 || d->tok[0].type != JSMN_OBJECT)
		return -1;
	int t = json_get(d, 0, "type");
	return t >= 0 && json_string(d, t, type) == 0 ? 0 : -1;
}

/* Waits for a reply of type want (snapshot into s). Returns 0, or -1 with
 * the reason on stderr. */
static int wait_for(struct ctlclient *c, struct json_doc *d, const char *want, struct snapshot *s,
		    int timeout_ms)
{
	struct buf type = {0};
	int64_t deadline = now_mono_ms() + timeout_ms;
	int rc = -1;
	for (;;) {
		char *line;
		size_t len;
		int64_t left = deadline - now_mono_ms();
		int r = ctlclient_next(c, left > 0 ? (int)left : 0, &line, &len);
		if (r <= 0) {
			fprintf(stderr, "logmash: %s\n", r == 0 ? "no answer on the control socket" :
				"logmash closed the control socket");
			break;
		}
		if (reply_type(d, line, len, &type) != 0)
			continue;
		if (strcmp(buf_cstr(&type), "error") == 0) {
			struct buf e = {0};
			int t = json_get(d, 0, "error");
			if (t >= 0)
				json_string(d, t, &e);
			fprintf(stderr, "logmash: the control socket says: %s\n", buf_cstr(&e));
			buf_free(&e);
			break;
		}
		if (strcmp(buf_cstr(&type), want) != 0)
			continue;
		if (s && snapjson_read(d, json_get(d, 0, "snapshot"), s) != 0) {
			fprintf(stderr, "logmash: a snapshot that cannot be read (another version?)\n");
			break;
		}
		rc = 0;
		break;
	}
	buf_free(&type);
	return rc;
}

/* ---- status ---- */

static void status_json_out(const struct snapshot *now, const struct snapshot *prev,
			    const struct health *h)
{
	struct buf out = {0};
	buf_putc(&out, '{');
	status_json_fields(&out, now, prev);
	buf_printf(&out, ",\"health\":\"%s\",\"reason\":",
		   h->level == HEALTH_OK ? "ok" : h->level == HEALTH_DEGRADED ? "degraded" : "down");
	encode_string(&out, h->reason, strlen(h->reason));
	buf_printf(&out, ",\"latency_p95_ms\":%.3f,\"bytes_behind\":%" PRIu64 ",\"sources\":[",
		   (double)latency_quantile(&now->st.latency, &prev->st.latency, 0.95) / 1000,
		   health_bytes_behind(now));
	for (size_t i = 0; i < now->n_sources; i++) {
		const struct source_view *v = &now->sources[i];
		buf_puts(&out, i ? ",{\"path\":" : "{\"path\":");
		encode_string(&out, v->path, strlen(v->path));
		buf_puts(&out, ",\"input\":");
		encode_string(&out, v->input, strlen(v->input));
		buf_printf(&out, ",\"state\":\"%s\",\"bytes_read\":%" PRIu64 ",\"bytes_behind\":%" PRIu64
			   ",\"lines\":%" PRIu64 ",\"sent\":%" PRIu64 ",\"dropped\":%" PRIu64
			   ",\"failed\":%" PRIu64 ",\"lag_seconds\":%.3f}",
			   source_state_name[v->state], v->pos, source_behind(v), v->lines, v->sent, v->dropped, v->errors,
			   source_lag(now, v));
	}
	buf_printf(&out, "],\"sources_total\":%zu,", now->sources_total);
	status_json_scripts(&out, now);
	buf_putc(&out, ',');
	status_json_templates(&out, now);
	buf_puts(&out, "}\n");
	fputs(buf_cstr(&out), stdout);
	buf_free(&out);
}

static int status_main(const struct attach_opts *o)
{
	struct ctlclient c;
	open_or_exit(&c, o->socket, "{\"v\":1,\"cmd\":\"snapshot\",\"interval_ms\":1000}");
	struct snapshot *prev = xcalloc(1, sizeof *prev), *now = xcalloc(1, sizeof *now);
	struct json_doc d = {0};
	/* Two snapshots a second apart: the rates are the last second's. */
	int ok = wait_for(&c, &d, "snapshot", prev, REPLY_TIMEOUT_MS) == 0 &&
		 wait_for(&c, &d, "snapshot", now, REPLY_TIMEOUT_MS) == 0;
	ctlclient_close(&c);
	json_doc_free(&d);
	if (!ok) {
		free(prev);
		free(now);
		return 2;
	}
	struct health h;
	health_judge(now, prev, o->max_behind, &h);
	if (o->json) {
		status_json_out(now, prev, &h);
	} else {
		struct buf out = {0};
		status_line(&out, now, prev, 0);
		buf_printf(&out, "logmash: health: %s: %s\n",
			   h.level == HEALTH_OK ? "ok" : h.level == HEALTH_DEGRADED ? "degraded" : "down",
			   h.reason);
		if (now->st.reload_at > 0) {
			buf_puts(&out, "logmash: ");
			status_reload(&out, now);
			buf_putc(&out, '\n');
		}
		for (size_t i = 0; i < now->n_sources; i++) {
			const struct source_view *v = &now->sources[i];
			int named = *v->input && strcmp(v->input, v->path) != 0;
			buf_printf(&out, "  %s%s%s%s: %s, %" PRIu64 " bytes behind, sent %" PRIu64
				   ", dropped %" PRIu64 ", failed %" PRIu64 ", lag %.1f s\n", v->path,
				   named ? " (input " : "", named ? v->input : "", named ? ")" : "",
				   source_state_name[v->state], source_behind(v), v->sent, v->dropped, v->errors,
				   source_lag(now, v));
		}
		if (now->sources_total > now->n_sources)
			buf_printf(&out, "  ... and %zu more sources\n", now->sources_total - now->n_sources);
		for (size_t i = 0; i < now->n_scripts; i++) {
			const struct script_view *v = &now->scripts[i];
			if (v->volume_kept || v->volume_dropped)
				buf_printf(&out, "  %s: throttle, sample and dedupe kept %" PRIu64
					   ", dropped %" PRIu64 "\n", v->path, v->volume_kept,
					   v->volume_dropped);
		}
		status_templates_text(&out, now, 5);
		fputs(buf_cstr(&out), stdout);
		buf_free(&out);
	}
	free(prev);
	free(now);
	return h.level == HEALTH_OK ? 0 : 1;
}

/* ---- tap ---- */

static int tap_main(const struct attach_opts *o)
{
	struct ctlclient c;
	char req[96];
	snprintf(req, sizeof req, "{\"v\":1,\"cmd\":\"tap\",\"limit\":%ld}", o->limit);
	open_or_exit(&c, o->socket, req);
	struct json_doc d = {0};
	struct buf type = {0};
	long printed = 0;
	int rc = 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (!o->count || printed < o->count) {
		char *line;
		size_t len;
		int r = ctlclient_next(&c, 1000, &line, &len);
		if (r == 0)
			continue;
		if (r < 0) {
			fprintf(stderr, "logmash: tap: logmash closed the control socket (stopped?)\n");
			rc = 1;
			break;
		}
		if (reply_type(&d, line, len, &type) != 0)
			continue;
		if (strcmp(buf_cstr(&type), "tap") == 0) {
			if (fwrite(line, 1, len, stdout) != len || putchar('\n') == EOF) {
				rc = errno == EPIPE ? 0 : 1; /* a closed pipe (| head) is the reader's choice */
				break;
			}
			printed++;
		} else if (strcmp(buf_cstr(&type), "dropped") == 0) {
			uint64_t n = 0;
			json_uint(&d, json_get(&d, 0, "count"), &n);
			fprintf(stderr, "logmash: tap: %" PRIu64 " lines skipped: this reader is slower "
				"than the logs\n", n);
		} else if (strcmp(buf_cstr(&type), "error") == 0) {
			fprintf(stderr, "logmash: tap: %.*s\n", (int)len, line);
			rc = 2;
			break;
		}
	}
	buf_free(&type);
	json_doc_free(&d);
	ctlclient_close(&c);
	return rc;
}

/* ---- top ---- */

struct top {
	const struct attach_opts *o;
	struct snapshot_box box;
	struct snapshot *snap;
	struct ctlclient c;
	int connected;
	int64_t retry_ms;
	struct json_doc d;
	struct buf type;
};

static void top_note(struct top *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void top_note(struct top *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->snap->attached, sizeof t->snap->attached, fmt, ap);
	va_end(ap);
	snapshot_publish(&t->box, t->snap);
}

static void top_connect(struct top *t)
{
	struct buf err = {0};
	if (ctlclient_connect(&t->c, t->o->socket, &err) == 0 &&
	    ctlclient_send(&t->c, "{\"v\":1,\"cmd\":\"snapshot\",\"interval_ms\":500}") == 0) {
		t->connected = 1;
		top_note(t, "attached to %s", t->o->socket);
	} else {
		ctlclient_close(&t->c);
		top_note(t, "%s; trying again every second", buf_cstr(&err));
	}
	buf_free(&err);
	t->retry_ms = now_mono_ms() + 1000;
}

static void top_read(struct top *t)
{
	char *line;
	size_t len;
	int r;
	while ((r = ctlclient_next(&t->c, 0, &line, &len)) == 1) {
		if (reply_type(&t->d, line, len, &t->type) != 0 ||
		    strcmp(buf_cstr(&t->type), "snapshot") != 0)
			continue;
		char note[sizeof t->snap->attached];
		memcpy(note, t->snap->attached, sizeof note);
		if (snapjson_read(&t->d, json_get(&t->d, 0, "snapshot"), t->snap) == 0) {
			memcpy(t->snap->attached, note, sizeof note);
			snapshot_publish(&t->box, t->snap);
		}
	}
	if (r < 0) {
		ctlclient_close(&t->c);
		t->connected = 0;
		t->snap->st.in_flight = 0;
		top_note(t, "logmash at %s went away (restarting?): reconnecting", t->o->socket);
		t->retry_ms = now_mono_ms() + 1000;
	}
}

static void top_command(struct top *t, int cmd)
{
	const char *name = cmd == CMD_STOP ? "stop" : cmd == CMD_RELOAD ? "reload"
			 : cmd == CMD_RETRY_NOW ? "retry"
			 : cmd == CMD_TOGGLE_PAUSE ? (t->snap->send.paused ? "resume" : "pause") : NULL;
	if (!name || !t->connected)
		return;
	char req[64];
	snprintf(req, sizeof req, "{\"v\":1,\"cmd\":\"%s\"}", name);
	if (ctlclient_send(&t->c, req) != 0)
		top_note(t, "cannot send to %s", t->o->socket);
}

static int top_main(const struct attach_opts *o)
{
	struct top t = {.o = o};
	t.snap = xcalloc(1, sizeof *t.snap);
	t.c.fd = -1;
	if (snapshot_box_init(&t.box) != 0)
		die(EXIT_USAGE, "cannot set up the dashboard's snapshot lock");
	int cmd[2];
	if (pipe2(cmd, O_CLOEXEC | O_NONBLOCK) != 0)
		die(EXIT_USAGE, "cannot create the dashboard's command pipe: %s", strerror(errno));
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	int sigfd = -1;
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0 ||
	    (sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
		die(EXIT_USAGE, "cannot take signals: %s", strerror(errno));
	struct sigaction ign = {.sa_handler = SIG_IGN};
	sigaction(SIGPIPE, &ign, NULL);
	top_connect(&t);
	struct buf err = {0};
	struct dashboard *dash = dashboard_start(&t.box, cmd[1], DASH_ATTACHED, &err);
	if (!dash)
		die(EXIT_USAGE, "no dashboard: %s (logmash status prints one snapshot)", buf_cstr(&err));
	/* Resizes go to the dashboard's thread, which started before this. */
	sigset_t winch;
	sigemptyset(&winch);
	sigaddset(&winch, SIGWINCH);
	int rc = pthread_sigmask(SIG_BLOCK, &winch, NULL);
	if (rc != 0)
		top_note(&t, "cannot leave window resizes to the dashboard: %s", strerror(rc));
	int done = 0;
	while (!done) {
		struct pollfd p[3] = {{.fd = sigfd, .events = POLLIN}, {.fd = cmd[0], .events = POLLIN},
				      {.fd = t.connected ? t.c.fd : -1, .events = POLLIN}};
		int64_t wait = t.connected ? 1000 : t.retry_ms - now_mono_ms();
		if (poll(p, 3, wait < 0 ? 0 : (int)wait) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			done = 1;
		char keys[16];
		ssize_t n = read(cmd[0], keys, sizeof keys);
		for (ssize_t i = 0; i < n; i++) {
			if (keys[i] == CMD_DETACH || keys[i] == CMD_HANGUP)
				done = 1;
			else
				top_command(&t, keys[i]);
		}
		if (t.connected)
			top_read(&t);
		else if (now_mono_ms() >= t.retry_ms)
			top_connect(&t);
	}
	dashboard_stop(dash);
	buf_free(&err);
	ctlclient_close(&t.c);
	json_doc_free(&t.d);
	buf_free(&t.type);
	snapshot_box_free(&t.box);
	close(cmd[0]);
	close(cmd[1]);
	close(sigfd);
	free(t.snap);
	return 0;
}

int attach_main(int argc, char **argv)
{
	struct attach_opts o;
	parse(&o, argc, argv);
	int rc = strcmp(o.what, "status") == 0 ? status_main(&o)
	       : strcmp(o.what, "tap") == 0    ? tap_main(&o)
					       : top_main(&o);
	free(o.socket);
	return rc;
}

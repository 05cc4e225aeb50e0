/* main.c - set-up, the event loop, shutdown and the exit code.
 *
 * One loop drives everything: it reads input while the queue has room,
 * lets the sender start and settle requests, runs the input's timers, and
 * sleeps in one wait on the network, inotify, waiting pipes and a signalfd.
 * Signals are never handled asynchronously: the first SIGINT/SIGTERM stops reading and drains what
 * was read for up to --drain-timeout seconds; a second one exits at once. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <sched.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "checkpoint.h"
#include "command.h"
#include "console.h"
#include "control.h"
#include "crash.h"
#include "curlmem.h"
#include "deadletter.h"
#include "errlog.h"
#include "input.h"
#include "metrics_http.h"
#include "attach.h"
#include "options.h"
#include "pipeline.h"
#include "queue.h"
#include "script.h"
#include "sender.h"
#include "script_template.h"
#include "sdnotify.h"
#include "snapshot.h"
#include "statelock.h"
#include "stats.h"
#include "util.h"

#define LINES_PER_TURN 512 /* between two looks at the network */
#define MAX_POLL_INPUTS 64 /* inotify and pipes polled at once */

struct app {
	struct options o;
	struct stats st;
	struct input *in;
	struct queue q;
	struct pipeline pl;
	struct pipeline_chains chains;
	struct sender *snd;
	struct deadletter dead;
	int sigfd;
	int lock_fd;    /* holds the state directory (statelock.h); -1: none */
	int stopping;   /* a first signal came: drain, then exit */
	int forced;     /* a second signal came: exit now */
	int finished;   /* a one-shot run is over, its last screen shown */
	int input_done;
	int64_t drain_deadline;

	double started;       /* wall clock */
	struct console *con;  /* the dashboard, or the status line */
	struct sdnotify *sd;  /* systemd's notifications, or NULL */
	struct control *ctl;  /* the control socket, or NULL */
	struct metrics_server *metrics; /* --metrics-listen, or NULL */
	long max_in_flight_start; /* the slots the sender has: a reload cannot raise it */
};

static void on_settled(void *ctx, const struct qentry *e, int delivered)
{
	(void)ctx;
	input_settled(e->src, e->ticket, delivered ? SETTLED_SENT : SETTLED_FAILED);
}

/* Each request's outcome, for `logmash tap` clients (sampled there). */
static void on_answer(void *ctx, const struct qentry *e, long status, const char *outcome)
{
	struct app *a = ctx;
	if (a->ctl && control_tapping(a->ctl))
		control_tap(a->ctl, e->source, input_source_input(e->src), e->line, status, outcome,
			    e->body, e->len);
}

static void on_script_error(void *ctx, const char *msg, const char *failed_on)
{
	struct app *a = ctx;
	a->st.script_errors++;
	errlog_add_detail(ERR_SCRIPT, failed_on, "%s", msg);
}

/* logmash.log(): the operator reads it where errors go (merged when
 * repeated, rate limited), but it is not counted as an error. */
static void on_script_log(void *ctx, const char *script, const char *msg)
{
	(void)ctx;
	errlog_add(ERR_SCRIPT_LOG, "%s: %s", script, msg);
}

/* The summary's word on each script that failed: how often, and its last
 * failure with the log it failed on. */
static void print_script_errors(const struct script_chain *c)
{
	for (size_t i = 0; c && i < script_chain_len(c); i++) {
		const struct script_stat *st = script_chain_stat(c, i);
		if (st->errors)
			fprintf(stderr, "logmash: %s failed %llu of %llu calls; the last: %s (line %llu: \"%s\")\n",
				st->path, (unsigned long long)st->errors, (unsigned long long)st->calls,
				st->last_error, (unsigned long long)st->excerpt_line, st->excerpt);
	}
}

static int setup_signals(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
		die(EXIT_USAGE, "cannot block signals: %s", strerror(errno));
	int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		die(EXIT_USAGE, "cannot create a signalfd: %s", strerror(errno));
	struct sigaction sa = {.sa_handler = SIG_IGN};
	if (sigaction(SIGPIPE, &sa, NULL) != 0)
		die(EXIT_USAGE, "cannot ignore SIGPIPE: %s", strerror(errno));
	return fd;
}

/* Two send threads beat one by about 1.2 on a two-core machine (make
 * bench); on one core they would only take turns. The cores counted are
 * those this process may run on (taskset, a container's cpuset). */
static long send_threads(long asked)
{
	if (asked > 0)
		return asked;
	cpu_set_t set;
	long cores = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set)
								  : sysconf(_SC_NPROCESSORS_ONLN);
	return cores >= 2 ? 2 : 1;
}

static struct script_chain *load_chain(struct app *a, const struct options *o,
				       const struct script_spec *specs, size_t n, struct buf *err)
{
	struct script_opts so = {
		.specs = specs,
		.n = n,
		.memory_limit = o->script_memory,
		.unsafe = o->unsafe_scripts,
		.budget = o->script_budget,
		.volume_keys_max = (size_t)o->volume_keys_max,
		.on_error = on_script_error,
		.on_log = on_script_log,
		.ctx = a,
	};
	return script_chain_load(&so, err);
}

/* The miner behind logmash.template, before any script can call it. */
static int setup_templates(const struct options *o, struct buf *err)
{
	struct script_template_opts to = {
		.max = (size_t)o->template_max,
		.masks = o->template_masks,
		.n_masks = o->n_template_masks,
		.state_dir = o->replay ? NULL : o->state_dir,
		.save = !o->dry_run,
	};
	return script_template_setup(&to, err);
}

/* The global chain and each input's own into ch: 0, or -1 with the
 * reason in err (and nothing loaded). A replay's bodies are final: none. */
static int load_chains(struct app *a, const struct options *o, struct pipeline_chains *ch,
		       struct buf *err)
{
	memset(ch, 0, sizeof *ch);
	if (o->replay)
		return 0;
	if (o->n_scripts && !(ch->all = load_chain(a, o, o->scripts, o->n_scripts, err)))
		return -1;
	ch->n = o->n_inputs;
	ch->input = xcalloc(ch->n ? ch->n : 1, sizeof *ch->input);
	for (size_t i = 0; i < o->n_inputs; i++) {
		const struct input_spec *sp = &o->inputs[i];
		if (!sp->n_scripts)
			continue;
		struct buf why = {0};
		ch->input[i] = load_chain(a, o, sp->scripts, sp->n_scripts, &why);
		if (!ch->input[i]) {
			buf_printf(err, "input %s: %s", input_spec_name(sp), buf_cstr(&why));
			buf_free(&why);
			pipeline_chains_free(ch);
			return -1;
		}
		buf_free(&why);
	}
	return 0;
}

static size_t chains_scripts(const struct pipeline_chains *ch)
{
	size_t n = ch->all ? script_chain_len(ch->all) : 0;
	for (size_t i = 0; i < ch->n; i++)
		n += ch->input[i] ? script_chain_len(ch->input[i]) : 0;
	return n;
}

/* What holds the sender back (nothing in a dry run, which has none). */
static struct sender_state send_state(const struct app *a)
{
	return a->snd ? sender_state(a->snd) : (struct sender_state){0};
}

/* The sender's settings from o; endpoint holds its URL. */
static struct sender_opts sender_opts_of(struct app *a, const struct options *o,
					 struct buf *endpoint)
{
	buf_clear(endpoint);
	buf_printf(endpoint, "%s/%s/logs", o->url, o->api_version);
	return (struct sender_opts){
		.endpoint = buf_cstr(endpoint),
		.token = o->token,
		.project_id = o->project_id,
		.max_in_flight = o->max_in_flight,
		.adaptive = strcmp(o->concurrency, "adaptive") == 0,
		.max_connections = o->max_connections,
		.threads = send_threads(o->send_threads),
		.max_retries = o->max_retries,
		.timeout_ms = (long)(o->timeout * 1000),
		.connect_timeout_ms = (long)(o->connect_timeout * 1000),
		.retry_base_ms = (int64_t)(o->retry_base * 1000),
		.retry_cap_ms = (int64_t)(o->retry_max * 1000),
		.rate_limit = o->rate_limit,
		.http2_prior_knowledge = o->http2_prior_knowledge,
		.ca_file = o->ca_file,
		.insecure = o->insecure,
		.follows = o->follow,
		.keeps_unsent = o->state_dir || o->replay,
		.dead = &a->dead,
		.on_settled = on_settled,
		.on_answer = on_answer,
		.ctx = a,
	};
}

/* The input's settings from o. replayed: --replay's record, or "". */
static struct input_opts input_opts_of(const struct options *o, const char *replayed)
{
	struct input_opts io = options_input_opts(o);
	io.state_dir = o->replay ? NULL : o->state_dir;
	io.checkpoints = o->replay ? replayed : NULL;
	io.save_state = !o->dry_run;
	io.spool_max_bytes = o->spool_max_bytes;
	io.before_save = script_template_save;
	return io;
}

/* The last reload, for status and the dashboard. */
static void reload_result(struct app *a, int took, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void reload_result(struct app *a, int took, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(a->st.reload_result, sizeof a->st.reload_result, fmt, ap);
	va_end(ap);
	a->st.reload_at = now_wall();
	if (took)
		a->st.script_reloads++;
	else
		a->st.reload_failures++;
}

/* The logs held after a 401/403 or a wrong URL are tried again when a
 * reload changed nothing the sender uses: the operator may have fixed
 * what was wrong on the API's side. */
static void retry_held(struct app *a)
{
	struct sender_state ss = send_state(a);
	if (ss.auth_failed) {
		sender_set_credentials(a->snd, a->o.token, a->o.project_id);
		if (a->o.token_from_env)
			errlog_add(ERR_AUTH, "SIGHUP: the token comes from CODEMASH_TOKEN, which cannot "
				   "change while logmash runs (use --token-file to reload it): sending "
				   "the logs held back again with the same token");
		else
			errlog_add(ERR_EVENT, "SIGHUP: sending the logs held back again with the same "
				   "token");
	} else if (ss.endpoint_failed) {
		sender_resume(a->snd);
		errlog_add(ERR_EVENT, "SIGHUP: trying the API's URL again with the logs held back");
	}
}

/* SIGHUP, r, logmash reload: the config file (and the token file, and the
 * scripts) read again and applied while running. The new settings are
 * checked and the new scripts loaded before anything changes: a config or
 * script that does not load changes nothing. The script chain is replaced
 * between two logs, the sender's settings apply to every request started
 * from now on (those under way finish where they started): no log is lost
 * or sent twice. A setting that takes a restart keeps its value, named. */
static void reload(struct app *a)
{
	if (a->o.replay)
		return; /* a replay's bodies and settings are final */
	sdnotify_reloading(a->sd);
	char why[PATH_MAX + 600];
	struct buf notes = {0}, changed = {0}, err = {0};
	const char *cfg = a->o.config_file;
	struct options next;
	int ok = options_reload(&a->o, &next, &notes, why, sizeof why) == 0;
	struct pipeline_chains c = {0};
	if (ok && load_chains(a, &next, &c, &err) != 0) {
		snprintf(why, sizeof why, "the scripts were not reloaded, the running ones go on: %s",
			 buf_cstr(&err));
		ok = 0;
	}
	if (!ok) {
		warnx_("SIGHUP: %s%snot reloaded, nothing changed: %s", cfg ? cfg : "", cfg ? " " : "",
		       why);
		reload_result(a, 0, "refused: %s", why);
		options_free(&next); /* options_reload's own failure left it empty */
		goto out;
	}
	int was_insecure = a->o.insecure;
	unsigned parts = options_adopt(&a->o, &next, a->max_in_flight_start, &changed, &notes);
	for (const char *l = buf_cstr(&notes); *l;) {
		size_t len = strcspn(l, "\n");
		errlog_add(ERR_WARNING, "SIGHUP: %.*s", (int)len, l);
		l += len + (l[len] == '\n');
	}
	struct buf endpoint = {0};
	if ((parts & ADOPT_SENDER) && a->snd) {
		struct sender_opts so = sender_opts_of(a, &a->o, &endpoint);
		if (sender_reconfigure(a->snd, &so, &err) != 0) /* checked before: cannot happen */
			errlog_add(ERR_WARNING, "SIGHUP: the API's settings were not applied: %s",
				   buf_cstr(&err));
		if (parts & ADOPT_TOKEN)
			errlog_add(ERR_EVENT, "SIGHUP: token reloaded from %s; sending %s",
				   a->o.token_file ? a->o.token_file : "the config",
				   a->st.waiting ? "the logs held back again" : "with it");
	} else if (a->snd) {
		retry_held(a);
	}
	buf_free(&endpoint);
	/* Always: the inputs moved into a->o (the input reads them there), the
	 * same or not. */
	struct input_opts io = input_opts_of(&a->o, "");
	buf_clear(&err);
	if (input_reconfigure(a->in, &io, &err) != 0) /* checked before: cannot happen */
		errlog_add(ERR_WARNING, "SIGHUP: the inputs' settings were not applied: %s",
			   buf_cstr(&err));
	if (parts & ADOPT_INPUT) {
		struct buf skipped = {0};
		input_describe_skipped(a->in, &skipped);
		if (skipped.len)
			errlog_add(ERR_EVENT, "%s", buf_cstr(&skipped));
		buf_free(&skipped);
	}
	if (a->o.insecure && !was_insecure)
		errlog_add(ERR_WARNING, "SIGHUP: insecure: the API's TLS certificate is no longer "
			   "verified; for a private CA give ca_file instead");
	if (parts & ADOPT_DEAD_LETTERS)
		deadletter_set_limits(&a->dead, a->o.dead_letter_max_bytes, (int)a->o.dead_letter_keep);
	pipeline_chains_free(&a->chains);
	a->chains = c;
	a->pl.specs = a->o.inputs;
	a->pl.n_specs = a->o.n_inputs;
	size_t n = chains_scripts(&a->chains);
	options_free(&next);
	int restart = notes.len > 0;
	if (cfg)
		errlog_add(ERR_EVENT, "SIGHUP: %s reloaded: %s; scripts reloaded (%zu)%s", cfg,
			   changed.len ? buf_cstr(&changed) : "no setting changed", n,
			   restart ? "; some settings take a restart (see the warnings)" : "");
	else
		errlog_add(ERR_EVENT, "SIGHUP: scripts reloaded (%zu)%s", n,
			   parts & ADOPT_TOKEN ? ", and the token" : "");
	reload_result(a, 1, "%s%s", changed.len ? buf_cstr(&changed) : "no setting changed",
		      restart ? "; some take a restart" : "");
out:
	buf_free(&notes);
	buf_free(&changed);
	buf_free(&err);
	sdnotify_ready(a->sd);
}

static void begin_stop(struct app *a);

static void read_signals(struct app *a)
{
	struct signalfd_siginfo si;
	while (read(a->sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
		if (si.ssi_signo == SIGHUP) {
			reload(a);
			continue;
		}
		begin_stop(a);
	}
}

/* SIGINT, SIGTERM or the dashboard's q: the first stops reading and
 * drains what was read; the second exits at once. */
static void begin_stop(struct app *a)
{
	if (a->stopping) {
		a->forced = 1;
		return;
	}
	a->stopping = 1;
	sdnotify_stopping(a->sd);
	if (a->snd)
		sender_pause(a->snd, 0); /* draining means sending */
	a->drain_deadline = now_mono_ms() + (int64_t)(a->o.drain_timeout * 1000);
	if (!a->o.dry_run && !(a->con && console_has_dashboard(a->con)))
		fprintf(stderr, "logmash: stopping: sending what was read (up to %gs; "
			"signal again to exit now)\n", a->o.drain_timeout);
}

/* The dashboard's keys and the control socket's commands, as the event
 * loop's own actions. */
static void do_command(struct app *a, int cmd)
{
	switch (cmd) {
	case CMD_STOP:
		begin_stop(a);
		break;
	case CMD_TOGGLE_PAUSE:
	case CMD_PAUSE:
	case CMD_RESUME:
		if (!a->stopping && a->snd)
			sender_pause(a->snd, cmd == CMD_TOGGLE_PAUSE ? !send_state(a).paused
								     : cmd == CMD_PAUSE);
		break;
	case CMD_RELOAD:
		reload(a);
		break;
	case CMD_RETRY_NOW:
		if (a->snd) {
			sender_retry_now(a->snd);
			errlog_add(ERR_EVENT, "retrying now, as the operator asked");
		}
		break;
	case CMD_HANGUP:
		/* The operator's terminal is gone: nobody watches, so stop
		 * as SIGTERM would; the checkpoints keep what is unsent. */
		if (!a->stopping)
			begin_stop(a);
		break;
	}
}

static void read_commands(struct app *a)
{
	for (int cmd; (cmd = console_command(a->con));)
		do_command(a, cmd);
	for (int cmd; a->ctl && (cmd = control_command(a->ctl));)
		do_command(a, cmd);
}

/* The scripts of chain c (spec's own, or the global one) into s. */
static void put_scripts(struct snapshot *s, const struct script_chain *c,
			const struct input_spec *spec)
{
	for (size_t i = 0; c && i < script_chain_len(c) && s->n_scripts < SNAP_SCRIPTS; i++) {
		const struct script_stat *st = script_chain_stat(c, i);
		struct script_view *v = &s->scripts[s->n_scripts++];
		snprintf(v->path, sizeof v->path, "%s", st->path);
		snprintf(v->input, sizeof v->input, "%s", spec ? input_spec_name(spec) : "");
		v->kind = script_kind_name(st->kind);
		v->calls = st->calls;
		v->dropped = st->dropped;
		v->errors = st->errors;
		struct volume_totals vt;
		script_chain_volume(c, i, &vt);
		v->volume_kept = vt.kept;
		v->volume_dropped = vt.dropped;
	}
}

static void put_template_list(struct template_miner *m, int by_total, struct template_view *out,
			      size_t *n)
{
	struct template_info top[SNAP_TEMPLATES];
	*n = template_top(m, by_total, top, SNAP_TEMPLATES);
	for (size_t i = 0; i < *n; i++) {
		struct template_view *v = &out[i];
		memcpy(v->id, top[i].id, sizeof v->id);
		snprintf(v->text, sizeof v->text, "%s", top[i].text);
		snprintf(v->example, sizeof v->example, "%s", top[i].example ? top[i].example : "");
		v->total = top[i].total;
		v->kept = top[i].kept;
		v->dropped = top[i].dropped;
		v->rate = top[i].rate;
		v->last_seen = top[i].last_seen;
	}
}

/* The templates logmash.template has seen (none when no script asks). */
static void put_templates(struct template_top *t, double now)
{
	struct template_miner *m = script_template_miner();
	template_tick(m, now);
	template_totals(m, &t->totals);
	put_template_list(m, 0, t->by_rate, &t->n_rate);
	put_template_list(m, 1, t->by_total, &t->n_total);
}

/* The console's view of everything: a copy, so that it never reaches
 * into the pipeline. */
static void fill_snapshot(void *ctx, struct snapshot *s, int with_sources)
{
	struct app *a = ctx;
	s->taken = now_wall();
	s->started = a->started;
	s->st = a->st;
	s->send = send_state(a);
	s->stopping = a->stopping;
	s->finished = a->finished;
	s->dry_run = a->o.dry_run;
	s->insecure = a->o.insecure && !a->o.dry_run;
	snprintf(s->endpoint, sizeof s->endpoint, "%s/%s/logs", a->o.url, a->o.api_version);
	snprintf(s->project, sizeof s->project, "%s", a->o.project_id ? a->o.project_id : "");
	s->n_scripts = 0;
	put_scripts(s, a->chains.all, NULL);
	for (size_t i = 0; i < a->chains.n && i < a->o.n_inputs; i++)
		put_scripts(s, a->chains.input[i], &a->o.inputs[i]);
	put_templates(&s->templates, s->taken);
	s->n_sources = s->sources_total = 0;
	s->spooled = 0;
	if (with_sources)
		s->sources_total = input_view(a->in, s->sources, SNAP_SOURCES, &s->n_sources,
					      &s->spooled);
	s->n_errors = errlog_copy_errors(s->errors, ERRLOG_KEEP);
	s->n_notes = errlog_copy_notes(s->notes, ERRLOG_KEEP);
}

/* Reads and processes lines until the queue fills, the input waits, or
 * the turn's share is done. Returns 1 when more is ready right away. */
static int pump_input(struct app *a)
{
	for (int i = 0; i < LINES_PER_TURN; i++) {
		if (a->snd && queue_full(&a->q))
			return 0;
		if (a->pl.out_failed) {
			a->input_done = 1;
			return 0;
		}
		struct frame fr;
		double time;
		struct source *src;
		switch (input_next(a->in, &fr, &time, &src)) {
		case INPUT_LINE:
			pipeline_process(&a->pl, &fr, time, src);
			break;
		case INPUT_WAIT:
			return 0;
		case INPUT_END:
			a->input_done = 1;
			return 0;
		}
	}
	return 1;
}

static int finished(struct app *a)
{
	if (a->forced)
		return 1;
	/* Refused credentials or a wrong URL end a one-off run; a follower
	 * waits for SIGHUP. */
	struct sender_state ss = send_state(a);
	if ((ss.auth_failed || ss.endpoint_failed) && sender_active(a->snd) == 0 && !a->o.follow)
		return 1;
	int reading_over = a->input_done || a->stopping;
	int sending_over = !a->snd || (a->q.n == 0 && sender_holding(a->snd) == 0);
	if (reading_over && sending_over)
		return 1;
	return a->stopping && now_mono_ms() >= a->drain_deadline;
}

/* How long the loop may sleep: until a timer is due or input is ready. */
static long wait_ms(struct app *a, int more, int can_read)
{
	long timeout = input_timeout_ms(a->in); /* the input's timers run even when not reading */
	if (timeout > 1000)
		timeout = 1000;
	if (!can_read && timeout == 0)
		timeout = 250; /* ready input that cannot be taken now: the queue is full */
	if (more)
		timeout = 0;
	if (a->snd) {
		long t = sender_timeout_ms(a->snd);
		if (t < timeout)
			timeout = t;
	}
	if (a->stopping) {
		int64_t left = a->drain_deadline - now_mono_ms();
		if (left < timeout)
			timeout = left < 0 ? 0 : (long)left;
	}
	return timeout;
}

static void run(struct app *a)
{
	while (!finished(a)) {
		int more = 0;
		if (!a->stopping && !a->input_done)
			more = pump_input(a);
		/* --dry-run writes in large blocks, but what was read is out
		 * before the loop waits for more (-F would hold it otherwise). */
		if (a->o.dry_run && !more)
			pipeline_flush(&a->pl);
		if (a->snd)
			sender_step(a->snd);
		if (finished(a))
			break;

		struct pollfd fds[3 + MAX_POLL_INPUTS + 1 + CONTROL_MAX_CLIENTS];
		int in_fds[MAX_POLL_INPUTS];
		nfds_t n = 0;
		fds[n++] = (struct pollfd){.fd = a->sigfd, .events = POLLIN};
		if (console_fd(a->con) >= 0)
			fds[n++] = (struct pollfd){.fd = console_fd(a->con), .events = POLLIN};
		if (a->snd)
			fds[n++] = (struct pollfd){.fd = sender_fd(a->snd), .events = POLLIN};
		int can_read = !a->stopping && !a->input_done && !(a->snd && queue_full(&a->q));
		size_t k = can_read ? input_poll_fds(a->in, in_fds, MAX_POLL_INPUTS) : 0;
		for (size_t i = 0; i < k; i++)
			fds[n++] = (struct pollfd){.fd = in_fds[i], .events = POLLIN};
		size_t ctl_at = n, ctl_n = 0;
		if (a->ctl) {
			ctl_n = control_poll_fds(a->ctl, fds + n, 1 + CONTROL_MAX_CLIENTS);
			n += ctl_n;
		}
		long timeout = wait_ms(a, more, can_read);
		if (a->ctl) {
			long t = control_timeout_ms(a->ctl);
			if (t < timeout)
				timeout = t;
		}
		if (a->metrics && metrics_server_timeout_ms(a->metrics) < timeout)
			timeout = metrics_server_timeout_ms(a->metrics);
		long ct = console_timeout_ms(a->con);
		if (ct < timeout)
			timeout = ct;
		long st = sdnotify_timeout_ms(a->sd);
		if (st < timeout)
			timeout = st;
		/* No sleep due: skip the syscall. */
		int polled = timeout > 0;
		if (polled && poll(fds, n, (int)timeout) < 0 && errno != EINTR) {
			polled = 0;
			if (errno != ENOMEM && errno != EAGAIN)
				fatal("poll failed: %s", strerror(errno));
			/* The kernel is short of memory: say so, wait, go on. */
			errlog_add(ERR_SYSTEM, "poll failed: %s (trying again)", strerror(errno));
			struct timespec pause = {.tv_nsec = 10L * 1000 * 1000};
			nanosleep(&pause, NULL);
		}
		read_signals(a);
		if (a->ctl)
			control_tick(a->ctl, polled ? fds + ctl_at : NULL, ctl_n);
		if (a->metrics)
			metrics_server_tick(a->metrics);
		read_commands(a);
		input_tick(a->in);
		console_tick(a->con);
		sdnotify_tick(a->sd);
	}
	if (a->o.dry_run)
		pipeline_flush(&a->pl);
}

/* The control socket (by default in the state directory) and the metrics
 * server: what watches a running logmash from outside. A replay runs
 * beside the service and leaves its socket alone. */
static void open_watchers(struct app *a)
{
	const char *path = a->o.control_socket;
	struct buf def = {0}, err = {0};
	if (!path && a->o.state_dir && !a->o.replay) {
		buf_printf(&def, "%s/control.sock", a->o.state_dir);
		path = buf_cstr(&def);
	}
	if (path && strcmp(path, "none") != 0) {
		struct control_opts co = {.path = path, .group = a->o.control_group,
					  .stall_ms = (int64_t)(a->o.control_stall * 1000),
					  .fill = fill_snapshot, .ctx = a};
		a->ctl = control_open(&co, &err);
		if (!a->ctl && a->o.control_socket)
			die(EXIT_USAGE, "%s", buf_cstr(&err));
		if (!a->ctl) /* the default: the run goes on without it */
			warnx_("no control socket (logmash top, status, tap): %s", buf_cstr(&err));
	}
	if (a->o.metrics_listen) {
		buf_clear(&err);
		a->metrics = metrics_server_start(a->o.metrics_listen, fill_snapshot, a, &err);
		if (!a->metrics)
			die(EXIT_USAGE, "%s", buf_cstr(&err));
	}
	buf_free(&def);
	buf_free(&err);
}

/* Whether paths a and b name the same file (b need not exist). */
static int same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	if (stat(a, &sa) != 0 || stat(b, &sb) != 0)
		return 0;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* The dead-letter file: --dead-letter, else one in the state directory. */
static void open_dead_letters(struct app *a)
{
	struct buf dl = {0};
	if (a->o.dead_letter)
		buf_puts(&dl, a->o.dead_letter);
	else if (a->o.state_dir)
		buf_printf(&dl, "%s/dead-letters.jsonl", a->o.state_dir);
	if (a->o.replay && dl.len && same_file(a->o.replay, buf_cstr(&dl)))
		die(EXIT_USAGE, "--replay %s: that is the dead-letter file logs would go to; "
		    "move it aside first (mv %s %s.replay) or give another --dead-letter",
		    a->o.replay, a->o.replay, a->o.replay);
	struct buf err = {0};
	if (deadletter_open(&a->dead, dl.len ? buf_cstr(&dl) : NULL, a->o.dead_letter_max_bytes,
			    (int)a->o.dead_letter_keep, &err) != 0)
		die(EXIT_USAGE, "%s", buf_cstr(&err));
	if (!dl.len)
		warnx_("warning: logs the API rejects for good will be counted as lost, not kept: "
		       "give --dead-letter FILE (or --state-dir DIR) to keep them");
	buf_free(&dl);
}

/* unsent_kept: whatever is not delivered yet will be read again by the
 * next run (checkpoints, the spool). Stopping then loses nothing, so it is
 * a success: a service stopped during an outage does not show as failed. */
static int exit_code(const struct app *a, int unsent_kept)
{
	if (send_state(a).auth_failed)
		return EXIT_AUTH;
	if (send_state(a).endpoint_failed)
		return EXIT_ENDPOINT;
	if (a->st.input_errors || a->pl.out_failed)
		return EXIT_UNDELIVERED;
	if (!a->o.dry_run && (a->st.failed || (stats_undelivered(&a->st) && !unsent_kept)))
		return EXIT_UNDELIVERED;
	return EXIT_DELIVERED;
}

/* Before anything reads or writes the state directory: one logmash a state
 * directory, one a replayed file (statelock.h). A dry run only reads
 * checkpoints: it may run beside the logmash that owns them. Sets
 * replayed to a replay's record (FILE.replayed). */
static void take_lock(struct app *a, struct buf *replayed)
{
	char why[600];
	a->lock_fd = -1;
	if (a->o.replay) {
		/* A replay keeps its own record and only appends to the state
		 * directory's dead-letter file: it may run beside the service. */
		buf_printf(replayed, "%s.replayed", a->o.replay);
		if (!a->o.dry_run && (a->lock_fd = statelock_replay(a->o.replay, why, sizeof why)) < 0)
			die(EXIT_USAGE, "%s", why);
		if (access(buf_cstr(replayed), F_OK) == 0)
			warnx_("--replay %s: sending only what earlier replays did not deliver, as %s "
			       "records (delete it to send everything again)", a->o.replay,
			       buf_cstr(replayed));
		return;
	}
	if (!a->o.state_dir || a->o.dry_run)
		return;
	struct buf err = {0};
	if (checkpoint_dir(a->o.state_dir, &err) != 0)
		die(EXIT_USAGE, "%s", buf_cstr(&err));
	if ((a->lock_fd = statelock_take(a->o.state_dir, why, sizeof why)) < 0)
		die(EXIT_USAGE, "%s", why);
}

/* Headless, the journal shows what started: one line, the token never. */
static void start_line(const struct app *a)
{
	struct buf b = {0};
	options_describe(&b, &a->o);
	if (a->ctl)
		buf_printf(&b, "; control socket %s", control_path(a->ctl));
	if (a->metrics)
		buf_printf(&b, "; metrics on port %u", metrics_server_port(a->metrics));
	buf_putc(&b, '\n');
	fputs(buf_cstr(&b), stderr);
	buf_free(&b);
}

/* The queue and the sender, unless this is a dry run. */
static void start_sending(struct app *a)
{
	if (a->o.dry_run)
		return;
	CURLcode rc = curlmem_global_init();
	if (rc != CURLE_OK)
		die(EXIT_USAGE, "cannot initialise libcurl: %s", curl_easy_strerror(rc));
	struct buf endpoint = {0};
	queue_init(&a->q, (size_t)a->o.queue_max, a->o.queue_max_bytes);
	struct sender_opts so = sender_opts_of(a, &a->o, &endpoint);
	a->max_in_flight_start = a->o.max_in_flight;
	struct buf err = {0};
	a->snd = sender_new(&so, &a->q, &a->st, &err);
	buf_free(&endpoint);
	if (!a->snd)
		die(EXIT_USAGE, "cannot start sending: %s", buf_cstr(&err));
}

/* The pipeline and the inputs (creating the state directory). replayed:
 * --replay's record, or "". */
static void open_inputs(struct app *a, const char *replayed)
{
	pipeline_init(&a->pl, &a->chains, &a->st, a->snd ? &a->q : NULL);
	a->pl.specs = a->o.inputs;
	a->pl.n_specs = a->o.n_inputs;
	a->pl.replay = a->o.replay != NULL;
	struct input_opts io = input_opts_of(&a->o, replayed);
	struct buf err = {0};
	if (!(a->in = input_open(&io, &a->st, &err)))
		die(EXIT_USAGE, "%s", buf_cstr(&err));
}

/* The console, the control socket, metrics and systemd: what watches. */
static void open_console(struct app *a)
{
	struct console_opts co = {
		.no_tui = a->o.no_tui,
		.reads_stdin = options_reads_stdin(&a->o),
		.dry_run = a->o.dry_run,
		.status_interval = a->o.status_interval,
		.status_json = strcmp(a->o.status_format, "json") == 0,
		.fill = fill_snapshot,
		.ctx = a,
	};
	open_watchers(a);
	a->con = console_start(&co);
	if (!console_has_dashboard(a->con) && !a->o.dry_run)
		start_line(a);
	struct buf skipped = {0};
	input_describe_skipped(a->in, &skipped);
	if (skipped.len)
		errlog_add(ERR_EVENT, "%s", buf_cstr(&skipped));
	buf_free(&skipped);
	a->sd = sdnotify_open(fill_snapshot, a);
	sdnotify_ready(a->sd); /* the sources are open, the sender is up */
}

/* A one-shot run with the dashboard keeps its last screen until q (or a
 * signal, or the terminal going), so that the operator sees how it ended;
 * the summary follows on the terminal. Nothing is read or sent by then. */
static void hold_final_screen(struct app *a)
{
	if (!console_has_dashboard(a->con) || a->o.follow || a->stopping || a->forced)
		return;
	a->finished = 1;
	a->stopping = 0;
	for (;;) {
		console_tick(a->con);
		struct pollfd fds[2] = {{.fd = a->sigfd, .events = POLLIN},
					{.fd = console_fd(a->con), .events = POLLIN}};
		if (poll(fds, 2, (int)console_timeout_ms(a->con)) < 0 && errno != EINTR)
			return;
		struct signalfd_siginfo si;
		while (read(a->sigfd, &si, sizeof si) == (ssize_t)sizeof si)
			if (si.ssi_signo != SIGHUP)
				return;
		for (int cmd; (cmd = console_command(a->con));)
			if (cmd == CMD_STOP || cmd == CMD_HANGUP)
				return;
	}
}

/* The summary, what became of the logs not delivered, and the exit code. */
static int report(struct app *a, const char *replayed)
{
	if (a->snd) {
		a->st.queued = a->q.n;
		a->st.in_flight = sender_active(a->snd);
	}
	int unsent_kept = !a->o.dry_run && input_unsent_kept(a->in);
	errlog_flush();
	stats_print_summary(&a->st, stderr, a->o.dry_run);
	print_script_errors(a->chains.all);
	for (size_t i = 0; i < a->chains.n; i++)
		print_script_errors(a->chains.input[i]);
	int code = exit_code(a, unsent_kept);
	unsigned long long unsent = a->o.dry_run ? 0 : stats_undelivered(&a->st);
	if (unsent && code != EXIT_AUTH && code != EXIT_ENDPOINT) {
		if (unsent_kept)
			fprintf(stderr, "logmash: %llu logs not delivered yet: the next start sends them "
				"(%s records where to resume)\n", unsent,
				a->o.replay ? replayed : a->o.state_dir);
		else
			fprintf(stderr, "logmash: the %llu logs not delivered are not kept: give "
				"--state-dir DIR and the next start sends what one run could not\n", unsent);
	}
	const char *fate = !unsent ? "" : unsent_kept ? "; the next start sends them"
					 : "; they are not kept (--state-dir keeps them for the next run)";
	if (code == EXIT_AUTH)
		fprintf(stderr, "logmash: the API refused the credentials: %llu logs were not sent%s\n",
			unsent, fate);
	if (code == EXIT_ENDPOINT && send_state(a).unresolved)
		fprintf(stderr, "logmash: the API's host name does not resolve (check --url): %llu logs "
			"were not sent%s\n", unsent, fate);
	else if (code == EXIT_ENDPOINT)
		fprintf(stderr, "logmash: the API's URL is wrong (check --url and --api-version): "
			"%llu logs were not sent%s\n", unsent, fate);
	return code;
}

/* Everything, in the order that keeps each free safe. */
static void close_all(struct app *a)
{
	/* The sender first: its logs point into the input's sources. */
	sender_free(a->snd);
	deadletter_close(&a->dead);
	input_close(a->in);
	pipeline_free(&a->pl);
	if (!a->o.dry_run) {
		queue_free(&a->q);
		curl_global_cleanup();
	}
	pipeline_chains_free(&a->chains);
	script_template_free();
	close(a->sigfd);
	if (a->lock_fd >= 0)
		close(a->lock_fd); /* last: the checkpoints are saved */
	options_free(&a->o);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "check") == 0)
		return check_main(argc - 1, argv + 1);
	if (argc == 2 && strcmp(argv[1], "example-config") == 0) {
		options_print_example(stdout);
		return fflush(stdout) == 0 && !ferror(stdout) ? 0 : EXIT_USAGE;
	}
	if (argc > 1 && attach_command(argv[1]))
		return attach_main(argc - 1, argv + 1);
	crash_init();
	struct app a;
	memset(&a, 0, sizeof a);
	a.dead.fd = -1; /* not deadletter_enabled until one is opened */
	options_parse(&a.o, argc, argv, 0);
	errlog_init(1);
	struct buf err = {0};
	if (setup_templates(&a.o, &err) != 0)
		die(EXIT_USAGE, "%s", buf_cstr(&err));
	if (load_chains(&a, &a.o, &a.chains, &err) != 0)
		die(EXIT_USAGE, "script failed to load: %s", buf_cstr(&err));
	buf_free(&err);
	struct buf replayed = {0}; /* --replay's record of what it delivered */
	take_lock(&a, &replayed);
	start_sending(&a);
	a.sigfd = setup_signals();
	open_inputs(&a, buf_cstr(&replayed));
	if (a.snd)
		open_dead_letters(&a);
	a.started = now_wall();
	open_console(&a);
	run(&a);
	hold_final_screen(&a);
	sdnotify_close(a.sd);
	console_stop(a.con);
	control_close(a.ctl);
	metrics_server_stop(a.metrics);
	int code = report(&a, buf_cstr(&replayed));
	close_all(&a);
	buf_free(&replayed);
	wipe_stack();
	return code;
}

/* check.c - `logmash check`: a script chain tried on a sample, for the
 * operator at a terminal and in their own CI. It sends nothing. */
#include "check.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decoder.h"
#include "encoder.h"
#include "framer.h"
#include "options.h"
#include "pipeline.h"
#include "script.h"
#include "script_template.h"
#include "utf8.h"
#include "util.h"
#include "validate.h"

#define MAX_SCRIPTS 64
#define SHOW 72 /* characters of a message or value shown */

static const char usage_head[] =
"Usage: logmash check [OPTION]... [SCRIPT]... [< SAMPLE]\n"
"  or:  logmash check -c CONFIG --input NAME [OPTION]... [< SAMPLE]\n"
"  or:  logmash check -c CONFIG [RUN OPTION]... [--connect]\n"
"Load a chain of Lua scripts, report load errors with file and line, and run\n"
"the chain over the sample on standard input, printing each log before and\n"
"after, then what each script did. Nothing is sent. The sample is read as an\n"
"input reads its file: --format, --multiline and --encoding say how (one log\n"
"a line by default); with -c CONFIG --input NAME, as that input of the config\n"
"reads its files, through its own chain and then the config's.\n"
"\n"
"A SCRIPT is a filter or an enrich script, whichever function it defines;\n"
"the chain runs in the order given.\n";

static const char usage_tail[] =
"      --input NAME           with -c CONFIG: read the sample as the config's input\n"
"                             NAME does, through its chain and the config's\n"
"  -q, --quiet                print only what each script did\n"
"  -h, --help                 this text\n"
"\n"
"Exit status: 0 if the chain loaded and no script failed on the sample,\n"
"1 if a script failed on some log, 2 if a script failed to load.\n"
"\n"
"With -c CONFIG (or --connect), check a configuration instead, with the\n"
"options of a run: settings, scripts, inputs, the state dir, the token; with\n"
"--connect also the API (resolved, TLS, HTTP version, certificate; a GET\n"
"without credentials, no log sent). Exit 0 all well, 1 warnings, 2 errors.\n";

/* check's options. Those a run has too (-f, -e and the settings) are
 * described, in --help, by the run's own table. */
enum { OPT_SHARED = 256, OPT_INPUT };
static const struct option longs[] = {
	{"filter", required_argument, NULL, 'f'},
	{"enrich", required_argument, NULL, 'e'},
	{"format", required_argument, NULL, OPT_SHARED},
	{"multiline", required_argument, NULL, OPT_SHARED},
	{"multiline-start", required_argument, NULL, OPT_SHARED},
	{"multiline-max-lines", required_argument, NULL, OPT_SHARED},
	{"encoding", required_argument, NULL, OPT_SHARED},
	{"max-line-bytes", required_argument, NULL, OPT_SHARED},
	{"config", required_argument, NULL, 'c'},
	{"input", required_argument, NULL, OPT_INPUT},
	{"script-memory", required_argument, NULL, OPT_SHARED},
	{"script-budget", required_argument, NULL, OPT_SHARED},
	{"unsafe-scripts", no_argument, NULL, OPT_SHARED},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static void usage(void)
{
	fputs(usage_head, stdout);
	for (const struct option *l = longs; l->name; l++)
		if (l->val == 'f' || l->val == 'e' || l->val == OPT_SHARED)
			options_help(stdout, l->name);
	fputs(usage_tail, stdout);
}

struct check {
	struct script_spec specs[MAX_SCRIPTS];
	size_t n;
	int quiet;
	int rules;             /* --format, --multiline or --encoding given */
	const char *config, *input;
	const struct input_spec *spec; /* the input the sample is read as */
	struct decoder_rule dr;
	struct pipeline_items items; /* what each log starts with */
	/* Errors of the log being run, printed under it. */
	char errors[4][300];
	size_t n_errors, more_errors;
};

static void on_error(void *ctx, const char *msg, const char *failed_on)
{
	(void)failed_on; /* check prints each error under its line */
	struct check *k = ctx;
	if (k->n_errors < ARRAY_LEN(k->errors))
		snprintf(k->errors[k->n_errors++], sizeof k->errors[0], "%s", msg);
	else
		k->more_errors++;
}

static void on_log(void *ctx, const char *script, const char *msg)
{
	(void)ctx;
	printf("  log: %s: %s\n", script, msg);
}

static _Noreturn void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static _Noreturn void usage_error(const char *fmt, ...)
{
	fprintf(stderr, "logmash check: ");
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'logmash check --help'.\n");
	exit(EXIT_USAGE);
}

static void add(struct check *k, enum script_kind kind, const char *path)
{
	if (k->n == MAX_SCRIPTS)
		usage_error("too many scripts");
	k->specs[k->n++] = (struct script_spec){kind, path};
}

/* s as a JSON string (unambiguous, whatever bytes it holds), cut after
 * SHOW bytes at a character boundary. */
static void show(const char *label, const char *s, size_t n)
{
	static struct buf b;
	size_t cut = n > SHOW ? utf8_cut(s, n, SHOW) : n;
	b.len = 0;
	encode_string(&b, s, cut);
	printf("%s%.*s%s", label, (int)b.len, b.data, cut < n ? "..." : "");
}

static void print_result(const struct record *in_msg, const struct record *r)
{
	printf("  kept: level %s", r->level == LEVEL_NONE ? "none" : level_name(r->level));
	printf(", items {");
	for (size_t i = 0; i < r->n_items; i++) {
		printf("%s%.*s=", i ? ", " : "", (int)r->items[i].key_len, r->items[i].key);
		show("", r->items[i].val, r->items[i].val_len);
	}
	printf("}");
	if (r->message_len != in_msg->message_len ||
	    memcmp(r->message, in_msg->message, r->message_len) != 0)
		show(", message ", r->message, r->message_len);
	printf("\n");
}

/* One log of the sample through the chain (NULL: none). */
static void run_log(struct check *k, struct script_chain *c, const struct frame *fr,
		    uint64_t *kept)
{
	struct record in = {.message = fr->line, .message_len = fr->len, .source = "-",
			    .line = fr->number, .time = now_wall()};
	pipeline_start_items(&k->items, k->spec, NULL, fr->stream, NULL); /* a sample has no path */
	in.items = k->items.v;
	in.n_items = k->items.n;
	struct record r = in;
	k->n_errors = k->more_errors = 0;
	if (!k->quiet) {
		printf("line %llu: ", (unsigned long long)fr->number);
		show("", fr->line, fr->len);
		printf("\n");
	}
	script_template_log_start();
	enum script_verdict v = c ? script_chain_run(c, &r) : SCRIPT_KEEP;
	if (v == SCRIPT_KEEP)
		(*kept)++;
	if (k->quiet)
		return;
	for (size_t i = 0; i < k->n_errors; i++)
		printf("  error: %s (the log went on as it entered that script)\n", k->errors[i]);
	if (k->more_errors)
		printf("  (%zu more errors)\n", k->more_errors);
	if (v == SCRIPT_DROP)
		printf("  dropped by %s\n", script_chain_dropped_by(c));
	else
		print_result(&in, &r);
	/* Of the message as it came, as logmash.template would answer. */
	const struct template_info *t = template_mine(script_template_miner(), fr->line, fr->len,
						      in.time);
	script_template_verdict(v == SCRIPT_KEEP);
	printf("  template %s: %s\n", t->id, t->text);
}

/* Runs the sample on standard input through the input's rules and the
 * chain; returns the number of logs. */
static uint64_t run_sample(struct check *k, struct script_chain *c, uint64_t *kept)
{
	struct framer f;
	struct decoder d;
	char why[512];
	framer_init(&f, k->dr.max_bytes);
	if (decoder_init(&d, &k->dr, 0, why, sizeof why) != 0)
		die(EXIT_USAGE, "check: %s", why); /* checked when the rule was made */
	static char chunk[65536];
	uint64_t logs = 0;
	struct frame fr, out;
	double t;
	for (int eof = 0; !eof;) {
		ssize_t got = read(0, chunk, sizeof chunk);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			die(EXIT_USAGE, "check: cannot read the sample: %s", strerror(errno));
		if (got == 0) {
			framer_finish(&f);
			eof = 1;
		} else {
			framer_feed(&f, chunk, (size_t)got);
		}
		while (framer_next(&f, &fr))
			if (decoder_push(&d, &fr, now_wall(), now_mono_ms(), &out, &t)) {
				logs++;
				run_log(k, c, &out, kept);
			}
	}
	while (decoder_flush(&d, now_mono_ms(), &out, &t)) {
		logs++;
		run_log(k, c, &out, kept);
	}
	if (d.not_format && !k->quiet)
		printf("(%llu line%s not in %s format, sent as %s)\n",
		       (unsigned long long)d.not_format, d.not_format == 1 ? "" : "s",
		       decoder_format_name(k->dr.format), d.not_format == 1 ? "it is" : "they are");
	decoder_free(&d);
	framer_free(&f);
	return logs;
}

/* The script trial's arguments into k and o; 1 when --help was asked. The
 * settings a run shares with check are parsed, with their bounds and
 * defaults, by the run's own table (options_set). */
static int parse_args(struct check *k, struct options *o, int argc, char **argv)
{
	int c, at;
	char why[256];
	optind = 1;
	argv[0] = "logmash check"; /* for getopt's messages */
	/* "-": positional scripts keep their place among -f and -e. */
	while ((c = getopt_long(argc, argv, "-f:e:c:qh", longs, &at)) != -1) {
		switch (c) {
		case 1: add(k, SCRIPT_AUTO, optarg); break;
		case 'c': k->config = optarg; break;
		case OPT_INPUT: k->input = optarg; break;
		case 'f': add(k, SCRIPT_FILTER, optarg); break;
		case 'e': add(k, SCRIPT_ENRICH, optarg); break;
		case 'q': k->quiet = 1; break;
		case 'h': usage(); return 1;
		case OPT_SHARED:
			if (options_set(o, longs[at].name, optarg, why, sizeof why) != 0)
				usage_error("%s", why);
			k->rules |= !strcmp(longs[at].name, "format") ||
				    !strncmp(longs[at].name, "multiline", 9) ||
				    !strcmp(longs[at].name, "encoding");
			break;
		default: usage_error("unknown option"); /* getopt said which */
		}
	}
	return 0;
}

/* The config's input k->input: its scripts, then the config's, into k.
 * Returns its index. */
static size_t take_input(struct check *k, struct options *o)
{
	char why[PATH_MAX + 512];
	if (options_load_config(o, k->config, why, sizeof why) != 0) {
		fprintf(stderr, "logmash check: %s\n", why);
		exit(EXIT_USAGE);
	}
	for (size_t i = 0; i < o->n_inputs; i++) {
		const struct input_spec *sp = &o->inputs[i];
		if (strcmp(input_spec_name(sp), k->input) != 0)
			continue;
		for (size_t j = 0; j < sp->n_scripts; j++)
			add(k, sp->scripts[j].kind, sp->scripts[j].path);
		for (size_t j = 0; j < o->n_scripts; j++)
			add(k, o->scripts[j].kind, o->scripts[j].path);
		return i;
	}
	struct buf names = {0};
	for (size_t i = 0; i < o->n_inputs; i++)
		buf_printf(&names, "%s%s", i ? ", " : "", input_spec_name(&o->inputs[i]));
	fprintf(stderr, "logmash check: %s has no input named '%s' (its inputs: %s)\n", k->config,
		k->input, names.len ? buf_cstr(&names) : "none");
	exit(EXIT_USAGE);
}

static void check_free(struct check *k, struct input_spec *sample, struct options *o)
{
	multiline_free(&k->dr.ml);
	free(k->items.v);
	input_spec_free(sample);
	options_free(o); /* last: k's scripts may be the config's */
}

int check_main(int argc, char **argv)
{
	if (validate_wanted(argc, argv))
		return validate_main(argc, argv);
	struct check k = {0};
	struct options o;
	options_defaults(&o);
	int help = parse_args(&k, &o, argc, argv);
	struct script_opts so = {.memory_limit = o.script_memory, .budget = o.script_budget,
				 .unsafe = o.unsafe_scripts, .on_error = on_error, .on_log = on_log,
				 .ctx = &k};
	so.volume_keys_max = (size_t)o.volume_keys_max;
	if (help) {
		options_free(&o);
		return 0;
	}
	if (k.input && !k.config)
		usage_error("--input NAME is an input of a config file: give -c CONFIG too");
	if (k.config && !k.input) /* validate_main takes -c without --input */
		usage_error("-c CONFIG with a sample: give --input NAME");
	struct input_spec sample;
	input_spec_init(&sample);
	input_spec_add_path(&sample, "-");
	struct input_opts io = options_input_opts(&o);
	io.specs = &sample;
	io.n = 1;
	size_t at = 0;
	if (k.config) {
		at = take_input(&k, &o);
		io = options_input_opts(&o);
	}
	k.spec = &io.specs[at];
	if (k.n == 0 && !k.rules && !k.config)
		usage_error("name at least one script (or say how to read the sample: --format, "
			    "--multiline, --encoding)");
	struct buf err = {0};
	if (input_decoder_rule(&io, at, &k.dr, &err) != 0) {
		fprintf(stderr, "logmash check: %s\n", buf_cstr(&err));
		buf_free(&err);
		input_spec_free(&sample);
		options_free(&o);
		return EXIT_USAGE;
	}
	/* The config's masks; check keeps no state: ids start afresh. */
	struct script_template_opts to = {.max = (size_t)o.template_max, .masks = o.template_masks,
					  .n_masks = o.n_template_masks};
	if (script_template_setup(&to, &err) != 0) {
		fprintf(stderr, "logmash check: %s\n", buf_cstr(&err));
		buf_free(&err);
		check_free(&k, &sample, &o);
		return EXIT_USAGE;
	}
	so.specs = k.specs;
	so.n = k.n;
	struct script_chain *chain = k.n ? script_chain_load(&so, &err) : NULL;
	if (k.n && !chain) {
		fprintf(stderr, "logmash check: script failed to load: %s\n", buf_cstr(&err));
		buf_free(&err);
		check_free(&k, &sample, &o);
		return EXIT_USAGE;
	}
	buf_free(&err);
	uint64_t lines = 0, kept = 0;
	if (!isatty(0))
		lines = run_sample(&k, chain, &kept);
	if (!k.quiet && lines)
		printf("\n");
	printf("scripts:\n");
	uint64_t errors = 0;
	for (size_t i = 0; chain && i < script_chain_len(chain); i++) {
		const struct script_stat *st = script_chain_stat(chain, i);
		errors += st->errors;
		printf("  %s %s: %llu call%s", script_kind_name(st->kind), st->path,
		       (unsigned long long)st->calls, st->calls == 1 ? "" : "s");
		if (st->kind == SCRIPT_FILTER || st->dropped)
			printf(", %llu dropped", (unsigned long long)st->dropped);
		printf(", %llu error%s", (unsigned long long)st->errors, st->errors == 1 ? "" : "s");
		struct volume_totals vt;
		script_chain_volume(chain, i, &vt);
		if (vt.kept || vt.dropped)
			printf("; throttle, sample and dedupe: %llu kept, %llu dropped",
			       (unsigned long long)vt.kept, (unsigned long long)vt.dropped);
		printf("\n");
		if (st->errors)
			printf("    last error: %s (line %llu: \"%s\")\n", st->last_error,
			       (unsigned long long)st->excerpt_line, st->excerpt);
	}
	if (isatty(0))
		printf("loaded; no sample (give one on standard input: logmash check ... < sample.log)\n");
	else
		printf("sample: %llu log%s, %llu kept, %llu dropped, %llu script error%s\n",
		       (unsigned long long)lines, lines == 1 ? "" : "s", (unsigned long long)kept,
		       (unsigned long long)(lines - kept), (unsigned long long)errors,
		       errors == 1 ? "" : "s");
	script_chain_free(chain);
	script_template_free();
	check_free(&k, &sample, &o);
	if (fflush(stdout) != 0)
		die(EXIT_USAGE, "check: cannot write the report: %s", strerror(errno));
	return errors ? EXIT_UNDELIVERED : 0;
}

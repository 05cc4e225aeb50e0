/* options.h - logmash's settings: defaults, the Lua config file, the
 * environment and the command line, in rising order of precedence.
 *
 * The token is taken only from CODEMASH_TOKEN or a token file, never from
 * an argument, where ps would show it. */
#ifndef LOGMASH_OPTIONS_H
#define LOGMASH_OPTIONS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "input.h"
#include "script.h"

struct options {
	char *url;
	char *api_version;
	char *project_id;
	char *token; /* secret: wiped by options_free */
	char *token_file;
	char *config_file;

	struct script_spec *scripts;
	size_t n_scripts;
	int scripts_from_cli;   /* -f/-e given: the config's list is not used */
	struct input_spec *inputs; /* the command line's paths, or the config's inputs */
	size_t n_inputs;

	size_t max_line_bytes;
	long max_in_flight;     /* the ceiling of the adaptive limit, or the fixed limit */
	char *concurrency;      /* "adaptive" or "fixed" */
	long max_connections;   /* to the API at once; 0: 4 over HTTP/2, 128 over HTTP/1.1 */
	char *ca_file;          /* PEM bundle to trust instead of the system's */
	int insecure;           /* no TLS verification: warned of at start and on screen */
	long send_threads;      /* 0: chosen from the CPU count */
	long max_retries; /* -1: retry transient failures until they succeed */
	double timeout;
	double connect_timeout;
	double drain_timeout;
	size_t script_memory;
	int unsafe_scripts;
	long script_budget;     /* VM instructions a script call may run; 0: no limit */
	long volume_keys_max;   /* keys each script's throttle, sample and dedupe keep */
	long template_max;      /* groups the template miner keeps */
	char **template_masks;  /* extra PCRE2 masks of the miner */
	size_t n_template_masks;
	int template_masks_from_cli; /* --template-mask given: the config's list is not used */
	int dry_run;
	int no_tui;             /* no dashboard even on a terminal */
	double status_interval; /* headless status line period; 0: none */
	char *status_format;    /* "text" or "json" */

	/* Following files. */
	int follow;
	int from_start;
	char *state_dir;
	char *control_socket;   /* NULL: STATE_DIR/control.sock; "none": off */
	char *control_group;    /* may use the control socket too */
	double control_stall;   /* a client taking nothing this long is dropped */
	char *metrics_listen;   /* ADDR:PORT of /metrics and /health, or NULL */
	double rotate_wait;
	double close_inactive;
	double flush_partial;
	char *format;           /* the inputs' format: lines, cri, docker */
	char *multiline;        /* the inputs' multi-line preset, or NULL */
	char *encoding;         /* the inputs' encoding, or NULL (UTF-8) */
	char *multiline_start;
	double multiline_timeout;
	long multiline_max_lines;

	/* Delivery. */
	double retry_base;
	double retry_max;
	double rate_limit;
	int http2_prior_knowledge;
	char *dead_letter;
	size_t dead_letter_max_bytes;
	long dead_letter_keep;
	char *replay;
	long queue_max;
	size_t queue_max_bytes;
	size_t spool_max_bytes;

	/* Where the values came from, for a reload: bit i is settings[i]. */
	uint64_t cli_given;     /* set on the command line (which wins) */
	uint64_t cfg_given;     /* set in the config file */
	int inputs_from_cli;    /* the command line named the inputs */
	/* options_parse's checking, for `logmash check -c`: a missing or
	 * unreadable token and a missing project id are its verdicts to
	 * report, beside the rest, not a reason to stop at the first. */
	int checking;
	/* --journal, --journal-directory and --journal-match, until they are
	 * an input (NULL: none given); named: the first two. */
	struct input_spec *cli_journal;
	int cli_journal_named;
	int token_from_env;     /* the token is CODEMASH_TOKEN's (gone from the environment) */
	int token_file_from_cli;
};

/* Fills o from argv, the config file and the environment. Prints --help or
 * --version and exits 0 for those; exits EXIT_USAGE with a message that says
 * what to do on any error. */
/* Every setting at its default (the settings table's). */
void options_defaults(struct options *o);

/* Sets the setting --name (a flag ignores val) as the command line would.
 * 0, or -1 with the reason in why. */
int options_set(struct options *o, const char *name, const char *val, char *why, size_t n);

/* Writes --name's line of --help to out (for another command's help). */
void options_help(FILE *out, const char *name);

/* The command line over the config file over the defaults, checked; a
 * mistake exits 2 with its message. checking: for `logmash check -c`
 * (o->checking). */
void options_parse(struct options *o, int argc, char **argv, int checking);

/* Appends what the run will do, in one line for the journal (no newline;
 * never the token): version, endpoint, project, scripts, sources, state. */
void options_describe(struct buf *b, const struct options *o);

/* Reads the Lua config file into o (options_parse does, for --config).
 * 0, or -1 with the reason in why; o may then hold some of its settings. */
int options_load_config(struct options *o, const char *file, char *why, size_t n);
void options_free(struct options *o);

/* The input stage's settings in o (paths, rules, timers); the caller adds
 * the state directory's. */
struct input_opts options_input_opts(const struct options *o);

/* Whether standard input ("-") is one of o's inputs. */
int options_reads_stdin(const struct options *o);

/* `logmash example-config`: a config file with every setting, its help and
 * its default (settings_example.c). */
void options_print_example(FILE *out);

/* A reload (SIGHUP): next is cur's command line over the config file as it
 * is now, or cur's settings when there is none (and the token file read
 * again, from either). 0, or -1 with the reason in why
 * (next is then freed); what the config sets and the command line
 * overrides is told in notes, a line each. */
int options_reload(const struct options *cur, struct options *next, struct buf *notes, char *why,
		   size_t n);

/* What a reload changed, for its caller to apply (options_adopt). */
enum { ADOPT_SENDER = 1, ADOPT_INPUT = 2, ADOPT_DEAD_LETTERS = 4, ADOPT_SCRIPTS = 8,
       ADOPT_TOKEN = 16 /* with ADOPT_SENDER */ };

/* Takes into cur what a reload may change of next (options_reload's):
 * each setting that differs moves into cur (its old value into next, to
 * be freed with it), and is listed in changed ("url https://b, inputs");
 * a setting that takes a restart stays, with a line in notes ("state_dir
 * changed in CONFIG to B: restart to apply it (still A)"), as does a
 * max_in_flight above max_in_flight_cap. Returns the ADOPT_ parts that
 * changed. The script list always moves into cur (a caller's chain loaded
 * from next's points at its paths), listed only when it differs. */
unsigned options_adopt(struct options *cur, struct options *next, long max_in_flight_cap,
		       struct buf *changed, struct buf *notes);

/* Reads the token file again (SIGHUP). Returns 0, or -1 with the reason
 * in why (the old token stays). */
int options_reload_token(struct options *o, char *why, size_t n);

void options_free_scripts(struct script_spec *s, size_t n);

/* Parses "1048576", "64K", "1M", "2G" (also KiB, MiB, GiB). 0 or -1. */
int parse_size(const char *s, size_t *out);

#endif

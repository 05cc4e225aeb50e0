/* settings.h - shared by options*.c, config.c, settings*.c and token.c only: the table of
 * every option, one row each with its default, bounds, section and help, so
 * that parsing, defaults, --help and the config file cannot drift apart.
 * A setting (any kind but K_CLI) is taken by the config file too, its key
 * the option's name with '_' for '-'. The man page is checked against the
 * table (tests/integration/test_cli.py). */
#ifndef LOGMASH_SETTINGS_H
#define LOGMASH_SETTINGS_H

#include <stddef.h>
#include <stdio.h>

#include "options.h"

/* K_SECONDS_OFF: seconds, or 0 for "never". K_CLI: the command line's
 * own (options.c acts on it), not a config-file setting. */
enum kind { K_FLAG, K_STRING, K_PATH, K_SIZE, K_LONG, K_SECONDS, K_SECONDS_OFF, K_RATE, K_CLI };

/* --help's sections, in order (section_title). */
enum section { SEC_API, SEC_SCRIPTS, SEC_INPUT, SEC_SENDING, SEC_CONSOLE, SEC_WATCHING,
	       SEC_GENERAL, N_SECTIONS };

/* getopt's values of the K_CLI options without a short letter. */
enum { OPT_TOKEN_FILE = 256, OPT_TOKEN, OPT_DRY_RUN, OPT_REPLAY, OPT_TEMPLATE_MASK,
       OPT_JOURNAL, OPT_JOURNAL_DIRECTORY, OPT_JOURNAL_MATCH, OPT_SETTING = 512 };

struct setting {
	const char *name;
	int short_opt;     /* the short option, or (K_CLI) getopt's value; 0: none */
	enum kind kind;
	size_t off;        /* the field in struct options */
	double min, max;   /* for numbers */
	const char *def;   /* the default, as it would be given; NULL: none (0, off) */
	const char *arg;   /* the value's name in --help; NULL: none, "[X]": optional */
	enum section sec;
	const char *help;  /* NULL: left out of --help */
	int restart;       /* a reload cannot change it: the running value stays */
};

extern const struct setting settings[];
extern const size_t n_settings;

extern const char *const section_title[N_SECTIONS];

/* The setting whose config key (the option's name, '_' for '-') is key. */
const struct setting *setting_for_key(const char *key);

/* Sets one setting from its text; config names the file it came from (for
 * relative paths), or is NULL on the command line. 0, or -1 with the
 * reason in why for a bad value. */
int setting_apply(struct options *o, const struct setting *st, const char *val, const char *config,
		  char *why, size_t n);

/* The row of the option named name (the long name), or NULL. */
const struct setting *setting_named(const char *name);

/* Writes st's --help entry: "  -f, --filter FILE", its help and default,
 * wrapped at 80 columns. */
void setting_help(FILE *out, const struct setting *st);

/* Whether st has the same value in a and b. */
int setting_same(const struct setting *st, const struct options *a, const struct options *b);

/* Swaps st's values between a and b (a string moves; nothing is copied). */
void setting_swap(const struct setting *st, struct options *a, struct options *b);

/* Sets st in dst to its value in src (a string is copied). */
void setting_copy(const struct setting *st, struct options *dst, const struct options *src);

/* st's value in o as text, as it would be given ("unset" when unset). */
void setting_text(const struct setting *st, const struct options *o, char *out, size_t n);

/* st's config key: its name with '_' for '-'. */
void setting_key(const struct setting *st, char *out, size_t n);

/* A path in the config file is relative to the config file's folder. */
char *settings_path(const char *config, const char *p);

void options_set_str(char **dst, const char *v);
void options_add_script(struct options *o, enum script_kind k, const char *path);
void options_clear_scripts(struct options *o);
void options_add_template_mask(struct options *o, const char *regex);
void options_clear_template_masks(struct options *o);
void options_add_input(struct options *o, const char *path);
/* A new input spec at the end of o's, every rule left to the globals. */
struct input_spec *options_add_spec(struct options *o);
void options_clear_inputs(struct options *o);

/* What the settings must be together (the URL, formats, the token, the
 * inputs), wherever they came from. 0, or -1 with the reason in why. */
int options_check(struct options *o, char *why, size_t n);

/* The token in path, or NULL with the reason in why. */
char *token_load(const char *path, char *why, size_t whylen);

#endif

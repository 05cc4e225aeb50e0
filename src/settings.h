/* settings.h - shared by options.c, config.c and token.c only: the table of
 * settings that both the command line (--rate-limit) and the config file
 * (rate_limit) take, one row each, so that their parsing and bounds cannot
 * drift apart. The config key is the option's name with '_' for '-'. */
#ifndef LOGMASH_SETTINGS_H
#define LOGMASH_SETTINGS_H

#include <stddef.h>

#include "options.h"

/* K_SECONDS_OFF: seconds, or 0 for "never". */
enum kind { K_FLAG, K_STRING, K_PATH, K_SIZE, K_LONG, K_SECONDS, K_SECONDS_OFF, K_RATE };

struct setting {
	const char *name;
	enum kind kind;
	size_t off;      /* the field in struct options */
	double min, max; /* for numbers */
};

extern const struct setting settings[];
extern const size_t n_settings;

/* The setting whose config key (the option's name, '_' for '-') is key. */
const struct setting *setting_for_key(const char *key);

/* Sets one setting from its text; config names the file it came from (for
 * relative paths), or is NULL on the command line. 0, or -1 with the
 * reason in why for a bad value. */
int setting_apply(struct options *o, const struct setting *st, const char *val, const char *config,
		  char *why, size_t n);

/* A path in the config file is relative to the config file's folder. */
char *settings_path(const char *config, const char *p);

void options_set_str(char **dst, const char *v);
void options_add_script(struct options *o, enum script_kind k, const char *path);
void options_clear_scripts(struct options *o);
void options_add_input(struct options *o, const char *path);
void options_clear_inputs(struct options *o);

/* Loads the config file into o, or exits with its error (EXIT_USAGE). */
void options_load_config_or_die(struct options *o, const char *file);

/* The token in path, or NULL with the reason in why. */
char *token_load(const char *path, char *why, size_t whylen);
/* The same, or exits with the reason. */
char *token_read_or_die(const char *path);

#endif

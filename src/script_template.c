/* script_template.c - logmash.template (see script_template.h). */
#include "script_template.h"

#include <errno.h>
#include <lauxlib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "errlog.h"
#include "util.h"

/* Scripts run on the pipeline's thread only: no lock. */
static struct template_miner *miner;
static char *state_file;   /* NULL: nothing kept */
static int save_failed;    /* the last save did not land: try again */

static void load(const char *file)
{
	struct buf text = {0}, why = {0};
	int rc = atomicfile_read(file, SIZE_MAX, &text);
	if (rc == -1 && errno != ENOENT)
		errlog_add(ERR_CHECKPOINT, "cannot read the templates kept in %s: %s (ids "
			   "start afresh)", file, strerror(errno));
	if (rc == -2)
		errlog_add(ERR_CHECKPOINT, "cannot read the templates kept in %s: %s (kept what "
			   "was read)", file, strerror(errno));
	if (rc != -1 &&
	    template_parse(miner, text.data ? text.data : "", text.len, &why) != 0)
		errlog_add(ERR_CHECKPOINT, "%s: %s (kept the templates before it; the file is "
			   "written anew)", file, buf_cstr(&why));
	buf_free(&text);
	buf_free(&why);
}

int script_template_setup(const struct script_template_opts *o, struct buf *err)
{
	script_template_free();
	miner = template_miner_new(o->max ? o->max : TEMPLATE_MAX_DEFAULT);
	for (size_t i = 0; i < o->n_masks; i++) {
		struct buf why = {0};
		if (template_miner_add_mask(miner, o->masks[i], &why) != 0) {
			buf_printf(err, "template_masks[%zu]: %s", i + 1, buf_cstr(&why));
			buf_free(&why);
			script_template_free();
			return -1;
		}
	}
	if (o->state_dir) {
		struct buf path = {0};
		buf_printf(&path, "%s/templates", o->state_dir);
		load(buf_cstr(&path));
		if (o->save)
			state_file = xstrdup(buf_cstr(&path));
		buf_free(&path);
	}
	return 0;
}

struct template_miner *script_template_miner(void)
{
	if (!miner)
		miner = template_miner_new(TEMPLATE_MAX_DEFAULT);
	return miner;
}

void script_template_save(void)
{
	if (!miner || !state_file || !(template_dirty(miner) || save_failed))
		return;
	struct buf text = {0};
	template_format(miner, &text);
	int rc = atomicfile_write(state_file, text.data, text.len);
	buf_free(&text);
	if (rc < 0 && !save_failed)
		errlog_add(ERR_CHECKPOINT, "cannot save the templates in %s: %s (the old file stays; "
			   "trying again)", state_file, strerror(errno));
	save_failed = rc < 0;
}

void script_template_log_start(void)
{
	if (miner)
		template_log_start(miner);
}

void script_template_verdict(int kept)
{
	if (miner)
		template_verdict(miner, kept);
}

void script_template_free(void)
{
	script_template_save();
	template_miner_free(miner);
	miner = NULL;
	free(state_file);
	state_file = NULL;
	save_failed = 0;
}

/* logmash.template(message) -> id, template */
static int l_template(lua_State *L)
{
	size_t n;
	const char *msg = luaL_checklstring(L, 1, &n);
	const struct template_info *in = template_mine(script_template_miner(), msg, n, now_wall());
	lua_pushlstring(L, in->id, TEMPLATE_ID_LEN);
	lua_pushlstring(L, in->text, in->text_len);
	return 2;
}

void script_template_push(lua_State *L)
{
	lua_pushcfunction(L, l_template);
}

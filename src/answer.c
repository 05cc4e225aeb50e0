/* answer.c - Logs API answers to operator-facing words. */
#include "answer.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "encoder.h"
#include "utf8.h"

/* Copies the string member key of obj into out, printable; 0 if present. */
static int member(struct json_doc *d, int obj, const char *key, struct buf *tmp,
		  char *out, size_t outsz)
{
	if (json_string(d, json_get(d, obj, key), tmp) != 0 || tmp->len == 0)
		return -1;
	printable_excerpt(out, outsz, tmp->data, tmp->len);
	return 0;
}

void answer_parse(long status, const char *body, size_t len, struct answer *a,
		  struct json_doc *d)
{
	struct buf tmp = {0};
	memset(a, 0, sizeof *a);
	int parsed = len > 0 && json_parse(d, body, len, 4096) == 0;

	if (status >= 200 && status < 300) {
		if (parsed && member(d, 0, "result", &tmp, a->id, sizeof a->id) == 0)
			a->ok = 1;
		else
			snprintf(a->detail, sizeof a->detail,
				 "the API answered %ld without a log id in \"result\"", status);
		buf_free(&tmp);
		return;
	}

	/* Sized so that code: msg - field always fits in detail. */
	char code[96] = "", msg[256] = "", field[128] = "";
	int rs = parsed ? json_get(d, 0, "responseStatus") : -1;
	if (rs < 0 && parsed)
		rs = json_get(d, 0, "ResponseStatus"); /* ServiceStack's own casing */
	if (rs >= 0) {
		member(d, rs, "errorCode", &tmp, code, sizeof code);
		member(d, rs, "message", &tmp, msg, sizeof msg);
		int errs = json_get(d, rs, "errors");
		if (errs >= 0 && d->tok[errs].type == JSMN_ARRAY && d->tok[errs].size > 0)
			member(d, errs + 1, "message", &tmp, field, sizeof field);
	}
	if (code[0] || msg[0]) {
		snprintf(a->detail, sizeof a->detail, "%s%s%s%s%s", code,
			 code[0] && msg[0] ? ": " : "", msg,
			 field[0] && strcmp(field, msg) != 0 ? " - " : "",
			 field[0] && strcmp(field, msg) != 0 ? field : "");
	} else if (len == 0) {
		snprintf(a->detail, sizeof a->detail, "no error details in the answer");
	} else {
		char ex[200];
		printable_excerpt(ex, sizeof ex, body, len);
		snprintf(a->detail, sizeof a->detail, "answer was not a ServiceStack error: %s", ex);
	}
	buf_free(&tmp);
}

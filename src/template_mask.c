/* template_mask.c - tokens and their variable parts (see template_mask.h).
 *
 * Byte loops, no regex: this runs on every log. A token is its leading
 * brackets and quotes, a core, and its trailing punctuation. The core is
 * cut into words at delimiters (= : , / and the like); a word is variable
 * when it has a digit (numbers, hex, addresses, UUIDs, ids, versions) or is
 * a host name; a core that is a path or a URL is variable whole, and a core
 * left with no letter ("<*>:<*>", "<*>.<*>") becomes one <*>. A variable
 * followed by a unit ("12 ms", "1.5 KB", "3 bytes") is one variable. */
#include "template_mask.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' ||
	       c == '\0';
}

static int is_lead(unsigned char c)
{
	return c == '(' || c == '[' || c == '{' || c == '<' || c == '"' || c == '\'';
}

static int is_trail(unsigned char c)
{
	return c == ')' || c == ']' || c == '}' || c == '>' || c == '"' || c == '\'' ||
	       c == ',' || c == ';' || c == ':' || c == '.' || c == '!' || c == '?';
}

/* Where a token's core is cut into words: a table, since this is asked
 * of every byte. */
static const unsigned char DELIMS[256] = {
	['='] = 1, [':'] = 1, [','] = 1, ['/'] = 1, ['|'] = 1, ['@'] = 1, ['('] = 1, [')'] = 1,
	['['] = 1, [']'] = 1, ['{'] = 1, ['}'] = 1, ['<'] = 1, ['>'] = 1, ['"'] = 1, ['\''] = 1,
	[';'] = 1, ['#'] = 1, ['&'] = 1, ['?'] = 1, ['!'] = 1, ['*'] = 1, ['+'] = 1, ['\\'] = 1,
};

static int is_delim(unsigned char c)
{
	return DELIMS[c];
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Room for n more bytes. Never a NULL buffer, even for an empty token: a
 * token is read as buf + off. It moves the buffer: a pointer into it is
 * taken after. */
static void reserve(struct template_tokens *t, size_t n)
{
	if (t->used + n > t->cap || !t->buf) {
		t->cap = (t->used + n) * 2 + 256;
		t->buf = xrealloc(t->buf, t->cap);
	}
}

/* s must not point into t->buf unless reserve made room first. */
static void put(struct template_tokens *t, const char *s, size_t n)
{
	reserve(t, n);
	memcpy(t->buf + t->used, s, n);
	t->used += n;
}

static const char WILD[] = "<*>";

/* A word list with the lengths known, for the lookups asked of every word. */
struct word {
	const char *s;
	size_t n;
};
#define W(lit) {lit, sizeof(lit) - 1}

static int in_words(const struct word *w, size_t count, const char *s, size_t n)
{
	for (size_t i = 0; i < count; i++)
		if (w[i].n == n && memcmp(w[i].s, s, n) == 0)
			return 1;
	return 0;
}

/* The top-level domains host names here end with; a dotted word ending in
 * one is a host name, not a Java class or a file. */
static int is_tld(const char *s, size_t n)
{
	static const struct word tlds[] = {W("com"), W("net"), W("org"), W("edu"), W("gov"),
					   W("io"), W("hk"), W("cn"), W("uk"), W("de"), W("jp"),
					   W("ru"), W("fr"), W("local"), W("lan"), W("internal"),
					   W("localdomain"), W("arpa")};
	return in_words(tlds, sizeof tlds / sizeof *tlds, s, n);
}

/* A word with a digit, a host name (lower-case labels ending in a TLD) or
 * a long run of hex. */
static int word_is_variable(const char *s, size_t n)
{
	size_t dots = 0, hex = 0, last = 0;
	int lower = 1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (is_digit(c))
			return 1;
		if (c == '.') {
			dots++;
			last = i + 1;
		} else if (c >= 'A' && c <= 'Z') {
			lower = 0;
		}
		hex += (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
	}
	if (hex == n && n >= 8)
		return 1;
	if (!lower || dots == 0 || last >= n || s[0] == '.')
		return 0;
	/* "example.com"; "a.b.example" too, but not "org.apache.hadoop" (a
	 * reversed name starts with its top-level domain). */
	size_t first = (size_t)((const char *)memchr(s, '.', n) - s);
	return is_tld(s + last, n - last) || (dots >= 2 && !is_tld(s, first));
}

/* A path ("/a/b", "./a", "~/a", "C:\a") or a URL: variable whole. */
static int core_is_path(const char *s, size_t n)
{
	if (n >= 3 && is_alpha((unsigned char)s[0]) && s[1] == ':' && s[2] == '\\')
		return 1;
	if (n >= 2 && (s[0] == '.' || s[0] == '~') && s[1] == '/')
		return 1;
	if (n >= 3 && s[0] == '/') {
		size_t slashes = 0;
		for (size_t i = 0; i < n; i++)
			slashes += s[i] == '/';
		if (slashes >= 2)
			return 1;
	}
	for (size_t i = 1; i + 2 < n; i++)
		if (s[i] == ':' && s[i + 1] == '/' && s[i + 2] == '/')
			return 1;
	/* HOST:PORT */
	size_t c = 0;
	while (c < n && (is_alpha((unsigned char)s[c]) || is_digit((unsigned char)s[c]) ||
			 s[c] == '.' || s[c] == '-' || s[c] == '_'))
		c++;
	if (c == 0 || c + 1 >= n || s[c] != ':' || n - c - 1 > 5)
		return 0;
	for (size_t i = c + 1; i < n; i++)
		if (!is_digit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Units a number before them measures: the number and its unit are one
 * variable. */
static int is_unit(const char *s, size_t n)
{
	static const struct word units[] = {
		W("b"), W("kb"), W("mb"), W("gb"), W("tb"), W("kib"), W("mib"), W("gib"),
		W("bytes"), W("byte"), W("ms"), W("us"), W("ns"), W("s"), W("sec"), W("secs"),
		W("second"), W("seconds"), W("min"), W("mins"), W("minute"), W("minutes"), W("h"),
		W("hr"), W("hrs"), W("hour"), W("hours"), W("day"), W("days")};
	char low[8];
	if (n == 0 || n >= sizeof low)
		return 0;
	for (size_t i = 0; i < n; i++)
		low[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
	return in_words(units, sizeof units / sizeof *units, low, n);
}

struct parts {
	size_t lead, core, trail; /* lengths, in that order */
};

static struct parts split(const char *s, size_t n)
{
	struct parts p = {0, 0, 0};
	while (p.lead < n && is_lead((unsigned char)s[p.lead]))
		p.lead++;
	size_t end = n;
	while (end > p.lead + 1 && is_trail((unsigned char)s[end - 1]))
		end--;
	if (p.lead == n) { /* punctuation only: a constant */
		p.lead = 0;
		end = n;
	}
	p.core = end - p.lead;
	p.trail = n - end;
	return p;
}

/* Writes the masked core; returns whether it is one <*>. */
static int mask_core(struct template_tokens *t, const char *s, size_t n)
{
	if (core_is_path(s, n)) {
		put(t, WILD, 3);
		return 1;
	}
	size_t start = t->used;
	int letters = 0, slashes = 0, masked = 0;
	size_t i = 0;
	while (i < n) {
		slashes += s[i] == '/' || s[i] == '\\';
		if (is_delim((unsigned char)s[i])) {
			put(t, s + i, 1);
			i++;
			if (s[i - 1] == '=' && core_is_path(s + i, n - i)) { /* file=/etc/x */
				put(t, WILD, 3);
				break;
			}
			continue;
		}
		size_t j = i;
		while (j < n && !is_delim((unsigned char)s[j]))
			j++;
		if (word_is_variable(s + i, j - i)) {
			put(t, WILD, 3);
			masked = 1;
		} else {
			put(t, s + i, j - i);
			for (size_t k = i; k < j && !letters; k++)
				letters = is_alpha((unsigned char)s[k]) || (unsigned char)s[k] >= 0x80;
		}
		i = j;
	}
	/* A path with a variable in it ("{<*>}GLOBALROOT/Device/<*>/Windows")
	 * is a variable, as a path is. */
	if (letters && slashes >= 2 && masked) {
		t->used = start;
		put(t, WILD, 3);
		return 1;
	}
	if (letters)
		return 0;
	/* No letter left: one variable ("<*>:<*>", "<*>.<*>"), unless it
	 * was punctuation to begin with ("-", "=>"). */
	int wild = 0;
	for (size_t k = start; k + 2 < t->used && !wild; k++)
		wild = t->buf[k] == '<' && t->buf[k + 1] == '*' && t->buf[k + 2] == '>';
	if (!wild)
		return 0;
	t->used = start;
	put(t, WILD, 3);
	return 1;
}

static void end_token(struct template_tokens *t, size_t start)
{
	t->off[t->n] = (uint32_t)start;
	t->len[t->n] = (uint32_t)(t->used - start);
	t->n++;
}

void template_tokens_add(struct template_tokens *t, const char *s, size_t n)
{
	if (t->n == TEMPLATE_MAX_TOKENS)
		return;
	size_t start = t->used;
	put(t, s, n);
	end_token(t, start);
}

/* Whether a token is a variable in brackets or with punctuation ("<*>",
 * "[<*>]", "(<*>),"), and how long those are before and after it. */
int template_token_wild(const char *s, size_t n, size_t *lead, size_t *trail)
{
	if (n == 2 && ((s[0] == '(' && s[1] == ')') || (s[0] == '[' && s[1] == ']'))) {
		*lead = *trail = 1; /* an empty value: "()" */
		return 1;
	}
	for (size_t i = 0; i + 3 <= n; i++) {
		if (memcmp(s + i, WILD, 3) == 0) {
			for (size_t k = i + 3; k < n; k++)
				if (!is_trail((unsigned char)s[k]))
					return 0;
			*lead = i;
			*trail = n - i - 3;
			return 1;
		}
		if (!is_lead((unsigned char)s[i]))
			return 0;
	}
	return 0;
}

static int wildish(const struct template_tokens *t, uint32_t i)
{
	size_t a, b;
	return template_token_wild(t->buf + t->off[i], t->len[i], &a, &b);
}

static int is_date_word(const char *s, size_t n)
{
	static const char names[] = "jan feb mar apr may jun jul aug sep oct nov dec "
				    "mon tue wed thu fri sat sun ";
	if (n != 3)
		return 0;
	char low[4] = {0};
	for (size_t i = 0; i < 3; i++)
		low[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
	for (const char *p = names; *p; p += 4)
		if (memcmp(p, low, 3) == 0)
			return 1;
	return 0;
}

static int token_is(const struct template_tokens *t, uint32_t i, const char *w)
{
	size_t n = strlen(w);
	if (t->len[i] != n)
		return 0;
	for (size_t k = 0; k < n; k++) {
		char c = t->buf[t->off[i] + k];
		if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != w[k])
			return 0;
	}
	return 1;
}

/* A bare name: letters, digits, '-', '_', '.', '$' (a user name). */
static int is_name(const char *s, size_t n)
{
	if (n == 0 || n > 32)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '_' && c != '.' && c != '$')
			return 0;
	}
	return 1;
}

/* Whether token i is one of the words (lower case, NULL ending), in any case. */
static int token_in(const struct template_tokens *t, uint32_t i, const char *const *words)
{
	for (const char *const *w = words; *w; w++)
		if (token_is(t, i, *w))
			return 1;
	return 0;
}

/* The words that follow "user" in a sentence rather than name one. */
static const char *const FUNCTION_WORDS[] = {
	"from", "for", "to", "in", "on", "is", "was", "not", "has", "had", "the", "a", "an",
	"and", "or", "with", "by", "at", "name", "id", "unknown", "session", NULL};

/* sshd's authentication methods, before "for NAME from" ("Failed password
 * for root from ..."). */
static const char *const AUTH_METHODS[] = {"password", "publickey", "none", "hostbased",
					   "keyboard-interactive/pam", "gssapi-with-mic", NULL};

/* User names: the word after "user" ("Invalid user admin"), and sshd's
 * "METHOD for NAME from". */
static int is_user_name(const struct template_tokens *t, uint32_t i)
{
	if (i == 0 || !(token_is(t, i - 1, "user") ||
			(i >= 2 && token_is(t, i - 1, "for") && i + 1 < t->n &&
			 token_is(t, i + 1, "from") && token_in(t, i - 2, AUTH_METHODS))))
		return 0;
	return is_name(t->buf + t->off[i], t->len[i]) && !token_in(t, i, FUNCTION_WORDS);
}

/* Dates ("Fri Jul 1 09:00:55 2005": month and day names beside a
 * variable) are variables, and a run of variables is one: the same kind of
 * line with a date, or a size given twice, has as many tokens. */
static void fold_variables(struct template_tokens *t)
{
	unsigned char w[TEMPLATE_MAX_TOKENS] = {0};
	for (uint32_t i = 0; i < t->n; i++)
		w[i] = (unsigned char)wildish(t, i);
	for (uint32_t i = 0; i < t->n; i++)
		if (!w[i] && is_user_name(t, i))
			w[i] = 2;
	for (int pass = 0; pass < 2; pass++)
		for (uint32_t i = 0; i < t->n; i++)
			if (!w[i] && is_date_word(t->buf + t->off[i], t->len[i]) &&
			    ((i > 0 && w[i - 1]) || (i + 1 < t->n && w[i + 1])))
				w[i] = 2;
	uint32_t out = 0;
	for (uint32_t i = 0; i < t->n;) {
		uint32_t j = i + 1;
		if (w[i])
			while (j < t->n && w[j])
				j++;
		if (j - i == 1 && w[i] != 2) {
			t->off[out] = t->off[i];
			t->len[out] = t->len[i];
		} else {
			/* The run's first lead and last trail around one <*>,
			 * copied from the buffer into itself: room first. */
			reserve(t, t->len[i] + 3 + t->len[j - 1]);
			const char *a = t->buf + t->off[i], *z = t->buf + t->off[j - 1];
			size_t lead = 0, trail = 0, unused;
			if (w[i] == 1)
				(void)template_token_wild(a, t->len[i], &lead, &unused);
			if (w[j - 1] == 1)
				(void)template_token_wild(z, t->len[j - 1], &unused, &trail);
			size_t start = t->used;
			put(t, a, lead);
			put(t, WILD, 3);
			put(t, z + t->len[j - 1] - trail, trail);
			t->off[out] = (uint32_t)start;
			t->len[out] = (uint32_t)(t->used - start);
		}
		out++;
		i = j;
	}
	t->n = out;
}

void template_mask_tokens(const char *msg, size_t n, int cut, struct template_tokens *t)
{
	t->used = 0;
	t->n = 0;
	size_t i = 0;
	while (i < n) {
		while (i < n && is_space((unsigned char)msg[i]))
			i++;
		if (i == n)
			break;
		if (t->n == TEMPLATE_MAX_TOKENS - 1) {
			cut = 1;
			break;
		}
		size_t j = i;
		while (j < n && !is_space((unsigned char)msg[j]))
			j++;
		const char *s = msg + i;
		struct parts p = split(s, j - i);
		size_t start = t->used;
		put(t, s, p.lead);
		int wild = mask_core(t, s + p.lead, p.core);
		i = j;
		if (wild && p.trail == 0) {
			/* "12 ms", "(1.16 KB)": the unit joins the number. */
			size_t k = i;
			while (k < n && is_space((unsigned char)msg[k]))
				k++;
			size_t e = k;
			while (e < n && !is_space((unsigned char)msg[e]))
				e++;
			struct parts q = split(msg + k, e - k);
			if (e > k && q.lead == 0 && is_unit(msg + k, q.core)) {
				put(t, msg + k + q.core, q.trail);
				i = e;
				end_token(t, start);
				continue;
			}
		}
		put(t, s + p.lead + p.core, p.trail);
		end_token(t, start);
	}
	if (cut) {
		size_t start = t->used;
		put(t, WILD, 3);
		end_token(t, start);
	}
	fold_variables(t);
}

size_t template_tokens_memory(const struct template_tokens *t)
{
	return t->cap;
}

void template_tokens_free(struct template_tokens *t)
{
	free(t->buf);
	t->buf = NULL;
	t->used = t->cap = 0;
	t->n = 0;
}

// SPDX-License-Identifier: GPL-2.0
/* A strict JSON scanner into a fixed array of tokens, refusing what it is not sure of. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/json_scan.h"

#define NUM_MAX 63

struct scan_state {
	struct json_scan *js;
	const char *p, *end;
	uint32_t ntok;
};

int json_scan_init(struct json_scan *js)
{
	js->text = NULL;
	js->toks = malloc(JSON_SCAN_TOKENS * sizeof(*js->toks));
	return js->toks ? 0 : -ENOMEM;
}

void json_scan_free(struct json_scan *js)
{
	free(js->toks);
	js->toks = NULL;
}

static void skip_ws(struct scan_state *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int new_tok(struct scan_state *s, enum json_scan_type type)
{
	struct json_scan_tok *t;

	if (s->ntok >= JSON_SCAN_TOKENS)
		return -EINVAL;
	t = &s->js->toks[s->ntok];
	t->type = type;
	t->start = (uint32_t)(s->p - s->js->text);
	t->len = 0;
	t->n = 0;
	return (int)s->ntok++;
}

#define ONES  0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* The high bit of each byte of w that is 0 (and maybe of some after one that is). */
static inline uint64_t has_zero(uint64_t w)
{
	return (w - ONES) & ~w & HIGHS;
}

/* A string from its opening quote: printable ASCII without escapes only. */
static int scan_string(struct scan_state *s)
{
	const char *q = ++s->p;
	int t;

	/* Eight bytes at a time while none is a quote, a backslash, a control byte or past ASCII. */
	while (s->end - q >= 8) {
		uint64_t w;

		memcpy(&w, q, 8);
		if ((w | ((w - ONES * 0x20) & ~w) | has_zero(w ^ (ONES * '"')) | has_zero(w ^ (ONES * '\\'))) & HIGHS)
			break;
		q += 8;
	}
	while (q < s->end && *q != '"') {
		unsigned char c = (unsigned char)*q;

		if (c < 0x20 || c >= 0x80 || c == '\\')
			return -EINVAL;
		q++;
	}
	if (q == s->end)
		return -EINVAL;
	t = new_tok(s, JS_STRING);
	if (t < 0)
		return t;
	s->js->toks[t].len = (uint32_t)(q - s->p);
	s->js->toks[t].end = s->ntok;
	s->p = q + 1;
	return t;
}

static bool is_digit(const char *p, const char *end)
{
	return p < end && *p >= '0' && *p <= '9';
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? as JSON has it; an exponent that overflows is refused. */
static int scan_number(struct scan_state *s)
{
	const char *q = s->p;
	bool exp = false;
	int t;

	if (*q == '-')
		q++;
	if (!is_digit(q, s->end))
		return -EINVAL;
	if (*q == '0') {
		q++;
		if (is_digit(q, s->end))
			return -EINVAL;
	}
	while (is_digit(q, s->end))
		q++;
	if (q < s->end && *q == '.') {
		if (!is_digit(++q, s->end))
			return -EINVAL;
		while (is_digit(q, s->end))
			q++;
	}
	if (q < s->end && (*q == 'e' || *q == 'E')) {
		exp = true;
		q++;
		if (q < s->end && (*q == '+' || *q == '-'))
			q++;
		if (!is_digit(q, s->end))
			return -EINVAL;
		while (is_digit(q, s->end))
			q++;
	}
	if (q - s->p > NUM_MAX)
		return -EINVAL;
	t = new_tok(s, JS_NUMBER);
	if (t < 0)
		return t;
	s->js->toks[t].len = (uint32_t)(q - s->p);
	s->js->toks[t].end = s->ntok;
	s->p = q;
	if (exp) {
		double d;

		if (!json_scan_num(s->js, t, &d) || isinf(d))
			return -EINVAL;
	}
	return t;
}

static int scan_literal(struct scan_state *s, const char *word, enum json_scan_type type)
{
	size_t n = strlen(word);
	int t;

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n))
		return -EINVAL;
	t = new_tok(s, type);
	if (t < 0)
		return t;
	s->js->toks[t].len = (uint32_t)n;
	s->js->toks[t].end = s->ntok;
	s->p += n;
	return t;
}

static int scan_value(struct scan_state *s, int depth);

/* Whether key k (a string token) is the same as one before it in object obj. */
static bool duplicate(const struct scan_state *s, int obj, int k)
{
	const struct json_scan_tok *toks = s->js->toks;
	const char *text = s->js->text;
	int i;

	for (i = obj + 1; i < k; i = (int)toks[i + 1].end)
		if (toks[i].len == toks[k].len && !memcmp(text + toks[i].start, text + toks[k].start, toks[k].len))
			return true;
	return false;
}

static int scan_container(struct scan_state *s, int depth, bool object)
{
	char close = object ? '}' : ']';
	int t = new_tok(s, object ? JS_OBJECT : JS_ARRAY), k, v;

	if (t < 0 || depth >= JSON_SCAN_DEPTH)
		return -EINVAL;
	s->p++;
	skip_ws(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		s->js->toks[t].end = s->ntok;
		return t;
	}
	for (;;) {
		skip_ws(s);
		if (object) {
			if (s->p == s->end || *s->p != '"')
				return -EINVAL;
			k = scan_string(s);
			if (k < 0 || duplicate(s, t, k))
				return -EINVAL;
			skip_ws(s);
			if (s->p == s->end || *s->p != ':')
				return -EINVAL;
			s->p++;
		}
		v = scan_value(s, depth + 1);
		if (v < 0)
			return v;
		s->js->toks[t].n++;
		skip_ws(s);
		if (s->p == s->end)
			return -EINVAL;
		if (*s->p == ',') {
			s->p++;
			continue;
		}
		if (*s->p != close)
			return -EINVAL;
		s->p++;
		s->js->toks[t].end = s->ntok;
		return t;
	}
}

static int scan_value(struct scan_state *s, int depth)
{
	skip_ws(s);
	if (s->p == s->end)
		return -EINVAL;
	switch (*s->p) {
	case '{': return scan_container(s, depth, true);
	case '[': return scan_container(s, depth, false);
	case '"': return scan_string(s);
	case 't': return scan_literal(s, "true", JS_TRUE);
	case 'f': return scan_literal(s, "false", JS_FALSE);
	case 'n': return scan_literal(s, "null", JS_NULL);
	default: return scan_number(s);
	}
}

int json_scan_parse(struct json_scan *js, const char *text, size_t len)
{
	struct scan_state s = {.js = js, .p = text, .end = text + len};

	if (len >= UINT32_MAX)
		return -EINVAL;
	js->text = text;
	skip_ws(&s);
	if (s.p == s.end || *s.p != '{' || scan_value(&s, 0) != 0)
		return -EINVAL;
	skip_ws(&s);
	return s.p == s.end ? 0 : -EINVAL;
}

int json_scan_getn(const struct json_scan *js, int obj, const char *key, size_t n)
{
	const struct json_scan_tok *toks = js->toks;
	uint32_t i;

	if (!json_scan_is(js, obj, JS_OBJECT) || !n)
		return -1;
	for (i = obj + 1; i < toks[obj].end; i = toks[i + 1].end) {
		const char *k = js->text + toks[i].start;

		if (toks[i].len == n && k[0] == key[0] && !memcmp(k + 1, key + 1, n - 1))
			return (int)i + 1;
	}
	return -1;
}

const char *json_scan_str(const struct json_scan *js, int v, size_t *len)
{
	if (!json_scan_is(js, v, JS_STRING))
		return NULL;
	*len = js->toks[v].len;
	return js->text + js->toks[v].start;
}

bool json_scan_num(const struct json_scan *js, int v, double *out)
{
	const struct json_scan_tok *t;
	char buf[NUM_MAX + 1];
	uint64_t u = 0;
	uint32_t i;

	if (!json_scan_is(js, v, JS_NUMBER))
		return false;
	t = &js->toks[v];
	/* Integers of up to 15 digits, exactly as strtod would have them; the rest through it. */
	for (i = 0; i < t->len && i < 15 && js->text[t->start + i] >= '0' && js->text[t->start + i] <= '9'; i++)
		u = u * 10 + (uint64_t)(js->text[t->start + i] - '0');
	if (i == t->len) {
		*out = (double)u;
		return true;
	}
	memcpy(buf, js->text + t->start, t->len);
	buf[t->len] = 0;
	*out = strtod(buf, NULL);
	return true;
}

int json_scan_first(const struct json_scan *js, int v)
{
	return json_scan_is(js, v, JS_ARRAY) && js->toks[v].n ? v + 1 : -1;
}

int json_scan_next(const struct json_scan *js, int v, int e)
{
	uint32_t next = js->toks[e].end;

	return next < js->toks[v].end ? (int)next : -1;
}

#ifndef LOOPSTALL_JSON_SCAN_H
#define LOOPSTALL_JSON_SCAN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * A strict, bounded JSON scanner for one document that is an object: it
 * keeps where each value is (no copies, no allocation per document) and
 * refuses (-EINVAL) whatever it does not take for certain, so that the
 * caller can hand that text to a full parser: escapes, bytes past ASCII,
 * duplicate keys, documents deeper than JSON_SCAN_DEPTH or with more than
 * JSON_SCAN_TOKENS values, numbers longer than 63 bytes or that overflow.
 * What it takes is valid JSON that means what it says.
 */
#define JSON_SCAN_DEPTH	 64
#define JSON_SCAN_TOKENS (1 << 16)

enum json_scan_type { JS_OBJECT, JS_ARRAY, JS_STRING, JS_NUMBER, JS_TRUE, JS_FALSE, JS_NULL };

struct json_scan_tok {
	uint8_t type;
	uint32_t start, len; /* the text: a string's without its quotes */
	uint32_t end;	     /* the index past this value and all inside it */
	uint32_t n;	     /* an object's keys, an array's elements */
};

struct json_scan {
	const char *text;
	struct json_scan_tok *toks; /* JSON_SCAN_TOKENS of them; toks[0] is the document */
};

/* 0 and a scanner, or -ENOMEM. */
int json_scan_init(struct json_scan *js);
void json_scan_free(struct json_scan *js);
/* 0 for a document taken (an object: token 0), -EINVAL for one refused. */
int json_scan_parse(struct json_scan *js, const char *text, size_t len);
/* The value of key (n bytes, not empty) in object obj, or -1 (none, or obj is no object). */
int json_scan_getn(const struct json_scan *js, int obj, const char *key, size_t n);
/* A string's text and length, or NULL (no string; v may be -1). */
const char *json_scan_str(const struct json_scan *js, int v, size_t *len);
/* Whether v is a number, and its value. */
bool json_scan_num(const struct json_scan *js, int v, double *out);
/* Array elements: the first (or -1 when none or v is no array), the next after e in array v (or -1). */
int json_scan_first(const struct json_scan *js, int v);
int json_scan_next(const struct json_scan *js, int v, int e);

static inline bool json_scan_is(const struct json_scan *js, int v, enum json_scan_type type)
{
	return v >= 0 && js->toks[v].type == type;
}

static inline int json_scan_get(const struct json_scan *js, int obj, const char *key)
{
	return json_scan_getn(js, obj, key, __builtin_strlen(key));
}

#endif

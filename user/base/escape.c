// SPDX-License-Identifier: GPL-2.0
/* Escaping untrusted strings for JSON and for terminals. */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "base/escape.h"

/* Length of the valid UTF-8 sequence at s, or 0 if it is not one. */
static size_t utf8_seq_len(const unsigned char *s)
{
	size_t n, i;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		n = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past Unicode are invalid. */
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	/* C1 control characters would reach a terminal as controls too. */
	if (cp >= 0x80 && cp < 0xa0)
		return 0;
	return n;
}

/* The code point of the valid n-byte UTF-8 sequence at s. */
static unsigned int code_point(const unsigned char *s, size_t n)
{
	unsigned int cp = n == 1 ? s[0] : n == 2 ? s[0] & 0x1f : n == 3 ? s[0] & 0x0f : s[0] & 0x07;
	size_t i;

	for (i = 1; i < n; i++)
		cp = (cp << 6) | (s[i] & 0x3f);
	return cp;
}

/*
 * Characters that reorder or break what a reader sees though they are
 * valid text: bidirectional overrides and isolates (a name that reads
 * backwards, U+202E), and the line and paragraph separators (U+2028, U+2029).
 */
static bool is_deceptive(unsigned int cp)
{
	return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e || cp == 0x200f ||
	       cp == 0x061c || cp == 0x2028 || cp == 0x2029;
}

void json_escape(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	while (*p) {
		switch (*p) {
		case '"':
			fputs("\\\"", out);
			p++;
			continue;
		case '\\':
			fputs("\\\\", out);
			p++;
			continue;
		case '\n':
			fputs("\\n", out);
			p++;
			continue;
		case '\r':
			fputs("\\r", out);
			p++;
			continue;
		case '\t':
			fputs("\\t", out);
			p++;
			continue;
		}
		if (*p < 0x20 || *p == 0x7f) {
			fprintf(out, "\\u%04x", *p);
			p++;
			continue;
		}
		n = utf8_seq_len(p);
		if (n == 0) {
			/* Invalid UTF-8 becomes U+FFFD so the output stays valid JSON. */
			fputs("\\ufffd", out);
			p++;
			continue;
		}
		if (n == 3 && is_deceptive(code_point(p, n)))
			fprintf(out, "\\u%04x", code_point(p, n));
		else
			fwrite(p, 1, n, out);
		p += n;
	}
}

void term_escape(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	while (*p) {
		if (*p < 0x20 || *p == 0x7f || *p == '\\') {
			if (*p == '\\')
				fputs("\\\\", out);
			else
				fprintf(out, "\\x%02x", *p);
			p++;
			continue;
		}
		n = utf8_seq_len(p);
		if (n == 0) {
			fprintf(out, "\\x%02x", *p);
			p++;
			continue;
		}
		if (n >= 2 && is_deceptive(code_point(p, n)))
			fprintf(out, "\\u%04x", code_point(p, n));
		else
			fwrite(p, 1, n, out);
		p += n;
	}
}

void label_escape(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	while (*p) {
		if (*p == '\\' || *p == '"') {
			fputc('\\', out);
			fputc(*p++, out);
			continue;
		}
		if (*p == '\n') {
			fputs("\\n", out);
			p++;
			continue;
		}
		n = utf8_seq_len(p);
		/* The format allows these only escaped or not at all: shown as the text \xNN. */
		if (n == 0 || *p < 0x20 || *p == 0x7f) {
			fprintf(out, "\\\\x%02x", *p++);
			continue;
		}
		if (n >= 2 && is_deceptive(code_point(p, n)))
			fprintf(out, "\\\\u%04x", code_point(p, n));
		else
			fwrite(p, 1, n, out);
		p += n;
	}
}

void escape_into(char *buf, size_t len, escape_fn escape, const char *s)
{
	FILE *f;

	memset(buf, 0, len);
	f = fmemopen(buf, len - 1, "w");
	if (!f)
		return;
	escape(f, s);
	fclose(f);
}

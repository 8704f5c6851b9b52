// SPDX-License-Identifier: GPL-2.0
/* Escaping untrusted strings for JSON and for terminals. */
#include <stdbool.h>
#include <stddef.h>

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
		fwrite(p, 1, n, out);
		p += n;
	}
}

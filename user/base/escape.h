#ifndef LOOPSTALL_ESCAPE_H
#define LOOPSTALL_ESCAPE_H
#include <stdio.h>

#include <stddef.h>

/*
 * Strings from target processes (comm, paths, function names) are untrusted.
 * One policy per kind of output, written escaped:
 * - json_escape: a JSON string body; controls as \u00NN, invalid UTF-8 as
 *   \ufffd, the characters that reorder or break lines (bidi overrides,
 *   U+2028) as \uNNNN;
 * - term_escape: for a terminal, stderr, syslog-free text and hook
 *   variables; controls and invalid UTF-8 as \xNN, backslash doubled, the
 *   deceptive characters as \uNNNN;
 * - label_escape: a Prometheus label value; backslash, quote and newline as
 *   the format asks, the rest as term_escape shows them, as plain text.
 */
void json_escape(FILE *out, const char *s);
void term_escape(FILE *out, const char *s);
void label_escape(FILE *out, const char *s);

typedef void (*escape_fn)(FILE *out, const char *s);
/* escape(s) into buf, cut to len - 1 bytes, NUL-terminated. */
void escape_into(char *buf, size_t len, escape_fn escape, const char *s);

#endif

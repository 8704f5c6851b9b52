#ifndef LOOPSTALL_ESCAPE_H
#define LOOPSTALL_ESCAPE_H
#include <stdio.h>

/*
 * Strings from target processes (comm, paths, function names) are untrusted.
 * These write them escaped: as a JSON string body, or for a terminal with
 * control characters and invalid UTF-8 shown as \xNN.
 */
void json_escape(FILE *out, const char *s);
void term_escape(FILE *out, const char *s);

#endif

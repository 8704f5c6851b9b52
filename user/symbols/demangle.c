// SPDX-License-Identifier: GPL-2.0
/* C++ and Rust (legacy and v0) names, through GNU's own demangler (libiberty's cplus_demangle). */
#include <libiberty/demangle.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/demangle.h"

/* Cuts "f(int, char const*) const" to "f": the last balanced (...) and what follows it. */
static void drop_parameters(char *s)
{
	size_t n = strlen(s);
	int depth = 0;
	char *end = strrchr(s, ')');

	if (!end || n == 0)
		return;
	for (char *p = end; p >= s; p--) {
		if (*p == ')')
			depth++;
		else if (*p == '(' && --depth == 0) {
			if (p > s)
				*p = 0;
			return;
		}
	}
}

char *demangle(const char *name, char *out, size_t len)
{
	char *plain = NULL;

	/* _Z: C++, and Rust's legacy names (their hash left out); _R: Rust's v0 names. */
	if (strncmp(name, "_Z", 2) == 0 || strncmp(name, "_R", 2) == 0)
		plain = cplus_demangle(name, DMGL_AUTO | DMGL_PARAMS);
	if (plain) {
		drop_parameters(plain);
		snprintf(out, len, "%s", plain);
	} else {
		snprintf(out, len, "%s", name);
	}
	free(plain);
	return out;
}

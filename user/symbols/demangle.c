// SPDX-License-Identifier: GPL-2.0
/* C++ names through the C++ runtime's own demangler (libstdc++'s __cxa_demangle). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/demangle.h"

/* From the C++ ABI (cxxabi.h), callable from C. */
char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

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
	int status = -1;

	if (strncmp(name, "_Z", 2) == 0)
		plain = __cxa_demangle(name, NULL, NULL, &status);
	if (status == 0 && plain) {
		drop_parameters(plain);
		snprintf(out, len, "%s", plain);
	} else {
		snprintf(out, len, "%s", name);
	}
	free(plain);
	return out;
}

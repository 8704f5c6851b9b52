// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: every escaping policy over any bytes (names, paths and functions come from targets). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/escape.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const escape_fn fns[] = {json_escape, term_escape, label_escape};
	char *s = malloc(size + 1), small[16];
	FILE *null = fopen("/dev/null", "w");

	if (!s || !null) {
		free(s);
		if (null)
			fclose(null);
		return 0;
	}
	memcpy(s, data, size);
	s[size] = 0;
	for (size_t i = 0; i < 3; i++) {
		fns[i](null, s);
		escape_into(small, sizeof(small), fns[i], s);
	}
	fclose(null);
	free(s);
	return 0;
}

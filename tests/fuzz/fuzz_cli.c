// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: the command line. The input is split at NUL bytes into
 * arguments for options_parse(), which parses durations, sizes, signals,
 * PID lists and counts; and each argument alone as a duration.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/duration.h"
#include "cli/options.h"

#define MAX_ARGS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1), *argv[MAX_ARGS + 2], err[256];
	struct options o;
	uint64_t ns;
	int argc = 1;
	size_t i = 0;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = 0;
	argv[0] = "loopstall";
	while (i <= size && argc <= MAX_ARGS) {
		argv[argc++] = copy + i;
		i += strlen(copy + i) + 1;
	}
	argv[argc] = NULL;
	for (int a = 1; a < argc; a++)
		(void)duration_parse(argv[a], &ns);
	(void)options_parse(argc, argv, &o, err, sizeof(err));
	free(copy);
	return 0;
}

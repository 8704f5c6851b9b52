// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: a target's perf map, parsed and searched, and the names found cut to their function. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "symbols/jit_map.h"
#include "symbols/perf_map.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct perf_map *m = NULL;
	int fd = memfd_create("perf-map", MFD_CLOEXEC);
	size_t done = 0;

	char name[128];

	/* The input as one name, as a perf map's line may carry it. */
	snprintf(name, sizeof(name), "%.*s", (int)(size < sizeof(name) - 1 ? size : sizeof(name) - 1), (const char *)data);
	jit_short_name(name);
	if (fd < 0)
		return 0;
	while (done < size) {
		ssize_t n = write(fd, data + done, size - done);

		if (n <= 0)
			break;
		done += n;
	}
	lseek(fd, 0, SEEK_SET);
	if (perf_map_read(fd, &m) == 0) {
		uint64_t probe = 0;

		for (size_t i = 0; i + 8 <= size && i < 64; i += 8) {
			const char *name;
			char cut[128];

			__builtin_memcpy(&probe, data + i, 8);
			name = perf_map_lookup(m, probe);
			if (name) {
				snprintf(cut, sizeof(cut), "%s", name);
				jit_short_name(cut);
				if (strlen(cut) > strlen(name))
					__builtin_trap();
			}
		}
		(void)perf_map_lookup(m, 0);
		(void)perf_map_lookup(m, UINT64_MAX);
		perf_map_free(m);
	}
	close(fd);
	return 0;
}

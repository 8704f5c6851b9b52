// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: a target's perf map, parsed and searched. */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "symbols/perf_map.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct perf_map *m = NULL;
	int fd = memfd_create("perf-map", MFD_CLOEXEC);
	size_t done = 0;

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
			__builtin_memcpy(&probe, data + i, 8);
			(void)perf_map_lookup(m, probe);
		}
		(void)perf_map_lookup(m, 0);
		(void)perf_map_lookup(m, UINT64_MAX);
		perf_map_free(m);
	}
	close(fd);
	return 0;
}

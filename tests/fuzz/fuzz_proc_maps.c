// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: /proc/PID/maps text, parsed, searched and compared. */
#include <stdint.h>
#include <string.h>

#include "base/proc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proc_maps *a, *b;

	if (proc_maps_parse((const char *)data, size, &a))
		return 0;
	for (int i = 0; i < a->n; i++) {
		(void)proc_maps_find(a, a->v[i].path);
		(void)base_name(a->v[i].path);
	}
	if (proc_maps_parse((const char *)data, size / 2, &b) == 0) {
		(void)proc_maps_same(a, b);
		proc_maps_free(b);
	}
	proc_maps_free(a);
	return 0;
}

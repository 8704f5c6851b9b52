// SPDX-License-Identifier: GPL-2.0
/*
 * A thread's Python name (thread_name.h). Every thread threading starts
 * runs Thread._bootstrap_inner(self) at the bottom of its stack, under
 * Thread._bootstrap; self._name is threading.Thread.name. Threads rarely
 * call prctl(PR_SET_NAME), so their kernel name is the program's: this is
 * the name the application knows them by.
 */
#include <errno.h>
#include <string.h>

#include "runtimes/python/objects.h"
#include "runtimes/python/strings.h"
#include "runtimes/python/thread_name.h"

#define BOTTOM_FRAMES 3 /* _bootstrap_inner is the second outermost; a wrapper may add one */

static bool ends_with(const char *s, const char *end)
{
	size_t n = strlen(s), e = strlen(end);

	return n >= e && strcmp(s + n - e, end) == 0;
}

int py_find_thread_name(const struct mem_reader *m, const struct py_layout *L, const struct walk *w, int n, char *buf,
			size_t len)
{
	int i;

	buf[0] = 0;
	for (i = n - 1; i >= 0 && i >= n - BOTTOM_FRAMES && i < w->max; i--) {
		const struct py_frame *f = &w->frames[i];
		uint64_t self, name;

		/* 3.11+ name frames by qualified name, 3.8-3.10 by the function's */
		if (!ends_with(f->file, "threading.py") ||
		    (strcmp(f->function, "Thread._bootstrap_inner") && strcmp(f->function, "_bootstrap_inner")))
			continue;
		self = py_frame_local(m, L, w->addr[i], "self");
		name = self ? py_object_attr(m, L, self, "_name") : 0;
		if (!name || !py_type_is(m, L, name, "str", NULL) || py_read_str(m, L, name, buf, len) || !buf[0]) {
			buf[0] = 0;
			return -ENOENT;
		}
		return 0;
	}
	return -ENOENT;
}

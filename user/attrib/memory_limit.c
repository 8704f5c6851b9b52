// SPDX-License-Identifier: GPL-2.0
/* loopstall's own memory use and its cgroup's limit. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attrib/cgroup_file.h"
#include "attrib/memory_limit.h"

#define NO_LIMIT (1ULL << 60) /* v1 says "no limit" as a page-rounded INT64_MAX */

static int read_number(const char *path, uint64_t *out)
{
	char buf[64];
	int n = cgroup_file_read(path, buf, sizeof(buf));

	if (n < 0)
		return n;
	if (strncmp(buf, "max", 3) == 0) {
		*out = UINT64_MAX;
		return 0;
	}
	*out = strtoull(buf, NULL, 10);
	return 0;
}

/* The files of one hierarchy's entry, when they hold a limit. */
static int entry_files(void *ctx, const struct cgroup_entry *e)
{
	struct memory_limit *m = ctx;
	uint64_t limit;
	bool v2 = !e->controllers[0];

	if (!v2 && !cgroup_has_controller(e->controllers, "memory"))
		return 0;
	snprintf(m->limit, sizeof(m->limit), "/sys/fs/cgroup/%s%s/%s", v2 ? "unified" : "memory", e->path,
		 v2 ? "memory.max" : "memory.limit_in_bytes");
	if (v2 && access(m->limit, R_OK))
		snprintf(m->limit, sizeof(m->limit), "/sys/fs/cgroup%s/memory.max", e->path); /* v2 alone */
	snprintf(m->usage, sizeof(m->usage), "%.*s/%s", (int)(strrchr(m->limit, '/') - m->limit), m->limit,
		 v2 ? "memory.current" : "memory.usage_in_bytes");
	return read_number(m->limit, &limit) == 0 && limit < NO_LIMIT && access(m->usage, R_OK) == 0 ? 1 : 0;
}

int memory_limit_find(struct memory_limit *m)
{
	char text[4096];
	int n = cgroup_file_read("/proc/self/cgroup", text, sizeof(text));

	if (n < 0)
		return n;
	return cgroup_file_parse(text, n, entry_files, m) == 1 ? 0 : -ENOENT;
}

int memory_limit_read(const struct memory_limit *m, uint64_t *used, uint64_t *limit)
{
	int err = read_number(m->limit, limit);

	return err ? err : read_number(m->usage, used);
}

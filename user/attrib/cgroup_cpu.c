// SPDX-License-Identifier: GPL-2.0
/* CPU throttling of a process's cgroup, v1 or v2. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attrib/cgroup_cpu.h"
#include "attrib/cgroup_file.h"

/* Reads "key value" from a cpu.stat file. */
static int read_stat(const char *path, const char *key, uint64_t *value)
{
	char name[64];
	unsigned long long v;
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	while (fscanf(f, "%63s %llu", name, &v) == 2) {
		if (strcmp(name, key) == 0) {
			fclose(f);
			*value = v;
			return 0;
		}
	}
	fclose(f);
	return -ENOENT;
}

struct throttle_walk {
	const char *sysfs;
	uint64_t *ns;
};

/* 1 once a hierarchy's cpu.stat was read (stops the walk), else 0 to go on. */
static int throttle_entry(void *ctx, const struct cgroup_entry *e)
{
	struct throttle_walk *w = ctx;
	char stat[4200];
	uint64_t usec;

	if (*e->controllers == 0) {
		/* v2: the unified hierarchy, where cpu.stat has throttled_usec. */
		snprintf(stat, sizeof(stat), "%s%s/cpu.stat", w->sysfs, e->path);
		if (read_stat(stat, "throttled_usec", &usec) == 0) {
			*w->ns = usec * 1000;
			return 1;
		}
	} else if (cgroup_has_controller(e->controllers, "cpu")) {
		snprintf(stat, sizeof(stat), "%s/cpu%s/cpu.stat", w->sysfs, e->path);
		return read_stat(stat, "throttled_time", w->ns) == 0;
	}
	return 0;
}

int cgroup_throttled_ns_at(const char *cgroup_file, const char *sysfs, uint64_t *ns)
{
	struct throttle_walk w = {sysfs, ns};
	char *text = malloc(CGROUP_FILE_MAX + 1);
	int len, found;

	if (!text)
		return -ENOMEM;
	len = cgroup_file_read(cgroup_file, text, CGROUP_FILE_MAX + 1);
	found = len < 0 ? len : cgroup_file_parse(text, len, throttle_entry, &w);
	free(text);
	if (found < 0)
		return found;
	return found ? 0 : -ENOENT;
}

int cgroup_throttled_ns(pid_t pid, uint64_t *ns)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	return cgroup_throttled_ns_at(path, "/sys/fs/cgroup", ns);
}

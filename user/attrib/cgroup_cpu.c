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
	struct cgroup_throttle *t;
	uint64_t *ns;
};

/* 1 once a hierarchy's cpu.stat was found (stops the walk), else 0 to go on. */
static int throttle_entry(void *ctx, const struct cgroup_entry *e)
{
	struct throttle_walk *w = ctx;
	struct cgroup_throttle *t = w->t;
	int n;

	if (*e->controllers == 0) {
		/* v2: the unified hierarchy, where cpu.stat has throttled_usec. */
		n = snprintf(t->stat, sizeof(t->stat), "%s%s/cpu.stat", w->sysfs, e->path);
		t->usec = true;
	} else if (cgroup_has_controller(e->controllers, "cpu")) {
		n = snprintf(t->stat, sizeof(t->stat), "%s/cpu%s/cpu.stat", w->sysfs, e->path);
		t->usec = false;
	} else {
		return 0;
	}
	return n > 0 && (size_t)n < sizeof(t->stat) && cgroup_throttle_read(t, w->ns) == 0;
}

int cgroup_throttle_read(const struct cgroup_throttle *t, uint64_t *ns)
{
	int r = read_stat(t->stat, t->usec ? "throttled_usec" : "throttled_time", ns);

	if (!r && t->usec)
		*ns *= 1000;
	return r;
}

int cgroup_throttle_find_at(const char *cgroup_file, const char *sysfs, struct cgroup_throttle *t, uint64_t *ns)
{
	struct throttle_walk w = {sysfs, t, ns};
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

int cgroup_throttle_find(pid_t pid, struct cgroup_throttle *t, uint64_t *ns)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	return cgroup_throttle_find_at(path, "/sys/fs/cgroup", t, ns);
}

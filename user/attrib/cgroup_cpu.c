// SPDX-License-Identifier: GPL-2.0
/* CPU throttling of a process's cgroup, v1 or v2. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "attrib/cgroup_cpu.h"

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

/* Whether the comma-separated list holds controller "cpu" ("cpu,cpuacct", "cpuacct,cpu"). */
static bool has_cpu_controller(const char *list)
{
	size_t n;

	for (; *list; list += n + (list[n] == ',')) {
		n = strcspn(list, ",");
		if (n == 3 && strncmp(list, "cpu", 3) == 0)
			return true;
	}
	return false;
}

int cgroup_throttled_ns_at(const char *cgroup_file, const char *sysfs, uint64_t *ns)
{
	char line[512], stat[4200];
	char *controllers, *cgroup;
	uint64_t usec;
	int err = -ENOENT;
	FILE *f = fopen(cgroup_file, "re");

	if (!f)
		return -errno;
	while (err && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		/* "ID:controllers:path" */
		controllers = strchr(line, ':');
		cgroup = controllers ? strchr(controllers + 1, ':') : NULL;
		if (!cgroup)
			continue;
		*cgroup++ = 0;
		controllers++;
		if (*controllers == 0) {
			/* v2: the unified hierarchy, where cpu.stat has throttled_usec. */
			snprintf(stat, sizeof(stat), "%s%s/cpu.stat", sysfs, cgroup);
			if (read_stat(stat, "throttled_usec", &usec) == 0) {
				*ns = usec * 1000;
				err = 0;
			}
		} else if (has_cpu_controller(controllers)) {
			snprintf(stat, sizeof(stat), "%s/cpu%s/cpu.stat", sysfs, cgroup);
			err = read_stat(stat, "throttled_time", ns);
		}
	}
	fclose(f);
	return err;
}

int cgroup_throttled_ns(pid_t pid, uint64_t *ns)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	return cgroup_throttled_ns_at(path, "/sys/fs/cgroup", ns);
}

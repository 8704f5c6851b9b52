// SPDX-License-Identifier: GPL-2.0
/* CPU throttling of a process's cgroup, v1 or v2. */
#include <errno.h>
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

int cgroup_throttled_ns(pid_t pid, uint64_t *ns)
{
	char path[64], line[512], stat[4200];
	char *controllers, *cgroup;
	uint64_t usec;
	int err = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	f = fopen(path, "re");
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
			snprintf(stat, sizeof(stat), "/sys/fs/cgroup%s/cpu.stat", cgroup);
			if (read_stat(stat, "throttled_usec", &usec) == 0) {
				*ns = usec * 1000;
				err = 0;
			}
			continue;
		}
		for (char *c = strtok(controllers, ","); c; c = strtok(NULL, ",")) {
			if (strcmp(c, "cpu") != 0)
				continue;
			snprintf(stat, sizeof(stat), "/sys/fs/cgroup/cpu%s/cpu.stat", cgroup);
			err = read_stat(stat, "throttled_time", ns);
		}
	}
	fclose(f);
	return err;
}

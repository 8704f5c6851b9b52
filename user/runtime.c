// SPDX-License-Identifier: GPL-2.0
/* Which language runtime a process is, from /proc/PID/exe and /proc/PID/maps. */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime.h"

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* name is a file name, possibly followed by " (deleted)". */
static bool name_is(const char *name, const char *want)
{
	size_t n = strlen(want);

	return strncmp(name, want, n) == 0 && (name[n] == '\0' || name[n] == ' ');
}

static const char *runtime_of_exe(const char *name)
{
	/* python3, python3.11, python3.12d, pypy3 */
	if (strncmp(name, "python", 6) == 0 || strncmp(name, "pypy", 4) == 0)
		return "python";
	if (name_is(name, "node") || name_is(name, "nodejs"))
		return "node";
	if (name_is(name, "redis-server"))
		return "redis";
	return NULL;
}

static const char *runtime_of_lib(const char *name)
{
	if (strncmp(name, "libpython", 9) == 0)
		return "python";
	if (strncmp(name, "libnode.so", 10) == 0)
		return "node";
	return NULL;
}

/* An interpreter embedded in another program (uwsgi, a C server) shows in its mappings. */
static const char *runtime_of_maps(pid_t pid)
{
	const char *found = NULL;
	char path[64], *line = NULL, *file;
	size_t cap = 0;
	ssize_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	while (!found && (n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		file = strchr(line, '/');
		if (file)
			found = runtime_of_lib(base_name(file));
	}
	free(line);
	fclose(f);
	return found;
}

const char *runtime_of(pid_t pid)
{
	char path[64], exe[PATH_MAX];
	const char *found;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		found = runtime_of_exe(base_name(exe));
		if (found)
			return found;
	}
	found = runtime_of_maps(pid);
	return found ? found : "other";
}

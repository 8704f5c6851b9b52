// SPDX-License-Identifier: GPL-2.0
/* /proc/PID/cgroup, line by line. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "attrib/cgroup_file.h"

int cgroup_file_parse(char *text, size_t len, cgroup_entry_fn fn, void *ctx)
{
	char *p = text, *end = text + len;

	while (p < end) {
		char *nl = memchr(p, '\n', end - p), *line = p, *colon, *path;
		struct cgroup_entry e;
		int ret;

		if (!nl)
			nl = end;
		p = nl + 1;
		*nl = 0; /* a NUL inside the line cuts it short: what follows is not read */
		/* "ID:controllers:path": the path may hold colons itself. */
		colon = strchr(line, ':');
		path = colon ? strchr(colon + 1, ':') : NULL;
		if (!path || path[1] != '/')
			continue;
		*path++ = 0;
		e.controllers = colon + 1;
		e.path = path;
		ret = fn(ctx, &e);
		if (ret)
			return ret;
	}
	return 0;
}

int cgroup_file_read(const char *path, char *buf, size_t cap)
{
	size_t len = 0, max = cap - 1 < CGROUP_FILE_MAX ? cap - 1 : CGROUP_FILE_MAX;
	ssize_t n = 0;
	int fd, err;

	if (!cap)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len < max && (n = read(fd, buf + len, max - len)) > 0)
		len += n;
	err = n < 0 && len == 0 ? -errno : 0;
	close(fd);
	buf[len] = 0;
	return err ? err : (int)len;
}

bool cgroup_has_controller(const char *list, const char *name)
{
	size_t want = strlen(name), n;

	for (; *list; list += n + (list[n] == ',')) {
		n = strcspn(list, ",");
		if (n == want && strncmp(list, name, n) == 0)
			return true;
	}
	return false;
}

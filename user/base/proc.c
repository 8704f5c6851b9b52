// SPDX-License-Identifier: GPL-2.0
/* A target's /proc files: mappings, files as it sees them, start time, executable. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/proc.h"

#define DELETED " (deleted)"

const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* Reads all of fd, up to max bytes: 0 or -errno (-EFBIG past max). */
static int read_all(int fd, size_t max, char **out, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap), *more;
	ssize_t got;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (n == cap) {
			if (cap >= max) {
				free(buf);
				return -EFBIG;
			}
			cap = cap * 2 > max ? max : cap * 2;
			more = realloc(buf, cap);
			if (!more) {
				free(buf);
				return -ENOMEM;
			}
			buf = more;
		}
		got = read(fd, buf + n, cap - n);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			return -errno;
		}
		if (got == 0)
			break;
		n += got;
	}
	*out = buf;
	*len = n;
	return 0;
}

/* "start-end perms offset major:minor inode   path": 0, or -1 when malformed. */
static int parse_line(char *line, struct proc_mapping *m, char **path)
{
	unsigned long long start, end, offset, inode;
	unsigned int major, minor;
	char perms[5];
	int pos = 0;
	size_t plen;

	if (sscanf(line, "%llx-%llx %4s %llx %x:%x %llu %n", &start, &end, perms, &offset, &major, &minor, &inode,
		   &pos) < 7 ||
	    pos <= 0 || end < start)
		return -1;
	m->start = start;
	m->end = end;
	m->offset = offset;
	m->dev_major = major;
	m->dev_minor = minor;
	m->inode = inode;
	memcpy(m->perms, perms, sizeof(m->perms));
	*path = line + pos;
	plen = strlen(*path);
	m->deleted = plen >= strlen(DELETED) && strcmp(*path + plen - strlen(DELETED), DELETED) == 0 &&
		     (*path)[0] == '/';
	if (m->deleted)
		(*path)[plen - strlen(DELETED)] = '\0';
	return 0;
}

int proc_maps_parse(const char *text, size_t len, struct proc_maps **out)
{
	struct proc_maps *m = calloc(1, sizeof(*m));
	size_t pos = 0, used = 0, cap = 0;
	char *line;

	if (!m)
		return -ENOMEM;
	m->text = malloc(len + 1);
	m->paths = malloc(len + 1); /* the paths are shorter than the text they come from */
	line = malloc(len + 1);
	if (!m->text || !m->paths || !line)
		goto nomem;
	memcpy(m->text, text, len);
	m->text[len] = '\0';
	m->len = len;
	while (pos < len) {
		size_t end = pos;
		struct proc_mapping map;
		char *path;

		while (end < len && text[end] != '\n')
			end++;
		memcpy(line, text + pos, end - pos);
		line[end - pos] = '\0';
		pos = end + 1;
		if (parse_line(line, &map, &path))
			continue;
		if (m->n == PROC_MAPS_MAX_ENTRIES)
			break;
		if ((size_t)m->n == cap) {
			struct proc_mapping *more = realloc(m->v, (cap = cap ? cap * 2 : 256) * sizeof(*more));

			if (!more)
				goto nomem;
			m->v = more;
		}
		strcpy(m->paths + used, path);
		map.path = m->paths + used;
		used += strlen(path) + 1;
		m->v[m->n++] = map;
	}
	free(line);
	*out = m;
	return 0;
nomem:
	free(line);
	proc_maps_free(m);
	return -ENOMEM;
}

int proc_maps_read(pid_t pid, struct proc_maps **out)
{
	char path[64], *text = NULL;
	size_t len = 0;
	int fd, err;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	err = read_all(fd, PROC_MAPS_MAX_BYTES, &text, &len);
	close(fd);
	if (err)
		return err;
	err = proc_maps_parse(text, len, out);
	free(text);
	if (!err)
		(*out)->pid = pid;
	return err;
}

void proc_maps_free(struct proc_maps *m)
{
	if (!m)
		return;
	free(m->text);
	free(m->paths);
	free(m->v);
	free(m);
}

const struct proc_mapping *proc_maps_find(const struct proc_maps *m, const char *path)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->v[i].path, path) == 0)
			return &m->v[i];
	return NULL;
}

/* Mapped files only: the heap and anonymous (JIT) mappings change all the time. */
bool proc_maps_same(const struct proc_maps *a, const struct proc_maps *b)
{
	int i = 0, j = 0;

	for (;;) {
		while (i < a->n && a->v[i].path[0] != '/')
			i++;
		while (j < b->n && b->v[j].path[0] != '/')
			j++;
		if (i == a->n || j == b->n)
			return i == a->n && j == b->n;
		if (a->v[i].start != b->v[j].start || a->v[i].end != b->v[j].end || a->v[i].inode != b->v[j].inode ||
		    strcmp(a->v[i].path, b->v[j].path) != 0)
			return false;
		i++, j++;
	}
}

int proc_open_mapped(pid_t pid, const struct proc_mapping *m, char *opened_as, size_t len)
{
	char path[PATH_MAX + 64];
	struct stat st;
	int fd;

	if (m->path[0] != '/')
		return -EINVAL;
	if (!m->deleted && snprintf(path, sizeof(path), "/proc/%d/root%s", pid, m->path) < (int)sizeof(path)) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_ino == m->inode &&
			    major(st.st_dev) == m->dev_major && minor(st.st_dev) == m->dev_minor) {
				if (opened_as)
					snprintf(opened_as, len, "%s", path);
				return fd;
			}
			close(fd); /* another file now has that name */
		}
	}
	snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, pid, m->start, m->end);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (opened_as)
		snprintf(opened_as, len, "%s", path);
	return fd;
}

int proc_stat_read(pid_t pid, struct proc_stat *st)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd, i;

	/* The task's own file: the process's (/proc/PID/stat) sums its threads' times, 500 threads' too. */
	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ESRCH;
	buf[n] = '\0';
	/* The comm may hold spaces and parens: the fields resume after the last ')'. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %c %d", &st->state, &st->ppid) != 2)
		return -EINVAL;
	/* Field 22, starttime, counted from the state (field 3). */
	for (i = 2; p && i <= 21; i++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p, " %llu", &st->start) != 1)
		return -EINVAL;
	return 0;
}

bool proc_alive(pid_t pid, unsigned long long start)
{
	struct proc_stat st;

	if (pid <= 0 || proc_stat_read(pid, &st))
		return false;
	return st.state != 'Z' && st.state != 'X' && (!start || st.start == start);
}

time_t proc_start_time(pid_t pid)
{
	char buf[1024];
	unsigned long long start_ticks, btime = 0;
	struct proc_stat st;
	FILE *f;

	if (proc_stat_read(pid, &st))
		return 0;
	start_ticks = st.start;
	f = fopen("/proc/stat", "re");
	if (!f)
		return 0;
	while (fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "btime %llu", &btime) == 1)
			break;
	fclose(f);
	return btime ? (time_t)(btime + start_ticks / sysconf(_SC_CLK_TCK)) : 0;
}

int proc_exe_path(pid_t pid, char *buf, size_t len)
{
	char path[64], exe[PATH_MAX];
	ssize_t n;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n < 0)
		return -errno;
	exe[n] = '\0';
	if (n > (ssize_t)strlen(DELETED) && strcmp(exe + n - strlen(DELETED), DELETED) == 0)
		exe[n - strlen(DELETED)] = '\0';
	snprintf(buf, len, "%s", exe);
	return 0;
}

int proc_exe_name(pid_t pid, char *buf, size_t len)
{
	char exe[PATH_MAX];
	int err = proc_exe_path(pid, exe, sizeof(exe));

	snprintf(buf, len, "%s", err ? "" : base_name(exe));
	return err;
}

int proc_self_open_files(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own fd */
}

// SPDX-License-Identifier: GPL-2.0
/* Parsing and searching JIT perf maps. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/proc.h"
#include "symbols/perf_map.h"

#define MAX_LINE 4096
#define MAX_NAME 127

struct perf_symbol {
	uint64_t start;
	uint64_t end;
	uint32_t line; /* later lines win ties: the JIT reused that code space */
	uint32_t name; /* offset in names */
};

/* At most PERF_MAP_MAX_BYTES of names and PERF_MAP_MAX_SYMBOLS symbols: bounded memory. */
struct perf_map {
	struct perf_symbol *syms;
	size_t n, cap;
	char *names;
	size_t names_len, names_cap;
	uint64_t bytes;
};

static int by_start(const void *a, const void *b)
{
	const struct perf_symbol *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* "START SIZE name": START and SIZE in hex (optional 0x), name to the end of the line, cut to MAX_NAME. */
static bool parse_line(const char *line, uint64_t *start_out, uint64_t *end_out, const char **name, size_t *len)
{
	unsigned long long start, size;
	const char *p = line;
	char *end;

	start = strtoull(p, &end, 16);
	if (end == p || *end != ' ')
		return false;
	p = end + 1;
	size = strtoull(p, &end, 16);
	if (end == p || *end != ' ' || size == 0 || start + size < start)
		return false;
	p = end + 1;
	*len = strcspn(p, "\n");
	if (*len == 0)
		return false;
	if (*len > MAX_NAME)
		*len = MAX_NAME;
	*name = p;
	*start_out = start;
	*end_out = start + size;
	return true;
}

/* Appends a symbol: 0, or -ENOMEM / -E2BIG past the bounds. */
static int add_symbol(struct perf_map *m, uint64_t start, uint64_t end, const char *name, size_t len)
{
	if (m->n == PERF_MAP_MAX_SYMBOLS)
		return -E2BIG;
	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 1024;
		struct perf_symbol *more = realloc(m->syms, cap * sizeof(*more));

		if (!more)
			return -ENOMEM;
		m->syms = more;
		m->cap = cap;
	}
	if (m->names_len + len + 1 > m->names_cap) {
		size_t cap = m->names_cap ? 2 * m->names_cap : 65536;
		char *more;

		while (cap < m->names_len + len + 1)
			cap *= 2;
		more = realloc(m->names, cap);
		if (!more)
			return -ENOMEM;
		m->names = more;
		m->names_cap = cap;
	}
	m->syms[m->n] = (struct perf_symbol){.start = start, .end = end, .line = m->n, .name = m->names_len};
	memcpy(m->names + m->names_len, name, len);
	m->names[m->names_len + len] = '\0';
	m->names_len += len + 1;
	m->n++;
	return 0;
}

/*
 * Process pid's map, opened as it sees it (/proc/PID/root/tmp/perf-PID.map)
 * and checked on the open file, so it cannot be swapped after the check: a
 * regular file (not a symlink, never a FIFO to block on), owned by the
 * process's user or root, and not older than the process (a map left by an
 * earlier process with the same PID is).
 */
int perf_map_open(pid_t pid, time_t started, struct stat *st)
{
	char path[64], dir[32];
	struct stat proc;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/root/tmp/perf-%d.map", pid, pid);
	snprintf(dir, sizeof(dir), "/proc/%d", pid);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ELOOP ? -EPERM : -errno;
	if (fstat(fd, st) || stat(dir, &proc)) {
		close(fd);
		return -ENOENT;
	}
	/* The start time has whole seconds: allow one. */
	if (!S_ISREG(st->st_mode) || (st->st_uid != proc.st_uid && st->st_uid != 0) || st->st_mtime + 1 < started) {
		close(fd);
		return -EPERM;
	}
	return fd;
}

bool perf_map_exists(pid_t pid)
{
	struct stat st;
	int fd = perf_map_open(pid, proc_start_time(pid), &st);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

int perf_map_load(const char *path, struct perf_map **out)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC), err;

	if (fd < 0)
		return -errno;
	err = perf_map_read(fd, out);
	close(fd);
	return err;
}

int perf_map_read(int fd, struct perf_map **out)
{
	struct perf_map *m;
	char line[MAX_LINE];
	struct stat st;
	int dup_fd, err = 0;
	FILE *f;

	/* A map past the bound is refused whole: reading part of it would name code wrongly. */
	if (fstat(fd, &st))
		return -errno;
	if ((uint64_t)st.st_size > PERF_MAP_MAX_BYTES)
		return -EFBIG;
	dup_fd = dup(fd);
	f = dup_fd < 0 ? NULL : fdopen(dup_fd, "r");
	if (!f) {
		err = -errno;
		if (dup_fd >= 0)
			close(dup_fd);
		return err;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		fclose(f);
		return -ENOMEM;
	}
	while (!err && m->bytes < PERF_MAP_MAX_BYTES && fgets(line, sizeof(line), f)) {
		size_t len = strlen(line), name_len;
		uint64_t start, end;
		const char *name;

		m->bytes += len;
		if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
			/* Longer than any name we keep: skip the rest of it. */
			int c;

			while ((c = fgetc(f)) != EOF && c != '\n')
				m->bytes++;
			continue;
		}
		if (parse_line(line, &start, &end, &name, &name_len))
			err = add_symbol(m, start, end, name, name_len);
	}
	fclose(f);
	if (err || m->bytes > PERF_MAP_MAX_BYTES) {
		perf_map_free(m);
		return err ? err : -EFBIG; /* it grew past the bound while read */
	}
	if (m->n)
		qsort(m->syms, m->n, sizeof(*m->syms), by_start);
	*out = m;
	return 0;
}

const char *perf_map_lookup(const struct perf_map *m, uint64_t addr)
{
	size_t lo = 0, hi = m->n;
	const char *found = NULL;

	/* The last symbol starting at or before addr; JITs reuse code space, later lines win ties. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->syms[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0 && addr < m->syms[lo - 1].end)
		found = m->names + m->syms[lo - 1].name;
	return found;
}

size_t perf_map_size(const struct perf_map *m)
{
	return m->n;
}

void perf_map_free(struct perf_map *m)
{
	if (!m)
		return;
	free(m->syms);
	free(m->names);
	free(m);
}

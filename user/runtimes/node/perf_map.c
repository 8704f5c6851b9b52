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
#include "runtimes/node/perf_map.h"

#define MAX_BYTES (256ULL << 20) /* read at most this much of a map */
#define MAX_LINE  4096
#define MAX_NAME  127

struct perf_symbol {
	uint64_t start;
	uint64_t end;
	size_t line; /* later lines win ties: the JIT reused that code space */
	char *name;
};

struct perf_map {
	struct perf_symbol *syms;
	size_t n;
	uint64_t bytes;
};

static int by_start(const void *a, const void *b)
{
	const struct perf_symbol *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* "START SIZE name": START and SIZE in hex (optional 0x), name to the end of the line. */
static bool parse_line(char *line, struct perf_symbol *sym)
{
	unsigned long long start, size;
	char *p = line, *end;
	size_t len;

	start = strtoull(p, &end, 16);
	if (end == p || *end != ' ')
		return false;
	p = end + 1;
	size = strtoull(p, &end, 16);
	if (end == p || *end != ' ' || size == 0 || start + size < start)
		return false;
	p = end + 1;
	len = strcspn(p, "\n");
	if (len == 0)
		return false;
	if (len > MAX_NAME)
		len = MAX_NAME;
	sym->name = strndup(p, len);
	sym->start = start;
	sym->end = start + size;
	return sym->name != NULL;
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
	size_t cap = 0;
	int dup_fd = dup(fd);
	FILE *f = dup_fd < 0 ? NULL : fdopen(dup_fd, "r");

	if (!f) {
		int err = errno;

		if (dup_fd >= 0)
			close(dup_fd);
		return -err;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		fclose(f);
		return -ENOMEM;
	}
	while (m->bytes < MAX_BYTES && fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);
		struct perf_symbol sym;

		m->bytes += len;
		if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
			/* Longer than any name we keep: skip the rest of it. */
			int c;

			while ((c = fgetc(f)) != EOF && c != '\n')
				m->bytes++;
			continue;
		}
		if (!parse_line(line, &sym))
			continue;
		if (m->n == cap) {
			struct perf_symbol *more = realloc(m->syms, (cap = cap ? cap * 2 : 1024) * sizeof(*more));

			if (!more) {
				free(sym.name);
				break;
			}
			m->syms = more;
		}
		sym.line = m->n;
		m->syms[m->n++] = sym;
	}
	fclose(f);
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
		found = m->syms[lo - 1].name;
	return found;
}

size_t perf_map_size(const struct perf_map *m)
{
	return m->n;
}

uint64_t perf_map_bytes(const struct perf_map *m)
{
	return m->bytes;
}

void perf_map_free(struct perf_map *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->n; i++)
		free(m->syms[i].name);
	free(m->syms);
	free(m);
}

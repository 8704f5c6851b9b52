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

#include "perf_map.h"

#define MAX_BYTES (256ULL << 20) /* read at most this much of a map */
#define MAX_LINE  4096
#define MAX_NAME  127

struct perf_symbol {
	uint64_t start;
	uint64_t end;
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

	return x->start < y->start ? -1 : x->start > y->start;
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

/* Where process pid's map is, seen from here. */
static void perf_map_path(pid_t pid, char *buf, size_t len)
{
	snprintf(buf, len, "/proc/%d/root/tmp/perf-%d.map", pid, pid);
}

time_t process_start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start_ticks = 0, btime = 0;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	/* Field 22, starttime, counted from the state (field 3) after the comm. */
	for (i = 3; p && i <= 22; i++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p, " %llu", &start_ticks) != 1)
		return 0;
	f = fopen("/proc/stat", "re");
	if (!f)
		return 0;
	while (fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "btime %llu", &btime) == 1)
			break;
	fclose(f);
	return btime ? (time_t)(btime + start_ticks / sysconf(_SC_CLK_TCK)) : 0;
}

bool perf_map_find(pid_t pid, time_t started, char *path, size_t len, struct stat *st)
{
	struct stat proc;
	char dir[32];

	perf_map_path(pid, path, len);
	snprintf(dir, sizeof(dir), "/proc/%d", pid);
	if (lstat(path, st) || !S_ISREG(st->st_mode) || stat(dir, &proc))
		return false;
	if (st->st_uid != proc.st_uid && st->st_uid != 0)
		return false;
	/* The start time has whole seconds: allow one. */
	return st->st_mtime + 1 >= started;
}

bool perf_map_exists(pid_t pid)
{
	char path[64];
	struct stat st;

	return perf_map_find(pid, process_start_time(pid), path, sizeof(path), &st);
}

int perf_map_load(const char *path, struct perf_map **out)
{
	struct perf_map *m;
	char line[MAX_LINE];
	size_t cap = 0;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "r");

	if (!f) {
		int err = errno;

		if (fd >= 0)
			close(fd);
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
		m->syms[m->n++] = sym;
	}
	fclose(f);
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

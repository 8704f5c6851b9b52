// SPDX-License-Identifier: GPL-2.0
/* A process's JIT names from its perf map, read again when it changes (jit_map.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/duration.h"
#include "base/proc.h"
#include "symbols/jit_map.h"
#include "symbols/perf_map.h"

#define RELOAD_NS  (1000 * 1000000ULL) /* a perf map is looked at again at most this often */
#define HEAD_BYTES 64

struct jit_map {
	pid_t pid;
	time_t started; /* to tell its perf map from a stale one */
	struct perf_map *map;
	uint64_t loaded_ns;    /* when the map was last looked at */
	char head[HEAD_BYTES]; /* its first bytes when last read */
	off_t size;	       /* and its size */
	int refused;	       /* -EFBIG, -E2BIG: the map is past the bounds and ignored */
	bool said;	       /* that was said on stderr */
};

struct jit_map *jit_map_new(pid_t pid)
{
	struct jit_map *m = calloc(1, sizeof(*m));

	if (m) {
		m->pid = pid;
		m->started = proc_start_time(pid);
	}
	return m;
}

void jit_map_free(struct jit_map *m)
{
	if (m)
		perf_map_free(m->map);
	free(m);
}

/* The first bytes of the map: an append keeps them, a new snapshot does not. */
static void read_head(int fd, char *head)
{
	ssize_t n = pread(fd, head, HEAD_BYTES, 0);

	memset(head + (n > 0 ? n : 0), 0, HEAD_BYTES - (n > 0 ? n : 0));
}

/*
 * Read again, at most once a RELOAD_NS, when it was written anew (a JVM's
 * snapshot: the old names would be wrong) or, for an address it did not
 * name (missed), when it has grown (node appends as it compiles). Whether
 * it was read.
 */
static bool reload(struct jit_map *m, bool missed)
{
	uint64_t now = monotonic_ns();
	char head[HEAD_BYTES];
	struct stat st;
	bool read = false;
	int fd, err;

	if (m->loaded_ns && now - m->loaded_ns < RELOAD_NS)
		return false;
	m->loaded_ns = now;
	fd = perf_map_open(m->pid, m->started, &st);
	if (fd < 0)
		return false;
	read_head(fd, head);
	if ((!m->map && !m->refused) || memcmp(head, m->head, HEAD_BYTES) != 0 || st.st_size < m->size ||
	    (missed && st.st_size > m->size)) {
		memcpy(m->head, head, HEAD_BYTES);
		m->size = st.st_size;
		read = true;
		perf_map_free(m->map);
		m->map = NULL;
		err = perf_map_read(fd, &m->map);
		m->refused = err == -EFBIG || err == -E2BIG ? err : 0;
		if (err)
			m->map = NULL;
		if (m->refused && !m->said) {
			fprintf(stderr,
				"loopstall: pid %d: its perf map is past loopstall's bounds (%u MiB, %u symbols): "
				"ignored\n",
				m->pid, PERF_MAP_MAX_BYTES >> 20, PERF_MAP_MAX_SYMBOLS);
			m->said = true;
		}
	}
	close(fd);
	return read;
}

int jit_map_name(struct jit_map *m, uint64_t addr, char *buf, size_t len)
{
	const char *name = m->map ? perf_map_lookup(m->map, addr) : NULL;

	if (reload(m, !name))
		name = m->map ? perf_map_lookup(m->map, addr) : NULL;
	if (!name)
		return -ENOENT;
	snprintf(buf, len, "%s", name);
	return 0;
}

int jit_map_refused(const struct jit_map *m)
{
	return m ? m->refused : 0;
}

void jit_short_name(char *name)
{
	char *open = strchr(name, '('), *space;

	if (!open || open == name || (!memchr(name, '.', open - name) && !strstr(name, "::")))
		return;		    /* not a method's signature: "StubRoutines (1)" */
	*open = 0;		    /* the parameter list */
	space = strrchr(name, ' '); /* a return type or a tier before the name */
	if (space && space[1])
		memmove(name, space + 1, strlen(space + 1) + 1);
}

// SPDX-License-Identifier: GPL-2.0
/* Node.js behind the runtime interface: its JIT's perf map. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/duration.h"
#include "runtimes/node/node.h"
#include "runtimes/node/perf_map.h"

#define RELOAD_NS (1000 * 1000000ULL) /* a perf map is read again at most this often */

struct node_process {
	time_t started; /* to tell its perf map from a stale one */
	struct perf_map *jit;
	uint64_t loaded_ns;  /* when the map was last (re)read */
	int refused;	     /* -EFBIG, -E2BIG: the map is past the bounds and ignored */
	bool said;	     /* that was said on stderr */
};

/* name is a file name, possibly followed by " (deleted)". */
static bool name_is(const char *name, const char *want)
{
	size_t n = strlen(want);

	return strncmp(name, want, n) == 0 && (name[n] == '\0' || name[n] == ' ');
}

static bool recognize(const struct proc_maps *maps, const char *exe)
{
	int i;

	if (name_is(exe, "node") || name_is(exe, "nodejs"))
		return true;
	for (i = 0; i < maps->n; i++)
		if (maps->v[i].path[0] == '/' && !strncmp(base_name(maps->v[i].path), "libnode.so", 10))
			return true;
	return false;
}

static int open_process(pid_t pid, const struct proc_maps *maps, void **state)
{
	struct node_process *n = calloc(1, sizeof(*n));

	(void)maps;
	if (!n)
		return -ENOMEM;
	n->started = proc_start_time(pid);
	*state = n;
	return 0;
}

static void close_process(void *state)
{
	struct node_process *n = state;

	perf_map_free(n->jit);
	free(n);
}

/*
 * Reads the map again when it has grown, at most once a RELOAD_NS: each
 * unnamed address of a stall would otherwise read it anew. A map past the
 * bounds is refused, said once, and noted on the records.
 */
static void reload(struct node_process *n, pid_t pid)
{
	uint64_t now = monotonic_ns();
	struct stat st;
	int fd, err;

	if (n->loaded_ns && now - n->loaded_ns < RELOAD_NS)
		return;
	n->loaded_ns = now;
	fd = perf_map_open(pid, n->started, &st);
	if (fd < 0)
		return;
	if (!n->jit || (uint64_t)st.st_size > perf_map_bytes(n->jit)) {
		perf_map_free(n->jit);
		n->jit = NULL;
		err = perf_map_read(fd, &n->jit);
		n->refused = err == -EFBIG || err == -E2BIG ? err : 0;
		if (err)
			n->jit = NULL;
		if (n->refused && !n->said) {
			fprintf(stderr, "loopstall: pid %d: its perf map is past loopstall's bounds (%u MiB, %u symbols): ignored\n",
				pid, PERF_MAP_MAX_BYTES >> 20, PERF_MAP_MAX_SYMBOLS);
			n->said = true;
		}
	}
	close(fd);
}

/* JIT code is in no file: name it from the perf map. */
static int name_jit(void *state, pid_t pid, uint64_t addr, char *buf, size_t len)
{
	struct node_process *n = state;
	const char *name = n->jit ? perf_map_lookup(n->jit, addr) : NULL;

	if (!name) {
		reload(n, pid);
		name = n->jit ? perf_map_lookup(n->jit, addr) : NULL;
	}
	if (!name)
		return -ENOENT;
	snprintf(buf, len, "%s", name);
	return 0;
}

static void refine(void *state, struct stall_record *r, const struct stall_frame *native, int n)
{
	struct node_process *np = state;

	(void)native, (void)n;
	if (np && np->refused)
		snprintf(r->note, sizeof(r->note),
			 "JavaScript frames are unnamed: /tmp/perf-%d.map is past loopstall's bounds (%u MiB, %u "
			 "symbols); --perf-basic-prof-only-functions keeps it smaller",
			 r->pid, PERF_MAP_MAX_BYTES >> 20, PERF_MAP_MAX_SYMBOLS);
	else if (!perf_map_exists(r->pid))
		snprintf(r->note, sizeof(r->note),
			 "JavaScript frames are unnamed: start node with "
			 "--perf-basic-prof-only-functions (it writes /tmp/perf-%d.map)",
			 r->pid);
}

const struct runtime_ops node_runtime = {
	.name = "node",
	.recognize = recognize,
	.open = open_process,
	.close = close_process,
	.name_jit = name_jit,
	.refine = refine,
};

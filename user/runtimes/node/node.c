// SPDX-License-Identifier: GPL-2.0
/* Node.js behind the runtime interface: its JIT's perf map. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtimes/node/node.h"
#include "runtimes/node/perf_map.h"

struct node_process {
	time_t started; /* to tell its perf map from a stale one */
	struct perf_map *jit;
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

/* JIT code is in no file: name it from the perf map, (re)loading the map when it has grown. */
static int name_jit(void *state, pid_t pid, uint64_t addr, char *buf, size_t len)
{
	struct node_process *n = state;
	const char *name = n->jit ? perf_map_lookup(n->jit, addr) : NULL;
	struct stat st;
	int fd;

	if (!name) {
		fd = perf_map_open(pid, n->started, &st);
		if (fd < 0)
			return -ENOENT;
		if (!n->jit || (uint64_t)st.st_size > perf_map_bytes(n->jit)) {
			perf_map_free(n->jit);
			n->jit = NULL;
			if (perf_map_read(fd, &n->jit))
				n->jit = NULL;
		}
		close(fd);
		name = n->jit ? perf_map_lookup(n->jit, addr) : NULL;
	}
	if (!name)
		return -ENOENT;
	snprintf(buf, len, "%s", name);
	return 0;
}

static void refine(struct stall_record *r, const struct stall_frame *native, int n)
{
	(void)native, (void)n;
	if (!perf_map_exists(r->pid))
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

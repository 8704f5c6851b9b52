// SPDX-License-Identifier: GPL-2.0
/*
 * Node.js behind the runtime interface: JavaScript frames read from V8's
 * own frames (v8_frames.c, with the metadata node exports), and its JIT's
 * perf map, when node writes one, for code the frames do not name.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtimes/node/js_api.h"
#include "runtimes/node/node.h"
#include "runtimes/node/v8_frames.h"
#include "runtimes/node/v8_metadata.h"
#include "symbols/jit_map.h"
#include "symbols/perf_map.h"

struct node_process {
	pid_t pid;
	struct v8_metadata v8;
	int v8_err;		  /* 0: JavaScript frames are read; else why not */
	char v8_missing[96];	  /* the metadata it lacks */
	struct v8_lines_cache *lines;
	struct jit_map *jit; /* made when first asked */
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

/* The file V8 is linked into: libnode.so, else the executable. */
static const struct proc_mapping *v8_file(const struct proc_maps *maps, pid_t pid)
{
	char exe[PATH_MAX];
	int i;

	for (i = 0; i < maps->n; i++)
		if (maps->v[i].path[0] == '/' && !strncmp(base_name(maps->v[i].path), "libnode.so", 10))
			return &maps->v[i];
	if (proc_exe_path(pid, exe, sizeof(exe)) == 0)
		return proc_maps_find(maps, exe);
	return NULL;
}

/* V8's metadata, from the file as the target maps it: n->v8_err says why frames cannot be read. */
static void load_v8(struct node_process *n, pid_t pid, const struct proc_maps *maps)
{
	const struct proc_mapping *m = v8_file(maps, pid);
	char path[PATH_MAX + 64];
	int fd;

	n->v8_err = -ENOENT;
	snprintf(n->v8_missing, sizeof(n->v8_missing), "no node binary is mapped");
	if (!m)
		return;
	fd = proc_open_mapped(pid, m, path, sizeof(path));
	if (fd < 0) {
		n->v8_err = fd;
		snprintf(n->v8_missing, sizeof(n->v8_missing), "its binary cannot be opened");
		return;
	}
	n->v8_err = v8_metadata_read(fd, &n->v8, n->v8_missing, sizeof(n->v8_missing));
	close(fd);
	if (!n->v8_err)
		n->lines = v8_lines_cache_new();
}

static int open_process(pid_t pid, const struct proc_maps *maps, void **state)
{
	struct node_process *n = calloc(1, sizeof(*n));

	if (!n)
		return -ENOMEM;
	n->pid = pid;
	load_v8(n, pid, maps);
	*state = n;
	return 0;
}

static void close_process(void *state)
{
	struct node_process *n = state;

	jit_map_free(n->jit);
	v8_lines_cache_free(n->lines);
	free(n);
}

static void status(void *state, int err, char *buf, size_t len)
{
	struct node_process *n = state;

	if (err)
		snprintf(buf, len, "unreadable: %s", strerror(-err));
	else if (n->v8_err)
		snprintf(buf, len, "JavaScript frames unread: %s", n->v8_missing);
	else
		snprintf(buf, len, "JavaScript frames from V8");
}

static int read_code_frame(void *state, const struct mem_reader *stack, const struct mem_reader *heap, uint64_t ip,
			   uint64_t fp, struct stall_frame *out)
{
	struct node_process *n = state;

	(void)ip;
	if (n->v8_err)
		return n->v8_err;
	return v8_read_frame(&n->v8, stack ? stack : heap, heap, n->lines, fp, out);
}

/* JIT code is in no file: name it from the perf map. */
static int name_jit(void *state, pid_t pid, uint64_t addr, char *buf, size_t len)
{
	struct node_process *n = state;

	(void)pid;
	if (!n->jit)
		n->jit = jit_map_new(n->pid);
	return n->jit ? jit_map_name(n->jit, addr, buf, len) : -ENOMEM;
}

/* V8's entry points of JavaScript APIs (JSON.parse's C++ builtin) by the API's name. */
static int name_native(void *state, const struct stall_frame *f, uint64_t caller, char *buf, size_t len)
{
	const char *api = js_api_of_native(f->function);

	(void)state, (void)caller;
	if (!api)
		return -ENOENT;
	snprintf(buf, len, "%s", api);
	return 0;
}

static void refine(void *state, struct stall_record *r, const struct stall_frame *native, int n)
{
	struct node_process *np = state;

	(void)native, (void)n;
	if (np && jit_map_refused(np->jit))
		snprintf(r->note, sizeof(r->note),
			 "JavaScript frames are unnamed: /tmp/perf-%d.map is past loopstall's bounds (%u MiB, %u "
			 "symbols); --perf-basic-prof-only-functions keeps it smaller",
			 r->pid, PERF_MAP_MAX_BYTES >> 20, PERF_MAP_MAX_SYMBOLS);
	else if (np && np->v8_err && !perf_map_exists(r->pid))
		snprintf(r->note, sizeof(r->note),
			 "JavaScript frames are unnamed: start node with "
			 "--perf-basic-prof-only-functions (it writes /tmp/perf-%d.map)",
			 r->pid);
}

/* Node's main thread runs libuv's default loop; worker threads are found at their next wait. */
static int loop_of_thread(void *state, pid_t pid, pid_t tid, bool running, char *how, size_t len)
{
	(void)state, (void)running;
	if (tid != pid)
		return -ENOENT;
	snprintf(how, len, "node: the main thread runs libuv's loop");
	return THREAD_IN_ITERATION;
}

const struct runtime_ops node_runtime = {
	.name = "node",
	.loop_of_thread = loop_of_thread,
	.recognize = recognize,
	.open = open_process,
	.close = close_process,
	.status = status,
	.read_code_frame = read_code_frame,
	.name_jit = name_jit,
	.name_native = name_native,
	.refine = refine,
};

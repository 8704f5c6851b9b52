// SPDX-License-Identifier: GPL-2.0
/*
 * The runtime registry: asks each runtime in turn whether a process is its
 * own (from one read of its mappings), and keeps the answer and the
 * runtime's state per process, least recently used out first.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtimes/node/node.h"
#include "runtimes/python/python.h"
#include "runtimes/redis/redis.h"
#include "runtimes/runtime.h"

/* One line per runtime, most specific first. */
static const struct runtime_ops *const all_runtimes[] = {
	&python_runtime,
	&node_runtime,
	&redis_runtime,
};

#define SLOTS 256

struct process {
	pid_t pid; /* 0: empty */
	const struct runtime_ops *ops;
	struct proc_maps *maps; /* kept until open, then dropped */
	bool opened;
	int err; /* of open */
	void *state;
	uint64_t last_use;
};

struct runtimes {
	struct process slots[SLOTS];
	uint64_t clock;
};

struct runtimes *runtimes_new(void)
{
	return calloc(1, sizeof(struct runtimes));
}

static void drop(struct process *p)
{
	if (p->state && p->ops->close)
		p->ops->close(p->state);
	proc_maps_free(p->maps);
	memset(p, 0, sizeof(*p));
}

void runtimes_free(struct runtimes *rt)
{
	int i;

	if (!rt)
		return;
	for (i = 0; i < SLOTS; i++)
		drop(&rt->slots[i]);
	free(rt);
}

void runtimes_forget(struct runtimes *rt, pid_t pid)
{
	int i;

	for (i = 0; i < SLOTS; i++)
		if (rt->slots[i].pid == pid)
			drop(&rt->slots[i]);
}

static const struct runtime_ops *identify(const struct proc_maps *maps, const char *exe)
{
	size_t i;

	for (i = 0; i < sizeof(all_runtimes) / sizeof(all_runtimes[0]); i++)
		if (all_runtimes[i]->recognize(maps, exe))
			return all_runtimes[i];
	return NULL;
}

/* pid's entry, identified on first sight. */
static struct process *lookup(struct runtimes *rt, pid_t pid)
{
	struct process *p, *victim = &rt->slots[0];
	char exe[256];
	int i;

	for (i = 0; i < SLOTS; i++) {
		p = &rt->slots[i];
		if (p->pid == pid) {
			p->last_use = ++rt->clock;
			return p;
		}
		if (!p->pid || (victim->pid && p->last_use < victim->last_use))
			victim = p;
	}
	drop(victim);
	p = victim;
	p->pid = pid;
	p->last_use = ++rt->clock;
	if (proc_maps_read(pid, &p->maps)) {
		p->maps = NULL;
		return p; /* gone, or unreadable: no runtime */
	}
	proc_exe_name(pid, exe, sizeof(exe));
	p->ops = identify(p->maps, exe);
	if (!p->ops || !p->ops->open) {
		proc_maps_free(p->maps);
		p->maps = NULL;
	}
	return p;
}

/* pid's entry with its runtime's state, or NULL when there is none to ask. */
static struct process *opened(struct runtimes *rt, pid_t pid)
{
	struct process *p = lookup(rt, pid);

	if (!p->ops || !p->ops->open)
		return NULL;
	if (!p->opened) {
		p->opened = true;
		p->err = p->ops->open(pid, p->maps, &p->state);
		if (p->err)
			p->state = NULL;
		proc_maps_free(p->maps);
		p->maps = NULL;
	}
	return p;
}

const struct runtime_ops *runtimes_of(struct runtimes *rt, pid_t pid)
{
	return lookup(rt, pid)->ops;
}

const char *runtimes_name(struct runtimes *rt, pid_t pid)
{
	const struct runtime_ops *ops = runtimes_of(rt, pid);

	return ops ? ops->name : "other";
}

bool runtimes_has_frames(struct runtimes *rt, pid_t pid)
{
	const struct runtime_ops *ops = runtimes_of(rt, pid);

	return ops && ops->read_stack;
}

void runtimes_fill_record(struct runtimes *rt, struct stall_record *r, bool running)
{
	struct process *p = opened(rt, r->pid);
	int n;

	if (!p)
		return;
	snprintf(r->runtime, sizeof(r->runtime), "%s", p->ops->name);
	if (p->ops->status)
		p->ops->status(p->state, p->err, r->runtime_status, sizeof(r->runtime_status));
	r->runtime_error = p->err != 0;
	if (p->err || !p->ops->read_stack || r->nframes >= STALL_MAX_FRAMES)
		return;
	n = p->ops->read_stack(p->state, r->tid, running, &r->frames[r->nframes], STALL_MAX_FRAMES - r->nframes);
	if (n >= 0) {
		r->nframes += n;
		return;
	}
	r->runtime_error = true;
	snprintf(r->runtime_status + strlen(r->runtime_status), sizeof(r->runtime_status) - strlen(r->runtime_status),
		 ", stack unreadable: %s", strerror(-n));
}

int runtimes_read_stack(struct runtimes *rt, pid_t pid, pid_t tid, struct stall_frame *out, int max)
{
	struct process *p = opened(rt, pid);

	if (!p || !p->ops->read_stack)
		return 0;
	if (p->err)
		return p->err;
	return p->ops->read_stack(p->state, tid, true, out, max);
}

void runtimes_fill_holder(struct runtimes *rt, struct stall_record *r)
{
	struct process *p = opened(rt, r->pid);

	if (p && !p->err && p->ops->lock_holder && p->ops->lock_holder(p->state, r->tid, &r->holder))
		memset(&r->holder, 0, sizeof(r->holder));
}

bool runtimes_is_interpreter(struct runtimes *rt, pid_t pid, const char *module)
{
	const struct runtime_ops *ops = runtimes_of(rt, pid);

	return ops && ops->is_interpreter && ops->is_interpreter(module);
}

int runtimes_name_jit(struct runtimes *rt, pid_t pid, uint64_t addr, char *buf, size_t len)
{
	struct process *p = opened(rt, pid);

	if (!p || p->err || !p->ops->name_jit)
		return -ENOENT;
	return p->ops->name_jit(p->state, pid, addr, buf, len);
}

void runtimes_refine(struct runtimes *rt, struct stall_record *r, const struct stall_frame *native, int n)
{
	const struct runtime_ops *ops = runtimes_of(rt, r->pid);

	if (ops && ops->refine)
		ops->refine(r, native, n);
}

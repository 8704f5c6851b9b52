// SPDX-License-Identifier: GPL-2.0
/*
 * The runtime registry: asks each runtime in turn whether a process is its
 * own (from one read of its mappings), and keeps the answer and the
 * runtime's state per process, least recently used out first.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtimes/go/go.h"
#include "runtimes/jvm/jvm.h"
#include "runtimes/native_loops.h"
#include "runtimes/node/node.h"
#include "runtimes/python/python.h"
#include "runtimes/redis/redis.h"
#include "runtimes/ruby/ruby.h"
#include "runtimes/runtime.h"
#include "symbols/jit_map.h"

/* One line per runtime, most specific first. */
static const struct runtime_ops *const all_runtimes[] = {
	&python_runtime,
	&node_runtime,
	&redis_runtime,
	&jvm_runtime,
	&ruby_runtime,
	&go_runtime,
};

#define SLOTS 256

struct process {
	pid_t pid; /* 0: empty */
	const struct runtime_ops *ops;
	struct proc_maps *maps; /* kept until open, then dropped */
	bool opened;
	int err; /* of open */
	void *state;
	struct jit_map *jit; /* another JIT's perf map (a JVM's), made when first asked */
	uint64_t last_use;
};

struct runtimes {
	/* Held by every call: another thread may warm a process here (runtimes_warm). */
	pthread_mutex_t lock;
	struct process slots[SLOTS];
	uint64_t clock;
	struct mem_look look; /* of the stack whose code frames are being read */
};

struct runtimes *runtimes_new(void)
{
	struct runtimes *rt = calloc(1, sizeof(struct runtimes));

	if (rt)
		pthread_mutex_init(&rt->lock, NULL);
	return rt;
}

static void drop(struct process *p)
{
	if (p->state && p->ops->close)
		p->ops->close(p->state);
	proc_maps_free(p->maps);
	jit_map_free(p->jit);
	memset(p, 0, sizeof(*p));
}

void runtimes_free(struct runtimes *rt)
{
	int i;

	if (!rt)
		return;
	for (i = 0; i < SLOTS; i++)
		drop(&rt->slots[i]);
	pthread_mutex_destroy(&rt->lock);
	free(rt);
}

void runtimes_forget(struct runtimes *rt, pid_t pid)
{
	int i;

	pthread_mutex_lock(&rt->lock);
	for (i = 0; i < SLOTS; i++)
		if (rt->slots[i].pid == pid)
			drop(&rt->slots[i]);
	pthread_mutex_unlock(&rt->lock);
}

static const struct runtime_ops *identify(const struct proc_maps *maps, const char *exe)
{
	size_t i;

	for (i = 0; i < sizeof(all_runtimes) / sizeof(all_runtimes[0]); i++)
		if (all_runtimes[i]->recognize(maps, exe))
			return all_runtimes[i];
	return NULL;
}

/* Reads pid's maps and asks the runtimes: p->ops (NULL: none), p->maps kept for open. */
static void identify_process(struct process *p, pid_t pid)
{
	char exe[256];

	p->pid = pid;
	if (proc_maps_read(pid, &p->maps)) {
		p->maps = NULL;
		return; /* gone, or unreadable: no runtime */
	}
	proc_exe_name(pid, exe, sizeof(exe));
	p->ops = identify(p->maps, exe);
	if (!p->ops || !p->ops->open) {
		proc_maps_free(p->maps);
		p->maps = NULL;
	}
}

static struct process *find(struct runtimes *rt, pid_t pid)
{
	int i;

	for (i = 0; i < SLOTS; i++)
		if (rt->slots[i].pid == pid)
			return &rt->slots[i];
	return NULL;
}

/* An empty slot, or the least recently used one emptied. */
static struct process *free_slot(struct runtimes *rt)
{
	struct process *victim = &rt->slots[0];
	int i;

	for (i = 0; i < SLOTS; i++) {
		struct process *p = &rt->slots[i];

		if (!p->pid || (victim->pid && p->last_use < victim->last_use))
			victim = p;
	}
	drop(victim);
	return victim;
}

/* pid's entry, identified on first sight. */
static struct process *lookup(struct runtimes *rt, pid_t pid)
{
	struct process *p = find(rt, pid);

	if (!p) {
		p = free_slot(rt);
		identify_process(p, pid);
	}
	p->last_use = ++rt->clock;
	return p;
}

static void open_state(struct process *p)
{
	p->opened = true;
	p->err = p->ops->open(p->pid, p->maps, &p->state);
	if (p->err)
		p->state = NULL;
	proc_maps_free(p->maps);
	p->maps = NULL;
}

/*
 * The slow part (reading the maps, the runtime's open: CPython's ELF
 * symbols) runs outside the lock on an entry of our own, installed after:
 * the owner, reading stacks under the lock meanwhile, never waits for it.
 */
void runtimes_warm(struct runtimes *rt, pid_t pid)
{
	struct process built = {0}, *p;
	bool present;

	pthread_mutex_lock(&rt->lock);
	present = find(rt, pid) != NULL;
	pthread_mutex_unlock(&rt->lock);
	if (present)
		return;
	identify_process(&built, pid);
	if (built.ops && built.ops->open)
		open_state(&built);
	pthread_mutex_lock(&rt->lock);
	if (find(rt, pid)) {
		pthread_mutex_unlock(&rt->lock);
		drop(&built);
		return;
	}
	p = free_slot(rt);
	*p = built;
	p->last_use = ++rt->clock;
	pthread_mutex_unlock(&rt->lock);
}

/* pid's entry with its runtime's state, or NULL when there is none to ask. */
static struct process *opened(struct runtimes *rt, pid_t pid)
{
	struct process *p = lookup(rt, pid);

	if (!p->ops || !p->ops->open)
		return NULL;
	if (!p->opened)
		open_state(p);
	return p;
}

const struct runtime_ops *runtimes_of(struct runtimes *rt, pid_t pid)
{
	const struct runtime_ops *ops;

	pthread_mutex_lock(&rt->lock);
	ops = lookup(rt, pid)->ops;
	pthread_mutex_unlock(&rt->lock);
	return ops;
}

const char *runtimes_name(struct runtimes *rt, pid_t pid)
{
	const struct runtime_ops *ops = runtimes_of(rt, pid);

	return ops ? ops->name : "other";
}

bool runtimes_run_no_loops(struct runtimes *rt, pid_t pid)
{
	const struct runtime_ops *ops = runtimes_of(rt, pid);

	return ops && ops->runs_no_loops;
}

bool runtimes_has_frames(struct runtimes *rt, pid_t pid)
{
	const struct runtime_ops *ops = runtimes_of(rt, pid);

	return ops && ops->read_stack;
}

bool runtimes_is_interpreter(struct runtimes *rt, pid_t pid, const char *module)
{
	struct process *p;
	bool is;

	pthread_mutex_lock(&rt->lock);
	p = lookup(rt, pid);
	is = p->ops && p->ops->is_interpreter && p->ops->is_interpreter(p->opened && !p->err ? p->state : NULL, module);
	pthread_mutex_unlock(&rt->lock);
	return is;
}

bool runtimes_is_eval_loop(struct runtimes *rt, pid_t pid, const char *function)
{
	const struct runtime_ops *ops = runtimes_of(rt, pid);

	return ops && ops->is_eval_loop && ops->is_eval_loop(function);
}

bool runtimes_is_own_thread(struct runtimes *rt, pid_t pid, const char *name)
{
	const struct runtime_ops *ops = runtimes_of(rt, pid);

	return ops && ops->is_own_thread && ops->is_own_thread(name);
}

static bool unnamed_jit_code(const struct stall_frame *native, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(native[i].module, "[jit]") == 0)
			return true;
	return false;
}

void runtimes_refine(struct runtimes *rt, struct stall_record *r, const struct stall_frame *native, int n)
{
	struct process *p;

	pthread_mutex_lock(&rt->lock);
	p = lookup(rt, r->pid);
	if (p->ops && p->ops->refine)
		p->ops->refine(p->opened && !p->err ? p->state : NULL, r, native, n);
	/* r->frames hold only the runtime's own frames yet: a JVM whose Java frames were read needs no perf map */
	if ((!p->ops || !p->ops->name_jit) && !r->note[0] && r->nframes == 0 && unnamed_jit_code(native, n))
		snprintf(r->note, sizeof(r->note),
			 "JIT code is unnamed: %s /tmp/perf-%d.map (a JVM writes it on `jcmd %d Compiler.perfmap`)",
			 jit_map_refused(p->jit) ? "loopstall's bounds refuse" : "no", r->pid, r->pid);
	pthread_mutex_unlock(&rt->lock);
}

static void fill_record(struct process *p, struct stall_record *r, bool running)
{
	int n;

	snprintf(r->runtime, sizeof(r->runtime), "%s", p->ops->name);
	if (p->ops->status)
		p->ops->status(p->state, p->err, r->runtime_status, sizeof(r->runtime_status));
	r->runtime_error = p->err != 0;
	if (p->err || !p->ops->read_stack || r->nframes >= STALL_MAX_FRAMES)
		return;
	n = p->ops->read_stack(p->state, r->tid, running, &r->frames[r->nframes], STALL_MAX_FRAMES - r->nframes);
	if (n >= 0) {
		r->nframes += n;
		if (n > 0 && p->ops->read_request && p->ops->read_request(p->state, r->tid, &r->request))
			memset(&r->request, 0, sizeof(r->request));
		served_request_hide_query(&r->request);
		return;
	}
	r->runtime_error = true;
	snprintf(r->runtime_status + strlen(r->runtime_status), sizeof(r->runtime_status) - strlen(r->runtime_status),
		 ", stack unreadable: %s", strerror(-n));
}

void runtimes_fill_record(struct runtimes *rt, struct stall_record *r, bool running)
{
	struct process *p;

	pthread_mutex_lock(&rt->lock);
	p = opened(rt, r->pid);
	if (p)
		fill_record(p, r, running);
	pthread_mutex_unlock(&rt->lock);
}

int runtimes_read_stack(struct runtimes *rt, pid_t pid, pid_t tid, struct stall_frame *out, int max)
{
	struct process *p;
	int n = 0;

	pthread_mutex_lock(&rt->lock);
	p = opened(rt, pid);
	if (p && p->ops->read_stack)
		n = p->err ? p->err : p->ops->read_stack(p->state, tid, true, out, max);
	pthread_mutex_unlock(&rt->lock);
	return n;
}

int runtimes_read_sample_stack(struct runtimes *rt, pid_t pid, const struct mem_reader *stack, uint64_t pc,
			       uint64_t sp, uint64_t fp, struct stall_frame *out, int max)
{
	struct mem_reader heap;
	struct process *p;
	int n = 0;

	pthread_mutex_lock(&rt->lock);
	p = opened(rt, pid);
	if (p && !p->err && p->ops->read_sample_stack) {
		mem_look_begin(&rt->look, pid, &heap);
		n = p->ops->read_sample_stack(p->state, stack, &heap, pc, sp, fp, out, max);
	}
	pthread_mutex_unlock(&rt->lock);
	return n;
}

int runtimes_thread_name(struct runtimes *rt, pid_t pid, pid_t tid, char *buf, size_t len)
{
	struct process *p;
	int r = -ENOENT;

	buf[0] = 0;
	pthread_mutex_lock(&rt->lock);
	p = opened(rt, pid);
	if (p && !p->err && p->ops->thread_name)
		r = p->ops->thread_name(p->state, tid, buf, len);
	pthread_mutex_unlock(&rt->lock);
	return r;
}

void runtimes_fill_holder(struct runtimes *rt, struct stall_record *r)
{
	struct process *p;

	pthread_mutex_lock(&rt->lock);
	p = opened(rt, r->pid);
	if (p && !p->err && p->ops->lock_holder && p->ops->lock_holder(p->state, r->tid, &r->holder))
		memset(&r->holder, 0, sizeof(r->holder));
	pthread_mutex_unlock(&rt->lock);
}

int runtimes_read_code_frames(struct runtimes *rt, pid_t pid, const struct mem_reader *stack, uint64_t *ips,
			      const uint64_t *fps, int nips, struct stall_frame *table, int *n, int max)
{
	struct stall_frame f;
	struct process *p;
	struct mem_reader heap;
	uint64_t last_fp = 0;
	int i, at, found = 0;

	pthread_mutex_lock(&rt->lock);
	p = opened(rt, pid);
	mem_look_begin(&rt->look, pid, &heap);
	for (i = 0; p && !p->err && p->ops->read_code_frame && i < nips; i++) {
		/* A frameless stub shares its caller's frame pointer: that frame is read once. */
		if (!fps[i] || fps[i] == last_fp || is_code_ref(ips[i]))
			continue;
		memset(&f, 0, sizeof(f));
		if (p->ops->read_code_frame(p->state, stack, &heap, ips[i], fps[i], &f))
			continue;
		last_fp = fps[i];
		at = code_table_add(table, n, max, &f);
		if (at >= 0) {
			ips[i] = CODE_REF | (uint64_t)at;
			found++;
		}
	}
	pthread_mutex_unlock(&rt->lock);
	return found;
}

int runtimes_name_native(struct runtimes *rt, pid_t pid, const struct stall_frame *f, uint64_t caller, char *buf,
			 size_t len)
{
	struct process *p;
	int err = -ENOENT;

	pthread_mutex_lock(&rt->lock);
	p = opened(rt, pid);
	if (p && !p->err && p->ops->name_native)
		err = p->ops->name_native(p->state, f, caller, buf, len);
	pthread_mutex_unlock(&rt->lock);
	return err;
}

void runtimes_warm_names(struct runtimes *rt, pid_t pid)
{
	struct process *p;

	pthread_mutex_lock(&rt->lock);
	p = opened(rt, pid);
	if (p && !p->err && p->ops->warm_names)
		p->ops->warm_names(p->state);
	pthread_mutex_unlock(&rt->lock);
}

int runtimes_loop_of_thread(struct runtimes *rt, pid_t pid, pid_t tid, bool running, const struct stall_frame *native,
			    int n, char *how, size_t len)
{
	struct process *p;
	int state = -ENOENT;

	pthread_mutex_lock(&rt->lock);
	p = lookup(rt, pid);
	if (p->ops && p->ops->loop_of_thread) {
		if (p->ops->open && !p->opened)
			open_state(p);
		if (!p->err) /* runtimes with no state (redis) are asked with none */
			state = p->ops->loop_of_thread(p->state, pid, tid, running, how, len);
	}
	pthread_mutex_unlock(&rt->lock);
	return state >= 0 ? state : native_loop_state(native, n, how, len);
}

int runtimes_name_jit(struct runtimes *rt, pid_t pid, uint64_t addr, struct stall_frame *f)
{
	char name[sizeof(f->function)];
	struct process *p;
	int err = -ENOENT;

	pthread_mutex_lock(&rt->lock);
	p = lookup(rt, pid);
	if (p->ops && p->ops->name_jit) {
		p = opened(rt, pid);
		if (p && !p->err && p->ops->name_jit(p->state, pid, addr, name, sizeof(name)) == 0) {
			f->kind = FRAME_JS;
			err = 0;
		}
	} else {
		if (!p->jit)
			p->jit = jit_map_new(pid);
		if (p->jit && jit_map_name(p->jit, addr, name, sizeof(name)) == 0) {
			jit_short_name(name);
			f->kind = FRAME_JIT;
			err = 0;
		}
	}
	pthread_mutex_unlock(&rt->lock);
	if (!err)
		memcpy(f->function, name, sizeof(f->function));
	return err;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The second half of attribution, on the reporter thread: captured native
 * addresses and CPU samples become named frames and hot frames, and what
 * the names tell refines the cause (a futex wait for the GIL is "gil").
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include <stdlib.h>

#include "attrib/fd_describe.h"
#include "attrib/resolve.h"
#include "attrib/waited_for.h"
#include "record/culprit.h"

#define SOCKET_CACHE 64
#define RUNTIME_FUNCTION_REACH 12 /* interpreter frames looked past for a C function of Python */

/* A socket described lately: a stall's end record finds it even when the socket is closed by then. */
struct described_socket {
	pid_t pid;
	char link[32]; /* "socket:[INODE]" */
	char desc[sizeof(((struct stall_record *)0)->fd_desc)];
};

/*
 * Addresses named for the record being resolved: a CPU stall's samples
 * repeat the same few hundred addresses, each asked for up to three times.
 */
#define NAMED_SLOTS 512 /* a power of two */
struct named_ip {
	uint64_t ip; /* 0: free */
	uint64_t caller;
	bool is_return;
	bool own;
	struct stall_frame frame;
};

struct resolver {
	struct symbolizer *symbolizer;
	struct runtimes *runtimes;
	struct described_socket sockets[SOCKET_CACHE];
	unsigned int next_socket;
	struct named_ip *named; /* NAMED_SLOTS, emptied for each record */
};

struct resolver *resolver_new(void)
{
	struct resolver *rs = calloc(1, sizeof(*rs));

	if (!rs)
		return NULL;
	rs->symbolizer = symbolizer_new(true);
	rs->runtimes = runtimes_new();
	rs->named = calloc(NAMED_SLOTS, sizeof(*rs->named));
	if (!rs->symbolizer || !rs->runtimes || !rs->named) {
		resolver_free(rs);
		return NULL;
	}
	return rs;
}

void resolver_free(struct resolver *rs)
{
	if (!rs)
		return;
	symbolizer_free(rs->symbolizer);
	runtimes_free(rs->runtimes);
	free(rs->named);
	free(rs);
}

void resolver_forget(struct resolver *rs, pid_t pid)
{
	symbolizer_forget(rs->symbolizer, pid);
	runtimes_forget(rs->runtimes, pid);
}

void resolver_warm(struct resolver *rs, pid_t pid)
{
	symbolizer_warm(rs->symbolizer, pid, true); /* on the reporter thread, its user */
	runtimes_warm_names(rs->runtimes, pid);
}

/*
 * Names one address: a function of a module (by the runtime's name for it
 * when it has one: CPython's C functions), else JIT code the runtime knows
 * (code in no module, or copied into an unnamed range of one, like node's
 * interpreter trampolines). True when the runtime named a function of its own.
 */
static bool name_ip_uncached(struct resolver *rs, const struct stall_record *r, uint64_t ip, bool is_return,
			     uint64_t caller, struct stall_frame *f)
{
	char own[sizeof(f->function)];
	pid_t pid = r->pid;

	memset(f, 0, sizeof(*f));
	/* Read by its runtime while it was there (V8's frames). */
	if (is_code_ref(ip)) {
		if ((ip & ~CODE_REF) < (uint64_t)r->ncode)
			*f = r->code[ip & ~CODE_REF];
		return false;
	}
	symbolize_ip(rs->symbolizer, pid, ip, is_return, f);
	if (f->entry && runtimes_name_native(rs->runtimes, pid, f, caller, own, sizeof(own)) == 0) {
		snprintf(f->function, sizeof(f->function), "%s", own);
		f->runtime_function = true;
		return true;
	}
	/* In no file, or in a JIT's anonymous code ("[jit]"): its perf map may name it. */
	if (f->module[0] && strcmp(f->module, "[jit]") != 0)
		return false;
	if (runtimes_name_jit(rs->runtimes, pid, is_return && ip ? ip - 1 : ip, f) == 0) {
		f->module[0] = 0;
		f->file[0] = 0;
		f->line = 0;
	}
	return false;
}

/*
 * Frame k of a walk of n addresses (ips, innermost first: the others
 * return addresses), named by name_ip_uncached once per address and caller
 * of a record: a C function may be named by its caller (what jumped there).
 */
static bool name_ip(struct resolver *rs, const struct stall_record *r, const uint64_t *ips, int n, int k,
		    struct stall_frame *f)
{
	uint64_t ip = ips[k], caller = k + 1 < n ? ips[k + 1] : 0;
	bool is_return = k > 0;
	unsigned int h = (unsigned int)((ip ^ (ip >> 17) ^ caller ^ is_return) * 0x9e3779b1u), i;
	struct named_ip *e;

	for (i = 0; i < NAMED_SLOTS; i++) {
		e = &rs->named[(h + i) & (NAMED_SLOTS - 1)];
		if (!e->ip)
			break;
		if (e->ip == ip && e->caller == caller && e->is_return == is_return) {
			*f = e->frame;
			return e->own;
		}
	}
	bool own = name_ip_uncached(rs, r, ip, is_return, caller, f);

	if (ip && i < NAMED_SLOTS && !e->ip) {
		e->ip = ip;
		e->caller = caller;
		e->is_return = is_return;
		e->own = own;
		e->frame = *f;
	}
	return own;
}

/* The next hot frame: the most samples in the function itself, then in all, then the innermost. */
static bool hotter(const struct hot_frame *c, int c_depth, const struct hot_frame *b, int b_depth)
{
	if (c->self != b->self)
		return c->self > b->self;
	if (c->samples != b->samples)
		return c->samples > b->samples;
	return c_depth < b_depth;
}

/*
 * Moves the best counted frame that passes want (by inclusive samples if
 * by_inclusive, else by hotter()) to r->hot. False when none is left.
 */
static bool pick(struct hot_frame *counted, const int *depth, int ncounted, struct stall_record *r,
		 bool (*want)(const struct stall_record *r, const struct hot_frame *h), bool by_inclusive)
{
	int best = -1, j;

	if (r->nhot == STALL_MAX_HOT)
		return false;
	for (j = 0; j < ncounted; j++) {
		const struct hot_frame *c = &counted[j], *b = best < 0 ? NULL : &counted[best];

		if (!c->samples || (want && !want(r, c)))
			continue;
		if (!b || (by_inclusive && c->samples != b->samples ? c->samples > b->samples
								      : hotter(c, depth[j], b, depth[best])))
			best = j;
	}
	if (best < 0)
		return false;
	r->hot[r->nhot++] = counted[best];
	counted[best].samples = 0; /* taken */
	return true;
}

static bool is_app(const struct stall_record *r, const struct hot_frame *h)
{
	return frame_is_application(r, &h->frame);
}

static bool is_leaf_library(const struct stall_record *r, const struct hot_frame *h)
{
	return h->self > 0 && !frame_is_application(r, &h->frame);
}

/* Frame j of CPU sample i, named; false past the last one in a known module or the perf map. */
static bool sample_frame(struct resolver *rs, const struct stall_record *r, int i, int j, struct stall_frame *f)
{
	if (j >= r->sample_depth[i] || j >= STALL_SAMPLE_DEPTH)
		return false;
	name_ip(rs, r, r->sample_ips[i], r->sample_depth[i] < STALL_SAMPLE_DEPTH ? r->sample_depth[i] : STALL_SAMPLE_DEPTH,
		j, f);
	/* "clock_nanosleep@GLIBC_2.2.5": the symbol version is noise here. */
	f->function[strcspn(f->function, "@")] = 0;
	return f->module[0] || f->kind == FRAME_JS || f->kind == FRAME_JIT;
}

/*
 * The native (and JS) functions most often on CPU: each sample counts once
 * for every distinct function among its innermost frames.
 */
static void count_native_samples(struct resolver *rs, struct stall_record *r)
{
	struct hot_frame counted[64];
	int depth[64]; /* the innermost position each was seen at */
	int ncounted = 0, i, j, k;

	for (i = 0; i < r->n_samples; i++) {
		int seen[STALL_SAMPLE_DEPTH], nseen = 0;
		struct stall_frame f;

		for (j = 0; sample_frame(rs, r, i, j, &f); j++) {
			f.line = 0;
			if (f.kind != FRAME_JS) /* a JavaScript function is told by its script */
				f.file[0] = 0;
			f.ip = 0;
			for (k = 0; k < ncounted; k++)
				if (strcmp(counted[k].frame.function, f.function) == 0 &&
				    strcmp(counted[k].frame.module, f.module) == 0 &&
				    strcmp(counted[k].frame.file, f.file) == 0)
					break;
			if (k == ncounted) {
				if (ncounted == 64)
					continue;
				counted[ncounted].frame = f;
				counted[ncounted].samples = 0;
				counted[ncounted].self = 0;
				counted[ncounted].of_runtime = false;
				depth[ncounted++] = j;
			}
			if (j < depth[k])
				depth[k] = j;
			if (j == 0)
				counted[k].self++;
			for (int m = 0; m < nseen; m++)
				if (seen[m] == k)
					goto next;
			seen[nseen++] = k;
			counted[k].samples++;
		next:;
		}
	}
	/*
	 * Where the time went: the application's hottest functions (up to
	 * STALL_MAX_HOT_APP, by inclusive samples: its code calls what runs),
	 * the hottest library function that ran itself (deflate, a hash's
	 * block function), then the rest by samples in the function itself.
	 * Interpreter plumbing that every sample passes through but that never
	 * runs itself (the eval loop, the event loop) comes last.
	 */
	for (i = 0; i < STALL_MAX_HOT_APP && pick(counted, depth, ncounted, r, is_app, true); i++)
		;
	pick(counted, depth, ncounted, r, is_leaf_library, false);
	while (pick(counted, depth, ncounted, r, NULL, false))
		;
}

/*
 * The sample that shows the most of the hot frames, each counted by how
 * hot it is, the deepest on a tie: the path the stall spent its time on,
 * not one caught on the way out (nor the shorter of two phases).
 */
static int typical_sample(struct resolver *rs, const struct stall_record *r)
{
	int best = 0, best_hits = -1, i, j, h;

	for (i = 0; i < r->n_samples; i++) {
		struct stall_frame f;
		bool seen[STALL_MAX_HOT] = {false};
		int hits = 0;

		for (j = 0; sample_frame(rs, r, i, j, &f); j++)
			for (h = 0; h < r->nhot; h++)
				if (!seen[h] && !r->hot[h].of_runtime &&
				    strcmp(r->hot[h].frame.function, f.function) == 0 &&
				    strcmp(r->hot[h].frame.module, f.module) == 0) {
					seen[h] = true;
					hits += r->hot[h].samples;
				}
		if (hits > best_hits || (hits == best_hits && r->sample_depth[i] > r->sample_depth[best])) {
			best = i;
			best_hits = hits;
		}
	}
	return best;
}

/* "socket:[INODE]" as the detecting thread read it (desc, len bytes): the peer, from the network tables. */
static void describe_socket(struct resolver *rs, pid_t pid, char *desc, size_t len)
{
	struct described_socket *d;
	int i;

	if (strncmp(desc, "socket:[", 8) != 0 || strlen(desc) >= sizeof(d->link))
		return;
	for (i = 0; i < SOCKET_CACHE; i++) {
		d = &rs->sockets[i];
		if (d->pid == pid && strcmp(d->link, desc) == 0) {
			snprintf(desc, len, "%s", d->desc);
			return;
		}
	}
	d = &rs->sockets[rs->next_socket++ % SOCKET_CACHE];
	d->pid = pid;
	snprintf(d->link, sizeof(d->link), "%s", desc);
	fd_describe_socket(pid, desc, len);
	snprintf(d->desc, sizeof(d->desc), "%s", desc);
}

static void describe_sockets(struct resolver *rs, struct stall_record *r)
{
	int i;

	describe_socket(rs, r->pid, r->fd_desc, sizeof(r->fd_desc));
	for (i = 0; i < r->waited.nfds; i++)
		describe_socket(rs, r->pid, r->waited.fds[i].target, sizeof(r->waited.fds[i].target));
}

/*
 * Whether a native frame from i on, before the interpreter's eval loop, is a
 * C function its runtime names: time.sleep under its helpers, or
 * sqlite3.Connection.execute under a statement cache's calls back into
 * the interpreter (lru_cache, PyObject_Call).
 */
static bool runtime_function_ahead(struct resolver *rs, const struct stall_record *r, int i)
{
	struct stall_frame f;
	int k;

	for (k = i; k < r->n_native_ips && k < i + RUNTIME_FUNCTION_REACH; k++) {
		if (name_ip(rs, r, r->native_ips, r->n_native_ips, k, &f))
			return true;
		if (runtimes_is_eval_loop(rs->runtimes, r->pid, f.function))
			return false;
	}
	return false;
}

/* A phase on CPU is the application's hottest function's (the hot list is named by now). */
static void blame_cpu_phases(struct stall_record *r)
{
	int i, h;

	for (i = 0; i < r->nphases; i++) {
		if (r->phases[i].syscall_nr >= 0 || r->phases[i].culprit.function[0])
			continue;
		for (h = 0; h < r->nhot; h++) {
			if (frame_is_application(r, &r->hot[h].frame)) {
				r->phases[i].culprit = r->hot[h].frame;
				break;
			}
		}
	}
}

/*
 * At f the runtime's frames take over. A native frame there (its eval
 * loop) stays, as plumbing; code the runtime runs itself (a JVM's Java
 * method, named where the walk found it) is no plumbing: it stays as a
 * frame of the code's unless the runtime's frames, read apart, hold it
 * again. Whether f stays.
 */
static bool native_end_kept(const struct stall_record *r, struct stall_frame *f)
{
	if (f->kind == FRAME_NATIVE)
		return true;
	f->interpreter = false;
	return r->nframes == 0;
}

/*
 * Native frames first, innermost first, then the Python frames already in
 * r->frames. A frame-pointer walk through code built without frame pointers
 * yields garbage after a frame or two: stop at the first address in no module.
 */
void resolve_record(struct resolver *rs, struct stall_record *r)
{
	struct stall_frame native[STALL_MAX_NATIVE];
	int n = 0, i, keep;

	for (i = 0; i < NAMED_SLOTS; i++)
		rs->named[i].ip = 0;
	for (i = 0; i < r->n_native_ips; i++) {
		struct stall_frame *f = &native[n];
		bool own = name_ip(rs, r, r->native_ips, r->n_native_ips, i, f);

		if (!f->module[0] && f->kind != FRAME_JS && f->kind != FRAME_JIT)
			break;
		/* "clock_nanosleep@GLIBC_2.2.5": the symbol version is noise here. */
		f->function[strcspn(f->function, "@")] = 0;
		n++;
		f->interpreter = !own && runtimes_is_interpreter(rs->runtimes, r->pid, f->module);
		/*
		 * The runtime's frames take over at its interpreter: after its
		 * plumbing, unless a C function of its own (time.sleep, under its
		 * helpers) comes first.
		 */
		if (r->native_to_interpreter && f->interpreter && !runtime_function_ahead(rs, r, i + 1)) {
			n -= !native_end_kept(r, f);
			break;
		}
	}
	r->n_native_ips = 0;
	describe_sockets(rs, r);
	if (r->n_samples > 0)
		count_native_samples(rs, r);
	/*
	 * On CPU: the native stack is where the samples say it spent its time,
	 * not where it happened to block for a moment (an incidental mprotect).
	 */
	if ((r->cause == CAUSE_CPU || (n == 0 && r->nframes == 0)) && r->n_samples > 0) {
		int typical = typical_sample(rs, r);

		n = 0;
		while (n < STALL_MAX_NATIVE && sample_frame(rs, r, typical, n, &native[n])) {
			struct stall_frame *f = &native[n++], next;
			bool ahead = false;
			int k;

			f->interpreter = !f->runtime_function && runtimes_is_interpreter(rs->runtimes, r->pid, f->module);
			for (k = n; f->interpreter && k < n + RUNTIME_FUNCTION_REACH && !ahead; k++) {
				if (!sample_frame(rs, r, typical, k, &next) ||
				    runtimes_is_eval_loop(rs->runtimes, r->pid, next.function))
					break;
				ahead = next.runtime_function;
			}
			if (r->native_to_interpreter && f->interpreter && !ahead) {
				n -= !native_end_kept(r, f);
				break;
			}
		}
	}
	/* A futex wait is a lock, unless its runtime says which (the GIL). */
	if (r->cause == CAUSE_SYSCALL && r->syscall_nr == SYS_futex)
		r->cause = CAUSE_LOCK;
	runtimes_refine(rs->runtimes, r, native, n);
	keep = r->nframes + n > STALL_MAX_FRAMES ? STALL_MAX_FRAMES - n : r->nframes;
	memmove(&r->frames[n], &r->frames[0], keep * sizeof(r->frames[0]));
	memcpy(&r->frames[0], native, n * sizeof(native[0]));
	r->nframes = keep + n;
	waited_for_named(r);
	blame_cpu_phases(r);
}

// SPDX-License-Identifier: GPL-2.0
/* From kernel accounting to one stall record: cause, syscall, fd, stacks. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "attrib/attribution.h"
#include "base/arch.h"
#include "base/duration.h"
#include "attrib/fd_describe.h"
#include "attrib/waited_for.h"
#include "base/proc.h"
#include "runtimes/native_loops.h"
#include "trace/loops.h"
#include "symbols/symbolize.h"
#include "base/syscalls.h"

struct attribution {
	struct symbolizer *symbolizer;
	struct runtimes *runtimes; /* the detecting thread's own */
};

struct attribution *attribution_new(struct runtimes *rt)
{
	struct attribution *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->runtimes = rt;
	a->symbolizer = symbolizer_new(false); /* unwinding: CFI is in the binaries */
	if (!a->symbolizer) {
		free(a);
		return NULL;
	}
	return a;
}

void attribution_free(struct attribution *a)
{
	if (!a)
		return;
	symbolizer_free(a->symbolizer);
	free(a);
}

void attribution_forget(struct attribution *a, pid_t pid)
{
	symbolizer_forget(a->symbolizer, pid);
	runtimes_forget(a->runtimes, pid);
}

void attribution_warm(struct attribution *a, pid_t pid)
{
	symbolizer_warm(a->symbolizer, pid, false); /* the detecting thread must not wait */
	runtimes_warm(a->runtimes, pid);
}

/* Wall-clock time of a CLOCK_MONOTONIC (bpf_ktime_get_ns) timestamp. */
static struct timespec wall_time_of(uint64_t mono_ns)
{
	struct timespec now;
	uint64_t ago = monotonic_ns() - mono_ns;
	int64_t wall;

	clock_gettime(CLOCK_REALTIME, &now);
	wall = now.tv_sec * 1000000000LL + now.tv_nsec - (int64_t)ago;
	now.tv_sec = wall / 1000000000LL;
	now.tv_nsec = wall % 1000000000LL;
	return now;
}

/* a - b, or 0: the kernel's counters of a torn copy may disagree. */
static uint64_t minus(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

/* The dominant share of the stall's time names its cause. */
static void choose_cause(struct stall_record *r)
{
	uint64_t best = r->cpu_ns;

	r->cause = CAUSE_CPU;
	if (r->blocked_sys_ns > best)
		best = r->blocked_sys_ns, r->cause = CAUSE_SYSCALL;
	if (r->runq_ns > best)
		best = r->runq_ns, r->cause = CAUSE_RUNQUEUE;
	if (r->other_ns > best)
		best = r->other_ns, r->cause = CAUSE_OTHER;
	if (r->stopped_ns > best)
		r->cause = CAUSE_STOPPED;
}

static void fill_syscall(struct stall_record *r, const struct ls_syscall *sc, uint64_t blocked_ns, bool ongoing)
{
	int fd_arg;

	r->syscall_nr = sc->nr;
	r->syscall_ongoing = ongoing;
	r->syscall_ns = blocked_ns;
	memcpy(r->syscall_args, sc->args, sizeof(r->syscall_args));
	r->fd = -1;
	fd_arg = syscall_fd_arg(sc->nr);
	if (fd_arg >= 0) {
		r->fd = (int)sc->args[fd_arg];
		/* Only while it is going on is the fd surely the one it blocked on. */
		if (ongoing && fd_describe(r->pid, r->fd, r->fd_desc, sizeof(r->fd_desc)) != 0)
			r->fd_desc[0] = 0;
	}
}

/*
 * The native return addresses of the blocking point. While the thread is
 * still blocked its stack is stable: unwind it with DWARF CFI from the
 * registers the kernel saved. Otherwise use the kernel's frame-pointer walk.
 */
static void capture_native(struct attribution *a, struct stall_record *r, const struct ls_stack *stack, bool live)
{
	uint64_t fps[STALL_MAX_NATIVE];
	int n = -1;

	r->n_native_ips = 0;
	if (!stack)
		return;
	if (live && stack->has_regs) {
		struct unwind_regs regs;

		memcpy(regs.r, stack->regs, sizeof(regs.r));
		n = unwind_stack_fp(a->symbolizer, r->pid, r->tid, &regs, NULL, NULL, r->native_ips, fps,
				    STALL_MAX_NATIVE);
		/* JavaScript frames are read now: once the call returns, they are gone. */
		if (n > 0)
			runtimes_read_code_frames(a->runtimes, r->pid, NULL, r->native_ips, fps, n, r->code,
						  &r->ncode, STALL_MAX_CODE);
	}
	if (n <= 0) {
		n = stack->nr_frames < STALL_MAX_NATIVE ? (int)stack->nr_frames : STALL_MAX_NATIVE;
		memcpy(r->native_ips, stack->ips, n * sizeof(r->native_ips[0]));
	}
	r->n_native_ips = n;
}

/* The named native frames of blocked thread tid of pid, unwound from regs: count, or -errno. */
static int native_frames_of(struct attribution *a, pid_t pid, pid_t tid, const __u64 *regs, struct stall_frame *out,
			    int max)
{
	uint64_t ips[STALL_MAX_NATIVE];
	struct unwind_regs r;
	int n, i;

	memcpy(r.r, regs, sizeof(r.r));
	n = unwind_stack(a->symbolizer, pid, tid, &r, NULL, NULL, ips, max < STALL_MAX_NATIVE ? max : STALL_MAX_NATIVE);
	for (i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		symbolize_ip(a->symbolizer, pid, ips[i], i > 0, &out[i]);
	}
	return n;
}

int attribution_loop_of_thread(struct attribution *a, const struct ls_thread *t, char *how, size_t len)
{
	struct stall_frame native[32];
	int n = 0;

	/* A running thread's native stack cannot be unwound without stopping it: its runtime only. */
	if (t->state == LS_BLOCKED || t->state == LS_RUNNABLE) {
		n = native_frames_of(a, t->pid, t->tid, t->regs, native, 32);
		if (n < 0)
			n = 0;
	}
	return runtimes_loop_of_thread(a->runtimes, t->pid, t->tid, t->state == LS_ON_CPU, native, n, how, len);
}

bool attribution_has_runtime(struct attribution *a, pid_t pid)
{
	return runtimes_of(a->runtimes, pid) != NULL;
}

/* What loop l's runtime says of its thread now (enum thread_loop), or -ENOENT when it cannot tell. */
static int runtime_says(struct attribution *a, const struct ls_loop *l)
{
	char how[64];

	return runtimes_loop_of_thread(a->runtimes, l->pid, l->tid, l->state != LS_BLOCKED, NULL, 0, how, sizeof(how));
}

/* Whether loop l's own epoll instance or ring is no longer open: its loop is over (asyncio.run returned). */
static bool home_closed(const struct ls_loop *l)
{
	char link[64];

	if (l->home.kind != LS_WAIT_EPOLL && l->home.kind != LS_WAIT_URING)
		return false;
	if (fd_describe(l->pid, l->home.fd, link, sizeof(link)))
		return true; /* closed (or the process is gone) */
	return strcmp(link, l->home.kind == LS_WAIT_EPOLL ? "anon_inode:[eventpoll]" : "anon_inode:[io_uring]") != 0;
}

unsigned attribution_no_stall(struct attribution *a, const struct ls_loop *l, const struct ls_stack stacks[2],
			      uint64_t *park_futex)
{
	/* A Go program's thread: goroutines move off a thread that blocks, and idle threads park. */
	if (runtimes_run_no_loops(a->runtimes, l->pid))
		return LS_CTL_IGNORE;
	if (home_closed(l))
		return LS_CTL_FORGET_HOME;
	/*
	 * Not a loop's wait after all, so its home is forgotten (the next wait
	 * seen may be a loop's: asyncio.run after it): one fd polled with a
	 * timeout (a sync client's) unless its runtime says it runs a loop, or
	 * fds polled (subprocess.run's communicate() of a script) when its
	 * runtime says it runs none.
	 */
	if (l->home.kind == LS_WAIT_POLL && !(l->flags & LS_LOOP_FOUND)) {
		int says = runtime_says(a, l);

		if (l->home.vague ? says != THREAD_IN_ITERATION : says == THREAD_NO_LOOP)
			return LS_CTL_FORGET_HOME;
	}
	if (attribution_parked(a, l, stacks)) {
		*park_futex = l->cur.args[0];
		return LS_CTL_PARK;
	}
	return 0;
}

bool attribution_parked(struct attribution *a, const struct ls_loop *l, const struct ls_stack stacks[2])
{
	struct stall_frame native[32];
	char how[64];
	int i, n;

	if (l->state != LS_BLOCKED || l->cur.nr != SYS_futex)
		return false;
	for (i = 0; i < 2; i++) {
		if (stacks[i].iter_seq != l->iter_seq || stacks[i].call_seq != l->cur.call_seq || !stacks[i].has_regs)
			continue;
		n = native_frames_of(a, l->pid, l->tid, stacks[i].regs, native, 32);
		return n > 0 && native_loop_state(native, n, how, sizeof(how)) == THREAD_PARKED;
	}
	return false;
}

/* Bytes of the sample's copy of the stack; nothing outside it (the thread has moved on). */
static int read_sample_bytes(void *ctx, uint64_t addr, void *buf, size_t len)
{
	const struct ls_sample *s = ctx;
	uint64_t sp = s->regs[REG_SP];

	if (s->stack_len > LS_SAMPLE_STACK || len > s->stack_len || addr < sp || addr - sp > s->stack_len - len)
		return -EFAULT;
	memcpy(buf, s->stack + (addr - sp), len);
	return 0;
}

/* The same, a word at a time, for the unwinder. */
static int read_sample_stack(void *ctx, uint64_t addr, uint64_t *word)
{
	return read_sample_bytes(ctx, addr, word, sizeof(*word));
}

/*
 * The frame pointers of the kernel's frame-pointer walk ips, by the same
 * walk over the sample's copy: frame k+1's is the word at frame k's, and its
 * return address the word after. 0 from where the copy ends or the walks
 * disagree.
 */
static void frame_pointers(const struct ls_sample *s, const uint64_t *ips, uint64_t *fps, int n)
{
	uint64_t words[2];
	int k;

	fps[0] = s->regs[6];
	for (k = 1; k < n; k++) {
		fps[k] = 0;
		if (!fps[k - 1] || read_sample_bytes((void *)s, fps[k - 1], words, sizeof(words)) ||
		    words[1] != ips[k] || words[0] <= fps[k - 1])
			break;
		fps[k] = words[0];
	}
	for (; k < n; k++)
		fps[k] = 0;
}

int attribution_unwind_sample(struct attribution *a, const struct ls_sample *s, uint64_t *ips, int max,
			      struct stall_frame *code, int *ncode, int max_code)
{
	struct unwind_regs regs;
	uint64_t fps[STALL_SAMPLE_DEPTH];
	int n = -1, fp = s->nr_frames < (__u32)max ? (int)s->nr_frames : max;

	*ncode = 0;
	if (max > STALL_SAMPLE_DEPTH)
		max = STALL_SAMPLE_DEPTH;
	if (s->stack_len) {
		memcpy(regs.r, s->regs, sizeof(regs.r));
		n = unwind_stack_fp(a->symbolizer, s->pid, s->tid, &regs, read_sample_stack, (void *)s, ips, fps, max);
	}
	if (n > 1 && n >= fp) {
		/* The stack has moved on, but the JavaScript functions it ran are still in the heap. */
		struct mem_reader stack = {read_sample_bytes, (void *)s};

		runtimes_read_code_frames(a->runtimes, s->pid, &stack, ips, fps, n, code, ncode, max_code);
		return n;
	}
	memcpy(ips, s->ips, fp * sizeof(ips[0]));
	if (fp > 0) {
		struct mem_reader stack = {read_sample_bytes, (void *)s};

		frame_pointers(s, ips, fps, fp);
		runtimes_read_code_frames(a->runtimes, s->pid, &stack, ips, fps, fp, code, ncode, max_code);
	}
	return fp;
}

int attribution_runtime_stack(struct attribution *a, pid_t pid, pid_t tid, struct stall_frame *frames, int max)
{
	return runtimes_read_stack(a->runtimes, pid, tid, frames, max);
}

int attribution_sample_runtime_stack(struct attribution *a, const struct ls_sample *s, struct stall_frame *frames,
				     int max)
{
	struct mem_reader stack = {read_sample_bytes, (void *)s};

	if (!s->stack_len)
		return 0;
	return runtimes_read_sample_stack(a->runtimes, s->pid, &stack, s->regs[REG_PC], s->regs[REG_SP],
					  s->regs[REG_FP], frames, max);
}

static void fill_identity(struct stall_record *r, __u32 pid, __u32 tid, const char *comm, uint64_t seq,
			  uint64_t start_ns, uint64_t threshold_ns)
{
	stall_record_clear(r);
	r->pid = pid;
	r->tid = tid;
	memcpy(r->comm, comm, LS_COMM_LEN);
	r->comm[LS_COMM_LEN - 1] = 0;
	r->iter_seq = seq;
	r->start_wall = wall_time_of(start_ns);
	r->threshold_ns = threshold_ns;
	r->syscall_nr = -1;
	r->fd = -1;
}

void attribute_live(struct attribution *a, const struct ls_loop *snap, const struct ls_stack stacks[2], uint64_t now_ns,
		    uint64_t threshold_ns, struct stall_record *r)
{
	uint64_t running = minus(now_ns, snap->state_since_ns);
	uint64_t cur_blocked = snap->cur.blocked_ns, cur_total;
	const struct ls_stack *stack = NULL;
	bool in_syscall = snap->cur.nr != LS_NO_SYSCALL;
	/* The kernel finishes a call at the loop's next switch-out: running, it may have returned. */
	bool ongoing = in_syscall && snap->state != LS_ON_CPU;
	int i;

	fill_identity(r, snap->pid, snap->tid, snap->comm, snap->iter_seq, snap->iter_start_ns, threshold_ns);
	proc_exe_path(r->pid, r->exe, sizeof(r->exe));
	r->duration_ns = loop_busy_ns(snap, now_ns);
	r->cpu_ns = snap->acct.cpu_ns;
	r->runq_ns = snap->acct.runq_ns;
	r->blocked_sys_ns = snap->acct.blocked_sys_ns;
	r->other_ns = minus(snap->acct.blocked_ns, snap->acct.blocked_sys_ns);
	r->stopped_ns = snap->acct.stopped_ns;
	/* Add the segment in progress, which the kernel has not closed yet. */
	switch (snap->state) {
	case LS_ON_CPU: r->cpu_ns += running; break;
	case LS_RUNNABLE: r->runq_ns += running; break;
	case LS_STOPPED: r->stopped_ns += running; break;
	case LS_BLOCKED:
		if (in_syscall)
			r->blocked_sys_ns += running, cur_blocked += running;
		else
			r->other_ns += running;
		break;
	}
	choose_cause(r);
	cur_total = cur_blocked;
	/*
	 * The call the loop is blocked in now (the runtime's frames, read now,
	 * are its), with the same calls just before it; else the longer of the
	 * call in progress and the top finished one.
	 */
	if (in_syscall && snap->cur.nr == snap->top.nr)
		cur_total = snap->top.total_ns + cur_blocked;
	if (in_syscall && (ongoing || cur_total >= snap->top.total_ns)) {
		fill_syscall(r, &snap->cur, cur_total, ongoing);
		for (i = 0; i < 2; i++)
			if (stacks[i].iter_seq == snap->iter_seq && stacks[i].call_seq == snap->cur.call_seq)
				stack = &stacks[i];
	} else if (snap->top.nr != LS_NO_SYSCALL) {
		fill_syscall(r, &snap->top, snap->top.total_ns, false);
		if (stacks[1].iter_seq == snap->iter_seq && stacks[1].call_seq == snap->top.call_seq)
			stack = &stacks[1];
	}
	/* Native frames down to the interpreter, then the runtime's own (Python's); all native ones else. */
	capture_native(a, r, stack, true);
	r->native_to_interpreter = runtimes_has_frames(a->runtimes, r->pid);
	runtimes_fill_record(a->runtimes, r, snap->state != LS_BLOCKED);
	if (r->cause == CAUSE_SYSCALL && r->syscall_ongoing && r->syscall_nr == SYS_futex)
		runtimes_fill_holder(a->runtimes, r);
	/* While it is still blocked, its arguments point at what it waits for. */
	if (r->cause == CAUSE_SYSCALL && r->syscall_ongoing)
		waited_for_read(a->runtimes, r);
}

/* The signal a stalled thread died of, and who sent it: its command line while it is still there. */
static void who_ended_it(struct stall_record *r, const struct ls_signal *s)
{
	char path[64];
	ssize_t n;
	int fd;

	r->ended_by.signal = (int)s->sig;
	r->ended_by.by_kernel = s->code == 0x80; /* SI_KERNEL */
	r->ended_by.sender = (pid_t)s->sender;
	snprintf(path, sizeof(path), "/proc/%u/cmdline", s->sender);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, r->ended_by.command, sizeof(r->ended_by.command) - 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		n = 0;
	r->ended_by.command[n] = 0;
	for (ssize_t i = 0; i < n; i++)
		if (!r->ended_by.command[i])
			r->ended_by.command[i] = ' ';
	while (n > 0 && r->ended_by.command[n - 1] == ' ')
		r->ended_by.command[--n] = 0;
}

void attribute_end(struct attribution *a, const struct ls_event *e, const struct stall_record *begin,
		   uint64_t threshold_ns, struct stall_record *r)
{
	int i;

	fill_identity(r, e->pid, e->tid, e->comm, e->iter_seq, e->iter_start_ns, threshold_ns);
	r->ended = true;
	r->exited = e->exited;
	r->exiting = e->exited && (e->flags & LS_LOOP_CLOSED);
	if (e->exited && e->signal.sig)
		who_ended_it(r, &e->signal);
	if (e->flags & LS_LOOP_FOUND)
		snprintf(r->found_by, sizeof(r->found_by), "%s", begin && begin->found_by[0] ? begin->found_by : "a scan");
	r->duration_ns = minus(e->end_ns, e->iter_start_ns);
	r->cpu_ns = e->acct.cpu_ns;
	r->runq_ns = e->acct.runq_ns;
	r->blocked_sys_ns = e->acct.blocked_sys_ns;
	r->other_ns = minus(e->acct.blocked_ns, e->acct.blocked_sys_ns);
	r->stopped_ns = e->acct.stopped_ns;
	choose_cause(r);
	if (e->top.nr != LS_NO_SYSCALL) {
		fill_syscall(r, &e->top, e->top.total_ns, false);
		if (begin && begin->syscall_nr == e->top.nr && begin->fd == r->fd)
			memcpy(r->fd_desc, begin->fd_desc, sizeof(r->fd_desc));
	}
	if (begin) {
		/* The stack seen while it was going on: the loop has moved on since. */
		memcpy(r->exe, begin->exe, sizeof(r->exe));
		memcpy(r->runtime, begin->runtime, sizeof(r->runtime));
		memcpy(r->runtime_status, begin->runtime_status, sizeof(r->runtime_status));
		r->runtime_error = begin->runtime_error;
		r->holder = begin->holder;
		r->request = begin->request;
		if (begin->syscall_nr == e->top.nr)
			r->waited = begin->waited;
		r->native_to_interpreter = begin->native_to_interpreter;
		r->n_native_ips = begin->n_native_ips;
		memcpy(r->native_ips, begin->native_ips, begin->n_native_ips * sizeof(r->native_ips[0]));
		r->ncode = begin->ncode; /* what its CODE_REF entries point at */
		memcpy(r->code, begin->code, begin->ncode * sizeof(r->code[0]));
		r->nframes = begin->nframes;
		for (i = 0; i < begin->nframes; i++)
			r->frames[i] = begin->frames[i];
	} else {
		proc_exe_path(r->pid, r->exe, sizeof(r->exe));
		capture_native(a, r, e->stack.nr_frames ? &e->stack : NULL, false);
	}
}

// SPDX-License-Identifier: GPL-2.0
/*
 * loopstall's kernel side. A thread that waits in epoll_wait is an event
 * loop; one iteration runs from the return of a wait to the next wait: to
 * where the loop goes to sleep in it, or, if it returns at once, to its
 * return. Nothing runs at syscall entry: a program there would cost every
 * syscall on the host (about 150 ns on the CI VM). A syscall is seen when
 * the loop sleeps in it (sched_switch) and when it returns; the return of
 * any other call leaves at one bit test. For each busy iteration we split
 * the time into on CPU, runnable (waiting for a CPU) and blocked (in which
 * syscall), keep a log2 histogram of iteration times, and send a ring
 * buffer record only for iterations that reach the stall threshold.
 * User space sleeps until it is told of an iteration near the threshold
 * (LS_EV_BUSY, within two CPU sample periods of it, or the first CPU sample
 * of one busy for half the threshold); it then follows that loop in `loops`
 * until the iteration ends. An iteration on CPU is seen by the samples of
 * its CPU; one off CPU (blocked, preempted, stopped) is kept pending on the
 * CPU it left, and a BPF timer checks those every 5 ms (CPU clock samples do
 * not tick on an idle CPU).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "loopstall.h"
#include "arch/x86_64.h"

char LICENSE[] SEC("license") = "GPL";

#define IORING_ENTER_GETEVENTS 1
#define E2BIG		7  /* a map update of a full map */
#define ESRCH		3
#define EEXIST		17
#define TASK_STOPPED_BITS 0x0c /* __TASK_STOPPED | __TASK_TRACED in a task's state */

/* Set by user space before load. */
const volatile bool watch_all = false;	  /* no target given: every loop on the host */
const volatile bool report_execs = false; /* matching targets by name */
const volatile __u32 self_pid = 0;
const volatile __u64 threshold_ns = 100000000;
const volatile __u64 tick_ns = 10000000;	/* one clock tick (USER_HZ) in ns, the unit of start times */
const volatile __u64 busy_margin_ns = 10000000; /* two CPU sample periods */

/* Lost ring buffer records, read by user space. */
__u64 lost_events = 0;
/* Waits of loop threads not followed, the loop map being full (a thread counts at each of its waits). */
__u64 loops_untracked = 0;
/* Children of watched processes not watched, the watched set being full. */
__u64 procs_unwatched = 0;

/*
 * The watched processes: tgid -> when it started, in clock ticks since boot
 * (as /proc/PID/stat says), so a PID taken over by another process after
 * its own exited unseen is not watched (0: any process with that PID).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32); /* tgid */
	__type(value, __u64);
} watched SEC(".maps");

static __always_inline __u64 start_ticks(struct task_struct *task)
{
	return task->group_leader->start_boottime / tick_ns;
}

/* Whether the current process is the one watched under its PID; a stale entry is dropped. */
static bool is_watched(__u32 pid)
{
	__u64 *start = bpf_map_lookup_elem(&watched, &pid);

	if (!start)
		return false;
	if (*start && *start != start_ticks(bpf_get_current_task_btf())) {
		bpf_map_delete_elem(&watched, &pid);
		return false;
	}
	return true;
}

#define MAX_LOOPS 65536 /* loop threads followed at once: a big Java or Node host has thousands */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_LOOPS);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* memory for the loops there are, not for 64k */
	__type(key, __u32);		      /* tid */
	__type(value, struct ls_loop);
} loops SEC(".maps");

/*
 * One bit per thread id: set for loop threads. Every syscall and context
 * switch on the host asks "is this a loop?"; an array lookup answers it
 * for the ones that are not, before any hash lookup.
 */
#define LOOP_BITS_WORDS 65536 /* 2^22 thread ids: PID_MAX_LIMIT on 64-bit */
struct bitmap {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LOOP_BITS_WORDS);
	__type(key, __u32);
	__type(value, __u64);
};
struct bitmap loop_bits SEC(".maps");


/* Two stacks per loop thread: [0] the syscall in progress, [1] the top one. */
struct ls_stack_pair {
	struct ls_stack slot[2];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_LOOPS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct ls_stack_pair);
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20); /* room for a few hundred CPU samples in flight */
} events SEC(".maps");

/* Zeroed values to insert, too large for the BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ls_stack_pair);
} zero_stacks SEC(".maps");

/* A new loop's state, built here (too large for the BPF stack), from zero each time. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ls_loop);
} new_loop SEC(".maps");

/* Which kind of wait syscall nr is, with its arguments in r (io_uring_enter waits only with GETEVENTS). */
static __always_inline __u32 wait_kind(long nr, const struct pt_regs *r)
{
	switch (nr) {
	case NR_EPOLL_WAIT:
	case NR_EPOLL_PWAIT:
	case NR_EPOLL_PWAIT2: return LS_WAIT_EPOLL;
	case NR_POLL:
	case NR_PPOLL:
	case NR_SELECT:
	case NR_PSELECT6: return LS_WAIT_POLL;
	case NR_IO_URING_ENTER: return (ARG3(r) & IORING_ENTER_GETEVENTS) && (__u32)ARG2(r) ? LS_WAIT_URING : LS_WAIT_NONE;
	}
	return LS_WAIT_NONE;
}

/* Bits set in a select() fd set of nfds fds, up to two: enough to tell one fd from several. */
static __always_inline int fds_in_set(__u64 set, __u64 nfds)
{
	__u64 words[16] = {}, size = nfds >= 1024 ? sizeof(words) : (nfds + 63) / 64 * 8;
	int i, n = 0;

	asm volatile("" : "+r"(size));
	if (!set || size > sizeof(words) || !size || bpf_probe_read_user(words, size, (void *)set))
		return 0;
	for (i = 0; i < 16 && n < 2; i++)
		n += words[i] ? (words[i] & (words[i] - 1) ? 2 : 1) : 0;
	return n;
}

/*
 * A poll or select is surely a loop's own wait with several fds, or no
 * timeout. One fd with a timeout is what a sync client waits in (CPython's
 * socket timeouts, Java's timed reads), and an idle asyncio loop on its
 * PollSelector too: vague (struct ls_home), for user space to settle.
 */
static __always_inline bool may_be_loop_wait(long nr, const struct pt_regs *r)
{
	switch (nr) {
	case NR_POLL: return ARG1(r) >= 2 || (int)ARG2(r) < 0;
	case NR_PPOLL: return ARG1(r) >= 2 || !ARG2(r);
	case NR_SELECT:
	case NR_PSELECT6: return !ARG4(r) || fds_in_set(ARG1(r), ARG0(r)) + fds_in_set(ARG2(r), ARG0(r)) >= 2;
	}
	return true;
}

/* The kernel's struct file of the current thread's fd (0 when none): which instance a wait is on. */
static __always_inline __u64 file_of(struct task_struct *task, int fd)
{
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds;
	__u64 f = 0;

	if (!fdt || fd < 0 || fd >= BPF_CORE_READ(fdt, max_fds))
		return 0;
	fds = BPF_CORE_READ(fdt, fd);
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

static __always_inline void set_home(struct ls_loop *l, struct task_struct *task, __u32 kind, long nr,
				     const struct pt_regs *r)
{
	l->home.kind = kind;
	l->home.fd = kind == LS_WAIT_POLL ? -1 : (int)ARG0(r);
	l->home.sp = USER_SP(r);
	l->home.file = kind == LS_WAIT_POLL ? 0 : file_of(task, (int)ARG0(r));
	l->home.vague = kind == LS_WAIT_POLL && !may_be_loop_wait(nr, r);
}

/*
 * Whether a wait of kind with arguments r is the loop's own (ends an
 * iteration). The same instance is (for poll and select: the same place on
 * the stack). Another one is the loop's new home when it is as shallow on
 * the stack or shallower (a new instance, or the first one seen was
 * nested), or when the home was vague and it is not (PHP's fgets polls its
 * socket above its stream_select); deeper, it is a blocking call inside an
 * iteration (a nested loop, a sync client's selector). A vague wait never
 * takes the place of a home.
 */
static __always_inline bool is_home_wait(struct ls_loop *l, struct task_struct *task, __u32 kind, long nr,
					 const struct pt_regs *r)
{
	bool vague;

	if (kind == LS_WAIT_NONE)
		return false;
	if (kind == l->home.kind && (kind == LS_WAIT_POLL ? USER_SP(r) == l->home.sp : (int)ARG0(r) == l->home.fd)) {
		if (l->home.vague && may_be_loop_wait(nr, r))
			l->home.vague = 0; /* seen with several fds, or none timed: surely the loop's */
		return true;
	}
	if (l->home.kind == LS_WAIT_NONE) {
		set_home(l, task, kind, nr, r);
		return true;
	}
	vague = kind == LS_WAIT_POLL && !may_be_loop_wait(nr, r);
	if (vague || (USER_SP(r) < l->home.sp && !l->home.vague))
		return false;
	set_home(l, task, kind, nr, r);
	return true;
}

static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0, shift;

	shift = (v > 0xffffffffULL) << 5;
	v >>= shift;
	r |= shift;
	shift = (v > 0xffff) << 4;
	v >>= shift;
	r |= shift;
	shift = (v > 0xff) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xf) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	r |= (v >> 1);
	return r;
}

/* Thread ids beyond the bitmap (none under PID_MAX_LIMIT) test true: the hash map says. */
static __always_inline bool test_bit(void *map, __u32 tid)
{
	__u32 word = tid >> 6;
	__u64 *bits;

	if (word >= LOOP_BITS_WORDS)
		return true;
	bits = bpf_map_lookup_elem(map, &word);
	return bits && (*bits & (1ULL << (tid & 63)));
}

static __always_inline void set_bit(void *map, __u32 tid, bool on)
{
	__u32 word = tid >> 6;
	__u64 *bits = bpf_map_lookup_elem(map, &word);

	if (!bits)
		return;
	if (on)
		__sync_fetch_and_or(bits, 1ULL << (tid & 63));
	else
		__sync_fetch_and_and(bits, ~(1ULL << (tid & 63)));
}

static __always_inline bool maybe_loop(__u32 tid)
{
	return test_bit(&loop_bits, tid);
}

static __always_inline void mark_loop(__u32 tid, bool on)
{
	set_bit(&loop_bits, tid, on);
}

/*
 * Around every update of a loop's state, for readers in user space (see
 * struct ls_loop). Plain stores: a loop's state changes on one CPU at a
 * time but for rare races, which at worst tear one copy the reader clamps.
 */
static __always_inline void loop_write_begin(struct ls_loop *l)
{
	l->seq_end++;
	asm volatile("" ::: "memory");
}

static __always_inline void loop_write_end(struct ls_loop *l)
{
	asm volatile("" ::: "memory");
	l->seq = l->seq_end;
}

/* The loop state of the current thread (NULL if it is none). */
static __always_inline struct ls_loop *find_loop(__u32 tid)
{
	return maybe_loop(tid) ? bpf_map_lookup_elem(&loops, &tid) : NULL;
}

/* A process-level record (exec, exit, new loop): rare, never per iteration. */
static void emit_process_event(__u32 type, __u32 pid, __u32 tid)
{
	struct ls_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		__sync_fetch_and_add(&lost_events, 1);
		return;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->type = type;
	e->pid = pid;
	e->tid = tid;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
}

/* A thread of pid may become a loop: watched, and not loopstall itself. */
static __always_inline bool may_watch(__u32 pid)
{
	return pid != self_pid && (watch_all || is_watched(pid));
}

/* The loop state of a new loop thread of a watched process (NULL if the map is full). */
static struct ls_loop *create_loop(__u32 tid, __u32 pid)
{
	struct ls_loop *l, *fresh;
	__u32 zero = 0;

	fresh = bpf_map_lookup_elem(&new_loop, &zero);
	if (!fresh)
		return NULL;
	__builtin_memset(fresh, 0, sizeof(*fresh)); /* ls_adopt_loop fills it too */
	fresh->pid = pid;
	fresh->tid = tid;
	fresh->cur.nr = LS_NO_SYSCALL;
	fresh->top.nr = LS_NO_SYSCALL;
	bpf_get_current_comm(fresh->comm, sizeof(fresh->comm));
	/* Said by user space (at the first), counted in metrics. */
	if (bpf_map_update_elem(&loops, &tid, fresh, BPF_NOEXIST) == -E2BIG &&
	    __sync_fetch_and_add(&loops_untracked, 1) == 0)
		emit_process_event(LS_EV_LOOPS_FULL, pid, tid);
	l = bpf_map_lookup_elem(&loops, &tid);
	if (!l)
		return NULL;
	mark_loop(tid, true);
	/* User space warms its symbols for the process before a first stall. */
	emit_process_event(LS_EV_NEW_LOOP, pid, tid);
	return l;
}

/*
 * Only the loop's own thread counts its iterations: plain adds. The slot is
 * floor(log2(dur_ns / 1000)) without a division (tens of ns on x86): 1000
 * is in [2^9, 2^10), so it is log2(dur_ns) - 9, or one less.
 */
static __always_inline void record_iteration(struct ls_loop *l, __u64 dur_ns)
{
	__u64 slot = log2_u64(dur_ns);

	slot = slot > 9 ? slot - 9 : 0;
	/* Keep the bound visible to the verifier after the compiler's rewrites. */
	asm volatile("" : "+r"(slot));
	if (slot && slot < 63 && (1000ULL << slot) > dur_ns)
		slot--;
	if (slot >= LS_HIST_BUCKETS)
		slot = LS_HIST_BUCKETS - 1;
	l->hist.slots[slot]++;
	l->hist.sum_ns += dur_ns;
}

static void emit_stall_end(struct ls_loop *l, __u64 now, bool exited)
{
	struct ls_stack_pair *sp;
	struct ls_event *e;
	__u32 tid = l->tid;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&lost_events, 1);
		return;
	}
	e->type = LS_EV_STALL_END;
	e->pid = l->pid;
	e->tid = tid;
	e->exited = exited;
	e->flags = l->flags;
	e->pad = 0;
	e->signal = l->signal;
	__builtin_memcpy(e->comm, l->comm, sizeof(e->comm));
	e->iter_seq = l->iter_seq;
	e->iter_start_ns = l->iter_start_ns;
	e->end_ns = now;
	e->acct = l->acct;
	/* A syscall still in progress (thread exiting) counts as a candidate. */
	e->top = l->top;
	if (l->cur.nr != LS_NO_SYSCALL && l->cur.nr == l->top.nr) {
		e->top = l->cur;
		e->top.total_ns = l->top.total_ns + l->cur.blocked_ns;
	} else if (l->cur.nr != LS_NO_SYSCALL && l->cur.blocked_ns > l->top.total_ns) {
		e->top = l->cur;
		e->top.total_ns = l->cur.blocked_ns;
	}
	e->stack.nr_frames = 0;
	sp = bpf_map_lookup_elem(&stacks, &tid);
	if (sp) {
		if (sp->slot[1].iter_seq == l->iter_seq && sp->slot[1].call_seq == e->top.call_seq)
			e->stack = sp->slot[1];
		else if (sp->slot[0].iter_seq == l->iter_seq && sp->slot[0].call_seq == e->top.call_seq)
			e->stack = sp->slot[0];
	}
	bpf_ringbuf_submit(e, 0);
}

/* A record of the loop's current iteration (struct ls_busy): false when the ring buffer is full. */
static bool say_iteration(const struct ls_loop *l, __u32 type, __u32 cpu)
{
	struct ls_busy *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		__sync_fetch_and_add(&lost_events, 1);
		return false;
	}
	e->type = type;
	e->pid = l->pid;
	e->tid = l->tid;
	e->cpu = cpu;
	e->iter_seq = l->iter_seq;
	e->iter_start_ns = l->iter_start_ns;
	bpf_ringbuf_submit(e, 0);
	return true;
}

/*
 * The loop left the CPU inside an iteration: nothing of it runs until it is
 * back, so user space is told once per iteration and follows it from there.
 * cpu: the one it keeps busy (said from a sample there), or LS_CPU_NONE.
 */
static void say_busy(struct ls_loop *l, __u32 cpu)
{
	if (l->busy_said_seq != l->iter_seq && say_iteration(l, LS_EV_BUSY, cpu))
		l->busy_said_seq = l->iter_seq;
}

/* A loop learning its park sleeps in a futex: user space unwinds it while it sleeps. */
static void say_futex(struct ls_loop *l)
{
	say_iteration(l, LS_EV_FUTEX, LS_CPU_NONE);
}

/*
 * Loops that left the CPU inside an iteration, not yet near the threshold:
 * kept per CPU and checked by a BPF timer every PENDING_TICK_NS, so that
 * user space hears of one only if it stays off CPU that long. Most leave for
 * a moment (preempted by a wakeup, a short sleep). A slot holds
 * tid << 32 | the iteration's low 32 bits; its CPU fills it, the timer
 * empties it with a compare-and-swap, so neither loses the other's write.
 */
#define PENDING_SLOTS	16
#define PENDING_TICK_NS 5000000ULL
#define CLOCK_MONOTONIC 1
struct pending_loops {
	__u64 slot[PENDING_SLOTS]; /* 0: free */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pending_loops);
} pending SEC(".maps");

struct pending_timer {
	struct bpf_timer timer;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pending_timer);
} pending_timer SEC(".maps");

const volatile __u32 nr_cpus = 1; /* possible CPUs, set by user space */

static __always_inline bool near_threshold(const struct ls_loop *l, __u64 now)
{
	return now - l->iter_start_ns + busy_margin_ns >= threshold_ns;
}

static __always_inline __u64 pending_key(const struct ls_loop *l)
{
	return (__u64)l->tid << 32 | (__u32)l->iter_seq;
}

/* The loop leaves the CPU inside an iteration: said now if near the threshold, else kept pending. */
static void left_cpu_busy(struct ls_loop *l, __u64 now)
{
	struct pending_loops *p;
	__u32 zero = 0;
	int i, free = -1;

	if (l->busy_said_seq == l->iter_seq)
		return;
	if (near_threshold(l, now)) {
		say_busy(l, LS_CPU_NONE);
		return;
	}
	p = bpf_map_lookup_elem(&pending, &zero);
	if (!p) {
		say_busy(l, LS_CPU_NONE);
		return;
	}
	for (i = 0; i < PENDING_SLOTS; i++) {
		if (p->slot[i] >> 32 == l->tid) {
			p->slot[i] = pending_key(l);
			return;
		}
		if (!p->slot[i] && free < 0)
			free = i;
	}
	if (free < 0) {
		say_busy(l, LS_CPU_NONE); /* no room: user space follows it from now */
		return;
	}
	p->slot[free & (PENDING_SLOTS - 1)] = pending_key(l);
}

/* One CPU's pending loops: those that moved on or were said leave; those off CPU near the threshold are said. */
static long check_cpu_pending(__u64 cpu, void *ctx)
{
	struct pending_loops *p;
	__u64 now = *(__u64 *)ctx, key;
	struct ls_loop *l;
	__u32 zero = 0, tid;
	int i;

	p = bpf_map_lookup_percpu_elem(&pending, &zero, cpu);
	if (!p)
		return 1;
	for (i = 0; i < PENDING_SLOTS; i++) {
		key = p->slot[i];
		if (!key)
			continue;
		tid = key >> 32;
		l = bpf_map_lookup_elem(&loops, &tid);
		if (l && l->iter_start_ns && (__u32)l->iter_seq == (__u32)key && l->busy_said_seq != l->iter_seq) {
			if (l->state == LS_ON_CPU || !near_threshold(l, now))
				continue; /* running (its CPU's samples see it), or not yet */
			say_busy(l, LS_CPU_NONE);
		}
		__sync_val_compare_and_swap(&p->slot[i], key, 0);
	}
	return 0;
}

static int pending_tick(void *map, __u32 *key, struct pending_timer *pt)
{
	__u64 now = bpf_ktime_get_ns();

	bpf_loop(nr_cpus, check_cpu_pending, &now, 0);
	bpf_timer_start(&pt->timer, PENDING_TICK_NS, 0);
	return 0;
}

/* Run once by user space after loading: starts the pending loops' timer (tracing programs may not own one). */
SEC("syscall")
int ls_start_pending_timer(void *ctx)
{
	struct pending_timer *pt;
	__u32 zero = 0;

	pt = bpf_map_lookup_elem(&pending_timer, &zero);
	if (!pt)
		return 1;
	bpf_timer_init(&pt->timer, &pending_timer, CLOCK_MONOTONIC);
	bpf_timer_set_callback(&pt->timer, pending_tick);
	return bpf_timer_start(&pt->timer, PENDING_TICK_NS, 0);
}

/* Closes the off-CPU segment in progress: blocked (in a syscall or not) or runnable. */
static __always_inline void close_off_cpu(struct ls_loop *l, __u64 now)
{
	__u64 d = now - l->state_since_ns;

	if (l->state == LS_RUNNABLE) {
		l->acct.runq_ns += d;
	} else if (l->state == LS_STOPPED) {
		l->acct.stopped_ns += d;
	} else if (l->state == LS_BLOCKED) {
		l->acct.blocked_ns += d;
		if (l->cur.nr != LS_NO_SYSCALL) {
			l->acct.blocked_sys_ns += d;
			l->cur.blocked_ns += d;
		}
	}
}

/*
 * The current thread is running: if we believed it off CPU, a sched event
 * was missed (tracing programs can be skipped under recursion), so close
 * that segment as it was rather than count it as CPU time.
 */
static __always_inline void sync_on_cpu(struct ls_loop *l, __u64 now)
{
	if (l->state == LS_ON_CPU)
		return;
	close_off_cpu(l, now);
	l->state = LS_ON_CPU;
	l->state_since_ns = now;
}

static void begin_iteration(struct ls_loop *l, __u64 now)
{
	l->flags &= ~(LS_LOOP_FOUND | LS_LOOP_PARKED);
	l->signal.sig = 0;
	l->iter_start_ns = now;
	l->iter_seq++;
	l->state = LS_ON_CPU;
	l->state_since_ns = now;
	__builtin_memset(&l->acct, 0, sizeof(l->acct));
	l->cur.nr = LS_NO_SYSCALL;
	l->top.nr = LS_NO_SYSCALL;
	l->top.blocked_ns = 0;
	l->top.total_ns = 0;
	l->top.call_seq = 0;
}

static void end_iteration(struct ls_loop *l, __u64 now)
{
	__u64 dur;

	if (!l->iter_start_ns)
		return;
	sync_on_cpu(l, now);
	l->acct.cpu_ns += now - l->state_since_ns;
	dur = now - l->iter_start_ns;
	record_iteration(l, dur);
	if (dur >= threshold_ns)
		emit_stall_end(l, now, false);
	l->iter_start_ns = 0;
	l->cur.nr = LS_NO_SYSCALL;
	l->flags &= ~LS_LOOP_FOUND;
}

/* The blocking point of the call in progress becomes the top one's. */
static __always_inline void promote_stack(struct ls_loop *l, __u32 tid)
{
	struct ls_stack_pair *sp = bpf_map_lookup_elem(&stacks, &tid);

	if (sp && sp->slot[0].call_seq == l->cur.call_seq)
		sp->slot[1] = sp->slot[0];
}

/*
 * The call the loop slept in is over: it becomes the top one if it blocked
 * longest. The same call again (one wait in slices) adds to the top one and
 * keeps the latest blocking point.
 */
static __always_inline void finish_call(struct ls_loop *l)
{
	__u64 total;

	if (l->cur.nr == LS_NO_SYSCALL)
		return;
	if (l->cur.nr == l->top.nr && l->cur.blocked_ns) {
		total = l->top.total_ns + l->cur.blocked_ns;
		l->top = l->cur;
		l->top.total_ns = total;
		promote_stack(l, l->tid);
	} else if (l->cur.blocked_ns > l->top.total_ns) {
		l->top = l->cur;
		l->top.total_ns = l->cur.blocked_ns;
		promote_stack(l, l->tid);
	}
	l->cur.nr = LS_NO_SYSCALL;
}

/*
 * A wait returned. The loop's own: an iteration begins (and one that never
 * slept in the wait ends). A thread of a watched process that is no loop
 * yet becomes one here, this wait its home.
 */
static __always_inline int wait_returned(long nr)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid(), now;
	__u32 tid = (__u32)pid_tgid, pid = pid_tgid >> 32;
	struct task_struct *task;
	struct ls_loop *l = find_loop(tid);
	struct pt_regs *regs;
	__u32 kind;

	if (!l && !may_watch(pid))
		return 0;
	task = bpf_get_current_task_btf();
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	kind = wait_kind(nr, regs);
	if (l && (l->flags & LS_LOOP_IGNORED))
		return 0;
	if (!l) {
		if (kind == LS_WAIT_NONE)
			return 0;
		l = create_loop(tid, pid);
		if (!l)
			return 0;
		loop_write_begin(l);
		set_home(l, task, kind, nr, regs);
	} else {
		loop_write_begin(l);
		if (!is_home_wait(l, task, kind, nr, regs)) {
			loop_write_end(l);
			return 0; /* nested: a blocking call, finished at the next switch-out */
		}
	}
	now = bpf_ktime_get_ns();
	end_iteration(l, now);
	begin_iteration(l, now);
	loop_write_end(l);
	return 0;
}

/*
 * Only the returns of the waits run a program: the kernel's per-syscall
 * tracepoints test the syscall number in C, where a program on raw sys_exit
 * would run for every syscall of every thread (the costlier part of the
 * floor on Redis, measured in tools/bench.py). Calls that slept are
 * finished at the loop's next switch-out or wait instead (finish_call).
 */
#define WAIT_EXIT(name, nr)                                                                                           \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                                                    \
	int ls_exit_##name(void *ctx)                                                                                 \
	{                                                                                                             \
		return wait_returned(nr);                                                                             \
	}

WAIT_EXIT(epoll_wait, NR_EPOLL_WAIT)
WAIT_EXIT(epoll_pwait, NR_EPOLL_PWAIT)
WAIT_EXIT(epoll_pwait2, NR_EPOLL_PWAIT2)
WAIT_EXIT(poll, NR_POLL)
WAIT_EXIT(ppoll, NR_PPOLL)
WAIT_EXIT(select, NR_SELECT)
WAIT_EXIT(pselect6, NR_PSELECT6)
WAIT_EXIT(io_uring_enter, NR_IO_URING_ENTER)

/* The thread goes to sleep inside a syscall: remember where, once per call. */
static void capture_blocking_stack(void *ctx, struct ls_loop *l, struct pt_regs *regs)
{
	struct ls_stack_pair *sp;
	struct ls_stack *s;
	__u32 zero = 0, tid = l->tid;
	long n;

	sp = bpf_map_lookup_elem(&stacks, &tid);
	if (!sp) {
		sp = bpf_map_lookup_elem(&zero_stacks, &zero);
		if (!sp)
			return;
		bpf_map_update_elem(&stacks, &tid, sp, BPF_NOEXIST);
		sp = bpf_map_lookup_elem(&stacks, &tid);
		if (!sp)
			return;
	}
	s = &sp->slot[0];
	if (s->iter_seq == l->iter_seq && s->call_seq == l->cur.call_seq)
		return;
	s->has_regs = 1;
	read_user_regs(regs, s->regs);
	n = bpf_get_stack(ctx, s->ips, sizeof(s->ips), BPF_F_USER_STACK);
	s->nr_frames = n > 0 ? n / sizeof(__u64) : 0;
	s->iter_seq = l->iter_seq;
	s->call_seq = l->cur.call_seq;
}

/*
 * Where the thread entered the kernel. In the kernel's entry code a syscall
 * in progress has its number in orig_ax and -ENOSYS in ax (an interrupt or a
 * page fault has its vector or error code in orig_ax and the user's rax in ax).
 */
struct entry {
	struct pt_regs *regs;
	long nr; /* the syscall in progress, or -1 */
};

static __always_inline struct entry entry_of(struct task_struct *task)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	long nr = SYSCALL_NR(regs);

	return (struct entry){regs, nr >= 0 && (long)SYSCALL_RET(regs) == -ENOSYS ? nr : -1};
}

/* Still in the call it slept in last: the same number and arguments (a wait in slices, or the same call again). */
static __always_inline bool in_current_call(const struct ls_loop *l, const struct entry *in)
{
	const struct pt_regs *r = in->regs;

	return in->nr == l->cur.nr && l->cur.args[0] == ARG0(r) && l->cur.args[1] == ARG1(r) && l->cur.args[2] == ARG2(r) &&
	       l->cur.args[3] == ARG3(r) && l->cur.args[4] == ARG4(r) && l->cur.args[5] == ARG5(r);
}

/*
 * The loop thread goes to sleep. Asleep in a wait, its iteration is over;
 * asleep in another call, that call is recorded with its arguments and
 * where it was made. Calls that never sleep cost the loop nothing here: no
 * program runs at their entry or return.
 */
static void block_loop(void *ctx, struct ls_loop *l, struct task_struct *task, const struct entry *in, __u64 now)
{
	struct pt_regs *regs = in->regs;

	if (in->nr >= 0 && is_home_wait(l, task, wait_kind(in->nr, regs), in->nr, regs)) {
		end_iteration(l, now);
		return;
	}
	/* Parked where its runtime idles (tokio's worker park): the next iteration begins when it runs. */
	if (in->nr == NR_FUTEX && l->home.park_futex && ARG0(regs) == l->home.park_futex) {
		end_iteration(l, now);
		l->flags |= LS_LOOP_PARKED;
		return;
	}
	/* Its runtime parks, where is not known yet: user space looks while it sleeps. */
	if (in->nr == NR_FUTEX && (l->flags & LS_LOOP_LEARN_PARK) && !l->home.park_futex &&
	    l->futex_said_seq != l->iter_seq) {
		l->futex_said_seq = l->iter_seq;
		say_futex(l);
	}
	l->acct.cpu_ns += now - l->state_since_ns;
	l->state_since_ns = now;
	l->state = LS_BLOCKED;
	if (in->nr < 0)
		return;
	if (l->cur.nr == LS_NO_SYSCALL) {
		l->cur.nr = in->nr;
		l->cur.call_seq = ++l->calls;
		l->cur.blocked_ns = 0;
		l->cur.args[0] = ARG0(regs);
		l->cur.args[1] = ARG1(regs);
		l->cur.args[2] = ARG2(regs);
		l->cur.args[3] = ARG3(regs);
		l->cur.args[4] = ARG4(regs);
		l->cur.args[5] = ARG5(regs);
	}
	capture_blocking_stack(ctx, l, regs);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(ls_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next, unsigned int prev_state)
{
	__u32 prev_tid = prev->pid, next_tid = next->pid;
	struct entry in;
	struct ls_loop *l;
	__u64 now = 0;

	l = find_loop(prev_tid);
	if (l && l->iter_start_ns) {
		now = bpf_ktime_get_ns();
		in = entry_of(prev);
		loop_write_begin(l);
		/* The call it slept in before has returned if it is elsewhere now. */
		if (l->cur.nr != LS_NO_SYSCALL && !in_current_call(l, &in))
			finish_call(l);
		if (preempt || prev_state == 0) {
			l->acct.cpu_ns += now - l->state_since_ns;
			l->state_since_ns = now;
			l->state = LS_RUNNABLE;
		} else if (prev_state & TASK_STOPPED_BITS) {
			/* SIGSTOP or a debugger: not running, and not waiting for anything it asked for. */
			l->acct.cpu_ns += now - l->state_since_ns;
			l->state_since_ns = now;
			l->state = LS_STOPPED;
		} else {
			block_loop(ctx, l, prev, &in, now);
		}
		if (l->iter_start_ns)
			left_cpu_busy(l, now);
		loop_write_end(l);
	}
	l = find_loop(next_tid);
	if (l && (l->iter_start_ns || (l->flags & LS_LOOP_PARKED))) {
		if (!now)
			now = bpf_ktime_get_ns();
		loop_write_begin(l);
		if (l->iter_start_ns) {
			close_off_cpu(l, now);
			l->state = LS_ON_CPU;
			l->state_since_ns = now;
		} else {
			begin_iteration(l, now); /* out of its park */
		}
		loop_write_end(l);
	}
	return 0;
}

/*
 * CPU samples, only of loop threads whose iteration has been busy for half
 * the threshold or more: what a CPU-bound stall is doing. A shorter one
 * within two ticks of the threshold is only said to be busy, so that user
 * space checks it when it reaches the threshold. Everything else costs one
 * bit test per tick.
 */
SEC("perf_event")
int ls_sample(struct bpf_perf_event_data *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct ls_loop *l = find_loop(tid);
	struct ls_sample *e;
	struct pt_regs *regs;
	__u64 sp, age, now;
	long n;

	now = bpf_ktime_get_ns();
	if (!l || !l->iter_start_ns)
		return 0;
	age = now - l->iter_start_ns;
	if (age < threshold_ns / 2) {
		if (near_threshold(l, now))
			say_busy(l, bpf_get_smp_processor_id());
		return 0;
	}
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&lost_events, 1);
		return 0;
	}
	e->type = LS_EV_SAMPLE;
	e->pid = l->pid;
	e->tid = tid;
	e->iter_seq = l->iter_seq;
	e->iter_start_ns = l->iter_start_ns;
	e->cpu = bpf_get_smp_processor_id();
	l->busy_said_seq = l->iter_seq; /* this sample tells user space */
	n = bpf_get_stack(ctx, e->ips, sizeof(e->ips), BPF_F_USER_STACK);
	e->nr_frames = n > 0 ? n / sizeof(__u64) : 0;
	/* User registers as saved on entry to the kernel (by this tick or a syscall). */
	regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	e->stack_len = 0;
	if (regs) {
		read_user_regs(regs, e->regs);
		sp = e->regs[7];
		/* The copy must not run past the stack's top: try smaller copies. */
		if (!bpf_probe_read_user(e->stack, LS_SAMPLE_STACK, (void *)sp))
			e->stack_len = LS_SAMPLE_STACK;
		else if (!bpf_probe_read_user(e->stack, 4096, (void *)sp))
			e->stack_len = 4096;
		else if (!bpf_probe_read_user(e->stack, 1024, (void *)sp))
			e->stack_len = 1024;
	}
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(ls_sched_wakeup, struct task_struct *p)
{
	__u32 tid = p->pid;
	struct ls_loop *l;
	__u64 now;

	l = find_loop(tid);
	if (!l || !l->iter_start_ns || (l->state != LS_BLOCKED && l->state != LS_STOPPED))
		return 0;
	now = bpf_ktime_get_ns();
	loop_write_begin(l);
	close_off_cpu(l, now);
	l->state = LS_RUNNABLE;
	l->state_since_ns = now;
	loop_write_end(l);
	return 0;
}

/*
 * A signal sent to a loop thread inside an iteration, or to its process
 * (a process's signal is sent to its leader, the loop of most servers):
 * kept for the end record, which says who ended a stall whose thread died
 * of it (gunicorn's arbiter after WORKER TIMEOUT, a kubelet, loopstall's
 * own --kill-after). Signals are rare: one bit test each.
 */
SEC("tp_btf/signal_generate")
int BPF_PROG(ls_signal_generate, int sig, struct kernel_siginfo *info, struct task_struct *task, int group, int result)
{
	__u32 tid = task->pid;
	struct ls_loop *l = find_loop(tid);

	if (!l || !l->iter_start_ns)
		return 0;
	loop_write_begin(l);
	l->signal.sig = sig;
	l->signal.sender = bpf_get_current_pid_tgid() >> 32;
	/* SEND_SIG_NOINFO (NULL): kill() from user space; SEND_SIG_PRIV (1): the kernel's own. */
	l->signal.code = !info ? 0 : (unsigned long)info == 1 ? 0x80 : BPF_CORE_READ(info, si_code);
	loop_write_end(l);
	return 0;
}

/* A watched process's children are watched too (gunicorn workers, respawns). */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(ls_process_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ppid = parent->tgid, cpid = child->tgid;
	__u64 start = child->start_boottime / tick_ns;

	if (watch_all || ppid == cpid)
		return 0;
	if (is_watched(ppid) && bpf_map_update_elem(&watched, &cpid, &start, BPF_ANY) == -E2BIG &&
	    __sync_fetch_and_add(&procs_unwatched, 1) == 0)
		emit_process_event(LS_EV_WATCH_FULL, cpid, child->pid);
	return 0;
}

/*
 * A new program: user space forgets what it knew of the process (its
 * runtime, its binaries), and the exec'ing thread is a new loop if it waits
 * again, under its new name. Said of watched processes, and of every
 * process when matching by name.
 */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(ls_process_exec, struct task_struct *p)
{
	__u32 tid = p->pid, pid = p->tgid;
	bool watched_now = watch_all || bpf_map_lookup_elem(&watched, &pid);

	if (bpf_map_lookup_elem(&loops, &tid)) {
		bpf_map_delete_elem(&loops, &tid);
		mark_loop(tid, false);
		bpf_map_delete_elem(&stacks, &tid);
	}
	if (report_execs || watched_now)
		emit_process_event(LS_EV_EXEC, pid, tid);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(ls_process_exit, struct task_struct *p)
{
	__u32 tid = p->pid, pid = p->tgid;
	struct ls_loop *l;
	bool was_loop = false;
	__u64 now;

	l = bpf_map_lookup_elem(&loops, &tid);
	if (l) {
		was_loop = true;
		now = bpf_ktime_get_ns();
		if (l->iter_start_ns && now - l->iter_start_ns >= threshold_ns) {
			/* Exiting, it runs: close what it was waiting for, as at a wait. */
			loop_write_begin(l);
			/* Its loop had closed its instance: the process was shutting down, not stalled. */
			if (l->home.file && file_of(p, l->home.fd) != l->home.file)
				l->flags |= LS_LOOP_CLOSED;
			sync_on_cpu(l, now);
			l->acct.cpu_ns += now - l->state_since_ns;
			emit_stall_end(l, now, true);
			loop_write_end(l);
		}
		bpf_map_delete_elem(&loops, &tid);
		mark_loop(tid, false);
		bpf_map_delete_elem(&stacks, &tid);
	}
	/* Said of watched processes, and of every loop's process when watching all. */
	if (tid != pid || (!bpf_map_lookup_elem(&watched, &pid) && !(watch_all && was_loop)))
		return 0;
	bpf_map_delete_elem(&watched, &pid);
	emit_process_event(LS_EV_EXIT, pid, tid);
	return 0;
}

/*
 * The attach scan: every thread of the processes the iterator is given,
 * as it is now, for user space to find loops stuck inside an iteration
 * (they make no wait to be seen by). Run on demand, never on a hot path.
 */
/*
 * Off CPU since when at least (CLOCK_MONOTONIC), for a thread that last ran
 * on this CPU: its clock is the CPU's scheduler clock, which the scanning
 * thread's own start on this CPU reads (at most a tick old: a lower bound).
 * 0 for threads of other CPUs: the scan is run on each CPU in turn.
 */
static __always_inline __u64 off_cpu_since(struct task_struct *task, __u64 now)
{
	__u64 clock = bpf_get_current_task_btf()->se.exec_start, left = task->se.exec_start;

	if (task->thread_info.cpu != bpf_get_smp_processor_id() || !left || clock < left || clock - left > now)
		return 0;
	return now - (clock - left);
}

SEC("iter/task")
int ls_scan_threads(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct ls_thread t = {};
	struct entry in;
	__u64 now;

	if (!task || !task->mm || task->tgid == self_pid)
		return 0;
	now = bpf_ktime_get_ns();
	t.pid = task->tgid;
	t.tid = task->pid;
	bpf_probe_read_kernel_str(t.comm, sizeof(t.comm), task->comm);
	t.cpu = task->thread_info.cpu;
	t.switches = task->nvcsw + task->nivcsw;
	if (task->__state & TASK_STOPPED_BITS)
		t.state = LS_STOPPED;
	else if (task->__state)
		t.state = LS_BLOCKED;
	else
		t.state = task->on_cpu ? LS_ON_CPU : LS_RUNNABLE;
	t.nr = -1;
	if (t.state != LS_ON_CPU) {
		t.since_ns = off_cpu_since(task, now);
		in = entry_of(task);
		t.nr = in.nr;
		read_user_regs(in.regs, t.regs);
		t.args[0] = ARG0(in.regs);
		t.args[1] = ARG1(in.regs);
		t.args[2] = ARG2(in.regs);
		t.args[3] = ARG3(in.regs);
		t.args[4] = ARG4(in.regs);
		t.args[5] = ARG5(in.regs);
		if (in.nr >= 0) {
			t.wait_kind = wait_kind(in.nr, in.regs);
			t.vague = t.wait_kind == LS_WAIT_POLL && !may_be_loop_wait(in.nr, in.regs);
		}
	}
	bpf_seq_write(ctx->meta->seq, &t, sizeof(t));
	return 0;
}

/* The request of the next ls_adopt_loop run, written by user space. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ls_adopt);
} adopt_request SEC(".maps");

/*
 * Makes the one thread it is run over a loop, as user space found it in
 * the scan: inside an iteration since iter_start_ns (its state and the
 * syscall it is in as it is now), or idle in its park. Only if it has not
 * moved since the scan: then it is still where user space saw it.
 */
SEC("iter/task")
int ls_adopt_loop(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct ls_stack_pair *sp;
	struct ls_adopt *req;
	struct ls_loop *fresh, *l;
	__u32 zero = 0, tid;
	struct entry in;
	__u64 now;

	req = bpf_map_lookup_elem(&adopt_request, &zero);
	if (!task || !req || task->pid != req->tid || task->tgid != req->pid)
		return 0;
	tid = req->tid;
	req->result = -ESRCH;
	if (task->nvcsw + task->nivcsw != req->switches)
		return 0;
	req->result = -EEXIST;
	if (bpf_map_lookup_elem(&loops, &tid))
		return 0;
	fresh = bpf_map_lookup_elem(&new_loop, &zero);
	if (!fresh)
		return 0;
	now = bpf_ktime_get_ns();
	__builtin_memset(fresh, 0, sizeof(*fresh));
	fresh->pid = req->pid;
	fresh->tid = tid;
	bpf_probe_read_kernel_str(fresh->comm, sizeof(fresh->comm), task->comm);
	fresh->cur.nr = LS_NO_SYSCALL;
	fresh->top.nr = LS_NO_SYSCALL;
	fresh->home.park_futex = req->park_futex;
	in = entry_of(task);
	if (!req->iter_start_ns) {
		fresh->flags = req->park_futex ? LS_LOOP_PARKED : 0;
	} else {
		fresh->flags = LS_LOOP_FOUND;
		fresh->iter_seq = 1;
		fresh->iter_start_ns = req->iter_start_ns;
		fresh->state_since_ns = req->iter_start_ns;
		if (task->__state & TASK_STOPPED_BITS) {
			fresh->state = LS_STOPPED;
		} else if (task->__state) {
			fresh->state = LS_BLOCKED;
		} else {
			fresh->state = task->on_cpu ? LS_ON_CPU : LS_RUNNABLE;
			fresh->state_since_ns = now; /* it ran since: its time on CPU is counted from here */
		}
		if (fresh->state == LS_BLOCKED && in.nr >= 0) {
			fresh->cur.nr = in.nr;
			fresh->cur.call_seq = fresh->calls = 1;
			fresh->cur.args[0] = ARG0(in.regs);
			fresh->cur.args[1] = ARG1(in.regs);
			fresh->cur.args[2] = ARG2(in.regs);
			fresh->cur.args[3] = ARG3(in.regs);
			fresh->cur.args[4] = ARG4(in.regs);
			fresh->cur.args[5] = ARG5(in.regs);
		}
	}
	if (bpf_map_update_elem(&loops, &tid, fresh, BPF_NOEXIST))
		return 0;
	l = bpf_map_lookup_elem(&loops, &tid);
	if (!l)
		return 0;
	/* Its blocking point: the registers, for user space to unwind while it is still blocked. */
	if (l->cur.nr != LS_NO_SYSCALL) {
		sp = bpf_map_lookup_elem(&zero_stacks, &zero);
		if (sp) {
			bpf_map_update_elem(&stacks, &tid, sp, BPF_ANY);
			sp = bpf_map_lookup_elem(&stacks, &tid);
		}
		if (sp) {
			sp->slot[0].iter_seq = 1;
			sp->slot[0].call_seq = 1;
			sp->slot[0].has_regs = 1;
			sp->slot[0].nr_frames = 0;
			read_user_regs(in.regs, sp->slot[0].regs);
		}
	}
	mark_loop(tid, true);
	req->result = 0;
	return 0;
}

/*
 * What user space settles about a loop (struct ls_ctl): an iteration that
 * was no stall (its instance closed, its runtime idles where it waits)
 * ends here, counted in no histogram; what its home or park is.
 */
SEC("syscall")
int ls_loop_ctl(struct ls_ctl *req)
{
	__u32 tid = req->tid;
	struct ls_loop *l = bpf_map_lookup_elem(&loops, &tid);

	req->result = -ESRCH;
	if (!l || ((req->what & LS_CTL_END_ITERATION) && l->iter_seq != req->iter_seq))
		return 0;
	loop_write_begin(l);
	if (req->what & LS_CTL_END_ITERATION) {
		l->iter_start_ns = 0;
		l->cur.nr = LS_NO_SYSCALL;
		l->flags &= ~LS_LOOP_FOUND;
	}
	if (req->what & LS_CTL_FORGET_HOME)
		__builtin_memset(&l->home, 0, sizeof(l->home));
	if (req->what & LS_CTL_IGNORE)
		l->flags |= LS_LOOP_IGNORED;
	if (req->what & LS_CTL_LEARN_PARK)
		l->flags |= LS_LOOP_LEARN_PARK;
	if ((req->what & LS_CTL_PARK) && req->park_futex) {
		l->home.park_futex = req->park_futex;
		if (!l->iter_start_ns)
			l->flags |= LS_LOOP_PARKED; /* the next iteration begins when it runs */
	}
	loop_write_end(l);
	req->result = 0;
	return 0;
}

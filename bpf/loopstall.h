/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The contract between the BPF programs and user space: record layouts and
 * constants, nothing else. Included by bpf/loopstall.bpf.c and by user/.
 */
#ifndef LOOPSTALL_H
#define LOOPSTALL_H

#define LS_COMM_LEN	16
#define LS_MAX_FRAMES	64 /* native user frames kept per blocking point */
#define LS_HIST_BUCKETS 32 /* log2 buckets of iteration busy time, in us */
#define LS_NO_SYSCALL	(-1)

/* Where a loop thread is right now, within a busy iteration. */
enum ls_cpu_state {
	LS_ON_CPU = 0,
	LS_RUNNABLE = 1, /* preempted or woken, waiting for a CPU */
	LS_BLOCKED = 2,	 /* sleeping: in a syscall, a page fault, ... */
	LS_STOPPED = 3,	 /* stopped by a signal (SIGSTOP) or a debugger */
};

/*
 * How the time of one busy iteration was spent so far. Completed segments
 * only: the segment running since state_since_ns is added by the reader.
 */
struct ls_account {
	__u64 cpu_ns;
	__u64 runq_ns;
	__u64 blocked_ns;     /* all off-CPU sleeping */
	__u64 blocked_sys_ns; /* the part of blocked_ns spent inside syscalls */
	__u64 stopped_ns;
};

/*
 * The syscall that blocked longest in an iteration, or the one in progress.
 * Calls of one syscall in a row count together (a lock or the GIL waited
 * for in 5 ms slices is one wait): total_ns.
 */
struct ls_syscall {
	__s32 nr; /* LS_NO_SYSCALL when none */
	__u32 pad;
	__u64 call_seq;	  /* the latest call's number (ls_loop.calls): identifies it */
	__u64 blocked_ns; /* off-CPU time inside the latest call (completed segments) */
	__u64 total_ns;	  /* top: off-CPU time of this syscall's calls in a row */
	__u64 args[6];
};

/* The kinds of wait a loop returns to between iterations (struct ls_home). */
enum ls_wait_kind {
	LS_WAIT_NONE = 0,
	LS_WAIT_EPOLL = 1, /* epoll_wait, epoll_pwait, epoll_pwait2 on one instance */
	LS_WAIT_POLL = 2,  /* poll, ppoll, select, pselect6 */
	LS_WAIT_URING = 3, /* io_uring_enter with IORING_ENTER_GETEVENTS on one ring */
};

/*
 * A loop's own wait, its "home": the first wait it was seen in, and later
 * one as shallow on the stack. Any other wait inside an iteration (a nested
 * epoll of node's execSync, a sync client's own selector) is a blocking
 * call of that iteration, deeper on the stack than the home one.
 */
struct ls_home {
	__u32 kind; /* enum ls_wait_kind */
	__s32 fd;   /* the epoll instance or ring; -1 for poll and select */
	/*
	 * A poll or select of one fd with a timeout: what a sync client does
	 * (CPython's socket timeouts, Java's timed reads) as much as a loop.
	 * User space asks the thread's runtime before it claims a stall.
	 */
	__u32 vague;
	__u32 pad;
	__u64 sp;   /* the user stack pointer at the wait */
	__u64 file; /* the kernel's struct file of fd, to tell a closed instance */
	/* Set by user space when a runtime says so: futex waits on this word are the loop idling (a park). */
	__u64 park_futex;
};

/* A signal sent to a loop inside an iteration: who ended a stall whose thread died of it. */
struct ls_signal {
	__u32 sig;    /* 0: none */
	__u32 sender; /* the sending process (tgid); for the kernel's own (SI_KERNEL), the task it ran in */
	__s32 code;   /* si_code: SI_USER, SI_KERNEL, ... */
	__u32 pad;
};

/* ls_loop.flags */
#define LS_LOOP_FOUND	  (1u << 0) /* found inside an iteration when loopstall attached (adopted) */
#define LS_LOOP_PARKED	  (1u << 1) /* idle in its park: its next iteration begins when it runs */
#define LS_LOOP_CLOSED	  (1u << 2) /* ls_event: its home instance was closed when the thread exited */
#define LS_LOOP_IGNORED	  (1u << 3) /* no loop on this thread ever (its runtime runs none): its waits begin nothing */
#define LS_LOOP_LEARN_PARK (1u << 4) /* its futex waits are said (LS_EV_FUTEX) until its park is known */

/* Per loop log2 histogram of iteration busy time, in its struct ls_loop. */
struct ls_hist {
	__u64 slots[LS_HIST_BUCKETS]; /* slot i: [2^i, 2^(i+1)) us; slot 0 also holds < 1 us */
	__u64 sum_ns;		      /* total busy time of the iterations counted */
};

/*
 * Per loop thread state, map `loops`, key: tid. Read by user space while the
 * programs update it: each update begins by bumping seq_end (the last field
 * a copy reads) and ends by setting seq (the first) to it, so a copy that
 * overlapped an update has seq != seq_end and is read again.
 */
struct ls_loop {
	__u64 seq;
	__u32 pid;
	__u32 tid;
	char comm[LS_COMM_LEN];
	__u64 iter_start_ns; /* 0 while waiting in epoll: the loop is idle */
	__u64 iter_seq;	     /* number of iterations begun */
	__u64 state_since_ns;
	__u64 calls; /* syscalls slept in, to number them */
	__u32 state; /* enum ls_cpu_state */
	__u32 flags; /* LS_LOOP_* */
	__u64 busy_said_seq; /* the iteration user space was told of (LS_EV_BUSY or a sample) */
	__u64 futex_said_seq; /* the iteration whose futex wait was said (LS_EV_FUTEX) */
	struct ls_signal signal; /* the last signal sent to it in this iteration */
	struct ls_account acct;
	struct ls_syscall cur; /* syscall slept in last, until a switch-out elsewhere or a wait finishes it */
	struct ls_syscall top; /* longest-blocked finished syscall of the iteration */
	struct ls_home home;
	struct ls_hist hist;
	__u64 seq_end;
};

#if defined(__aarch64__) || defined(__TARGET_ARCH_arm64)
#define LS_NR_REGS 33 /* arm64 user registers in DWARF order: x0-x30 sp pc */
#else
#define LS_NR_REGS 17 /* x86_64 user registers in DWARF order: rax rdx rcx rbx rsi rdi rbp rsp r8-r15 rip */
#endif

/*
 * Where a loop thread blocked inside a syscall: its user registers, for
 * DWARF unwinding in user space while it is still blocked, and a
 * frame-pointer walk, used when that is not possible. Map `stacks`, key: tid.
 */
struct ls_stack {
	__u64 iter_seq;
	__u64 call_seq; /* identifies the syscall it belongs to */
	__u32 nr_frames;
	__u32 has_regs;
	__u64 regs[LS_NR_REGS];
	__u64 ips[LS_MAX_FRAMES];
};

#define LS_SAMPLE_STACK 8192 /* bytes of user stack copied per CPU sample, for DWARF unwinding */

/* A CPU sample of a busy loop thread (ring buffer record, LS_EV_SAMPLE). */
struct ls_sample {
	__u32 type;
	__u32 pid;
	__u32 tid;
	__u32 nr_frames; /* frame-pointer walk in ips */
	__u64 iter_seq;
	__u64 iter_start_ns;
	__u64 regs[LS_NR_REGS]; /* user registers when sampled */
	__u32 stack_len;	/* bytes of stack copied from regs[7] (rsp) */
	__u32 cpu;		/* the CPU the loop runs on */
	__u64 ips[LS_MAX_FRAMES];
	__u8 stack[LS_SAMPLE_STACK];
};

enum ls_event_type {
	LS_EV_STALL_END = 1,  /* a busy iteration of at least the threshold ended */
	LS_EV_EXEC = 2,	      /* a watched process exec'd (any process, when matching by name) */
	LS_EV_EXIT = 3,	      /* a watched process exited */
	LS_EV_SAMPLE = 4,     /* a CPU sample of a loop busy for half the threshold or more */
	LS_EV_NEW_LOOP = 5,   /* a watched thread waits in epoll_wait for the first time */
	LS_EV_BUSY = 6,	      /* a loop's iteration is near the threshold: user space follows it */
	LS_EV_LOOPS_FULL = 7, /* the loop map is full: loops past it go unwatched (said once) */
	LS_EV_WATCH_FULL = 8, /* the watched set is full: a watched process's child goes unwatched (said once) */
	LS_EV_FUTEX = 9,      /* a loop learning its park sleeps in a futex (struct ls_busy), once an iteration */
};

#define LS_CPU_NONE 0xffffffffu

/*
 * A thread of a watched process as the attach scan (the task iterator
 * ls_scan_threads) sees it: what it is in now, for user space to tell
 * whether it is a loop inside an iteration.
 */
struct ls_thread {
	__u32 pid;
	__u32 tid;
	char comm[LS_COMM_LEN];
	__u32 state;	 /* enum ls_cpu_state */
	__s32 nr;	 /* the syscall it is in, -1 when none (running, or off CPU outside one) */
	__u64 switches;	 /* context switches so far: it has not moved while this is the same */
	__u64 since_ns;	 /* CLOCK_MONOTONIC: off CPU since then at least (0: on CPU, or unknown) */
	__u64 regs[LS_NR_REGS]; /* its user registers, as saved at kernel entry */
	__u64 args[6];		/* the syscall's arguments */
	__u32 wait_kind;	/* enum ls_wait_kind of nr, LS_WAIT_NONE when it is no wait */
	__u32 cpu;
	__u32 vague; /* the wait is a poll or select of one fd with a timeout (struct ls_home) */
	__u32 pad;
};

/* What user space asks of ls_adopt_loop: make tid a loop, inside an iteration or idle. */
struct ls_adopt {
	__u32 pid;
	__u32 tid;
	__u64 switches;	     /* as scanned: adopted only if the thread has not moved since */
	__u64 iter_start_ns; /* 0: idle; else when its iteration began at the latest */
	__u64 park_futex;    /* its park's futex word, 0 if none */
	__s32 result;	     /* out: 0 adopted, -EEXIST a loop already, -ESRCH moved or gone */
	__u32 pad;
};

/* What user space asks of ls_loop_ctl (struct ls_ctl.what) about one loop. */
#define LS_CTL_END_ITERATION (1u << 0) /* iteration iter_seq was no stall: it ends here, counted nowhere */
#define LS_CTL_FORGET_HOME   (1u << 1) /* its home is gone (closed) or no loop's: its next wait is its home */
#define LS_CTL_IGNORE	     (1u << 2) /* no loop on this thread ever: its waits begin nothing from now on */
#define LS_CTL_PARK	     (1u << 3) /* park_futex is its park, and it is in it now */
#define LS_CTL_LEARN_PARK    (1u << 4) /* its runtime parks: say its futex waits (LS_EV_FUTEX) till its park is known */

struct ls_ctl {
	__u32 tid;
	__u32 what;	  /* LS_CTL_* */
	__u64 iter_seq;	  /* LS_CTL_END_ITERATION: only while it is still in this iteration */
	__u64 park_futex; /* LS_CTL_PARK */
	__s32 result;	  /* out: 0, or -ESRCH (no such loop, or it moved on) */
	__u32 pad;
};

/* Iteration iter_seq of a loop is near the threshold (ring buffer record, LS_EV_BUSY). */
struct ls_busy {
	__u32 type;
	__u32 pid;
	__u32 tid;
	__u32 cpu; /* the CPU the loop keeps busy, or LS_CPU_NONE (it left the CPU) */
	__u64 iter_seq;
	__u64 iter_start_ns;
};

/*
 * Ring buffer record. Never one per iteration: only stalls, rare process
 * events, and at most one LS_EV_BUSY (struct ls_busy) per iteration that
 * comes near the threshold.
 */
struct ls_event {
	__u32 type;
	__u32 pid;
	__u32 tid;
	__u32 exited; /* STALL_END: the thread exited during the stall */
	__u32 flags;  /* STALL_END: the loop's LS_LOOP_* */
	__u32 pad;
	struct ls_signal signal; /* STALL_END: the last signal sent to it during the stall */
	char comm[LS_COMM_LEN];
	__u64 iter_seq;
	__u64 iter_start_ns;
	__u64 end_ns;
	struct ls_account acct;
	struct ls_syscall top;
	struct ls_stack stack;
};

#endif

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
	__u32 pad;
	__u64 busy_said_seq; /* the iteration user space was told of (LS_EV_BUSY or a sample) */
	struct ls_account acct;
	struct ls_syscall cur; /* syscall slept in last, until a switch-out elsewhere or a wait finishes it */
	struct ls_syscall top; /* longest-blocked finished syscall of the iteration */
	struct ls_hist hist;
	__u64 seq_end;
};

#define LS_NR_REGS 17 /* x86_64 user registers in DWARF order: rax rdx rcx rbx rsi rdi rbp rsp r8-r15 rip */

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
};

#define LS_CPU_NONE 0xffffffffu

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
	char comm[LS_COMM_LEN];
	__u64 iter_seq;
	__u64 iter_start_ns;
	__u64 end_ns;
	struct ls_account acct;
	struct ls_syscall top;
	struct ls_stack stack;
};

#endif

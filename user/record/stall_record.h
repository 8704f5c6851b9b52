#ifndef LOOPSTALL_STALL_RECORD_H
#define LOOPSTALL_STALL_RECORD_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include <linux/types.h>

#include "loopstall.h"
#include "record/container.h"

/*
 * record/: the one record every sink renders, produced by attribution from
 * the kernel's view of a stalled loop; the culprit rule (culprit.c); its
 * renderings, text and JSON (output_*.c), which therefore never disagree.
 */

enum stall_cause {
	CAUSE_CPU,
	CAUSE_SYSCALL,
	CAUSE_RUNQUEUE,
	CAUSE_OTHER, /* off CPU outside any syscall: page faults, ... */
	CAUSE_LOCK,  /* blocked in futex: a mutex, condition variable, semaphore */
	CAUSE_GIL,   /* a CPython loop waiting for the GIL held by another thread */
	CAUSE_STOPPED, /* stopped by a signal (SIGSTOP, Ctrl-Z) or a debugger */
};

enum frame_kind {
	FRAME_NATIVE,
	FRAME_PYTHON,
	FRAME_JS, /* a JavaScript function: read from V8's frames, or named by node's perf map */
	FRAME_JIT, /* a JVM's Java method (read from HotSpot), or code another JIT made, named by its perf map */
};

/* "native", "python", "js". */
const char *frame_kind_name(enum frame_kind kind);

struct stall_frame {
	enum frame_kind kind;
	bool coroutine;	  /* python: an async def */
	bool interpreter; /* native: in the runtime's interpreter (its plumbing, not a call of the app's) */
	bool runtime_function; /* native: a C function of the runtime, by the runtime's name (time.sleep) */
	int line;	/* 0 when unknown */
	uint64_t ip;	/* native */
	uint64_t entry; /* native: where its function starts in the process, 0 when unknown */
	char function[128];
	char file[256];	  /* python source, or native source with debug info */
	char module[256]; /* native: the binary or library */
	char task[64];	  /* python: the asyncio task whose outermost coroutine this is */
	char build_id[41]; /* native: the module's GNU build-id, hex */
	unsigned short app_root_len; /* file starts with the application's root and "/": shown from after them */
};

#define HOLDER_MAX_FRAMES 16
#define THREAD_NAME_MAX	  48 /* a thread's name: its runtime's ("Thread-3 (flush_cache)"), else the kernel's */

/* Who holds the lock a loop waits for: the GIL (its runtime says), a glibc mutex (its owner field). */
struct lock_holder {
	char lock[8]; /* "gil", "mutex"; "" when nothing is known */
	bool held;    /* the lock was taken when looked at */
	pid_t tid;    /* its holder, 0 if unknown */
	char thread[THREAD_NAME_MAX]; /* the holder thread's name */
	struct stall_frame frame; /* the holder's culprit (its application frame, else its innermost); "" if unread */
	int nframes;
	struct stall_frame frames[HOLDER_MAX_FRAMES]; /* its runtime's stack, innermost first */
};

/* The request a stalled task served (its runtime read it from the task's locals); method "" when none. */
struct served_request {
	char method[16];
	char path[208];	 /* the path and ?query, cut at 200 bytes; the query "?…" unless kept */
	char client[64]; /* "127.0.0.1:41234" */
};

/*
 * A query string may hold tokens and passwords: records keep "?…" in its
 * place unless --request-query (set once at start) asks for it whole.
 */
void served_request_keep_query(bool keep);
void served_request_hide_query(struct served_request *r);

#define WAIT_MAX_FDS	 8
#define WAIT_MAX_THREADS 8

/* Another thread of the process, when a futex's owner is not known: what each was doing then. */
struct other_thread {
	pid_t tid;
	char name[THREAD_NAME_MAX];
	char state;		  /* as /proc says: R, S, D, T ... */
	int syscall_nr;		  /* the syscall it is in, -1 when running or none */
	struct stall_frame frame; /* its application frame, if its runtime reads one */
};

/* What a blocked syscall waited for (attrib/waited_for.c): whatever of this applies. */
struct waited {
	char path[256];	    /* a path argument: open, stat, unlink, mkdir, rename ... */
	char to_path[256];  /* the second one: rename's new name, a link's */
	char peer[128];	    /* connect: the address */
	pid_t child;	    /* wait4, waitid: the child waited for */
	char child_cmd[128];
	pid_t lock_holder;  /* flock, fcntl F_SETLKW: the process holding the file's lock (/proc/locks) */
	char lock_holder_cmd[128];
	int nfds; /* poll, select: the fds, and what each is */
	struct {
		int fd;
		char target[128];
	} fds[WAIT_MAX_FDS];
	uint64_t futex; /* the futex word's address */
	int nthreads;
	struct other_thread threads[WAIT_MAX_THREADS];
	int co_waiters; /* other threads asleep on the same futex word: none of them holds it, left out */
	int unlisted;	/* other threads past WAIT_MAX_THREADS, and the runtime's own (a JVM's GC): counted */
};

#define STALL_MAX_FRAMES   192
#define STALL_MAX_NATIVE   64
#define STALL_MAX_SAMPLES  128 /* native CPU samples kept per stall */
#define STALL_SAMPLE_DEPTH 32  /* innermost frames kept per sample */
#define STALL_MAX_HOT	   8
#define STALL_MAX_HOT_RT   3 /* of them reserved for the hottest frames of the runtime (Python) */
#define STALL_MAX_HOT_APP  3 /* and for the application's hottest native or JS functions */
#define STALL_MAX_CODE	   64 /* frames a runtime read at native addresses (V8's), per stall */
#define STALL_MAX_PHASES   6  /* what held a stall, in turn (end records) */

/*
 * A native address whose frame its runtime read at once, while the frame
 * was still there (a V8 JavaScript frame): CODE_REF | its index in the
 * record's code table. No user-space address has the top bit set.
 */
#define CODE_REF (1ULL << 63)

static inline bool is_code_ref(uint64_t ip)
{
	return ip & CODE_REF;
}

struct stall_record {
	bool ended;  /* phase: "begin" while going on, "end" once over */
	bool exited; /* the thread exited during the stall */
	bool unfinished; /* an end record made because loopstall stopped while the stall went on */
	/* The thread exited after its loop had closed its instance: the process shut down, no application stall. */
	bool exiting;
	/*
	 * A loop found inside this stall by a scan (when loopstall attached, or
	 * a process came to match): what told it is a loop. Its start, and so
	 * its duration, are then a lower bound. "" otherwise.
	 */
	char found_by[64];
	pid_t pid;
	pid_t tid;
	char comm[16];
	char exe[256]; /* the executable, as mapped: its functions are a native server's own */
	struct container_info container; /* its container and pod, filled on the reporter thread */
	uint64_t iter_seq;
	struct timespec start_wall; /* when the loop left its wait */
	uint64_t duration_ns;
	uint64_t threshold_ns;
	enum stall_cause cause;

	/* The dominant syscall, when cause is CAUSE_SYSCALL. */
	int syscall_nr; /* -1 when none */
	bool syscall_ongoing;
	uint64_t syscall_ns; /* blocked time inside it */
	uint64_t syscall_args[6];
	int fd; /* -1 when the call takes none */
	char fd_desc[256];
	struct waited waited;

	struct served_request request;

	/* The runtime's lock when the loop was blocked in futex (CPython's GIL): who held it, running what. */
	struct lock_holder holder;

	uint64_t throttled_ns; /* CPU throttling of the loop's cgroup during the stall (end records) */

	/* Who ended it: the signal its thread died of (end records of exited threads), 0 when none was seen. */
	struct {
		int signal;
		bool by_kernel;	   /* the kernel's own (SI_KERNEL: the OOM killer, a fault): sender is where it ran */
		pid_t sender;
		char command[128]; /* the sender's command line, when it could still be read */
	} ended_by;

	uint64_t cpu_ns;
	uint64_t blocked_sys_ns;
	uint64_t runq_ns;
	uint64_t other_ns;
	uint64_t stopped_ns;

	char runtime[16];	 /* "python", "node": whose frames are in the stack; "" when none */
	char runtime_status[80]; /* its version ("3.11"), or why its frames are missing */
	bool runtime_error;	 /* runtime_status says why frames are missing */
	char framework[16];	 /* the loop's library where only the process's files tell it ("gevent") */

	char note[160]; /* what would make the report better, e.g. how to enable node's perf map */

	/*
	 * The arrays below are used as far as these counts say:
	 * stall_record_clear zeroes the counts, stall_record_copy copies that far.
	 */
	int n_native_ips;
	int nframes;
	int n_samples; /* native samples, raw until symbolized */
	int n_runtime_samples; /* stacks read by the runtime (Python) at scans */
	int nhot;
	int ncode;
	int nphases;
	bool native_to_interpreter; /* keep native frames down to the interpreter only */

	/*
	 * Native return addresses, captured while the stall goes on and turned
	 * into frames later, off the detecting thread (resolve_record).
	 */
	uint64_t native_ips[STALL_MAX_NATIVE];

	struct stall_frame frames[STALL_MAX_FRAMES];

	/* CPU samples taken while the loop was busy (from half the threshold on). */
	uint8_t sample_depth[STALL_MAX_SAMPLES];
	uint64_t sample_ips[STALL_MAX_SAMPLES][STALL_SAMPLE_DEPTH];
	/* The hottest frames over the samples, most samples first: the runtime's, then native/JS. */
	struct hot_frame {
		struct stall_frame frame;
		uint32_t samples; /* samples with this frame anywhere in them */
		uint32_t self;	  /* samples with this frame innermost */
		bool of_runtime;  /* counted over the runtime's samples, else native ones */
	} hot[STALL_MAX_HOT];

	/* The frames that CODE_REF entries of native_ips and sample_ips point at. */
	struct stall_frame code[STALL_MAX_CODE];

	/*
	 * End records: what held the loop, in turn: each blocking call seen
	 * going on (while it still blocked), and its time on CPU. The headline
	 * (syscall, stack, culprit) is the longest one's.
	 */
	struct stall_phase {
		int syscall_nr; /* -1: on CPU */
		uint64_t ns;
		struct stall_frame culprit; /* its application frame; function "" when unknown */
	} phases[STALL_MAX_PHASES];
};

/* An empty record: its fields and counts zeroed, not its arrays (240 KB). */
void stall_record_clear(struct stall_record *r);
/* *dst = *src, with only the used part of each array copied. */
void stall_record_copy(struct stall_record *dst, const struct stall_record *src);

/*
 * Index of f in table (n of max used), added when not yet there: -1 when
 * full. The same function at the same line is one entry.
 */
int code_table_add(struct stall_frame *table, int *n, int max, const struct stall_frame *f);

/* One loop's iterations while watched, from the kernel's histogram; printed at exit. */
struct loop_summary {
	pid_t pid;
	pid_t tid;
	char comm[16];
	struct container_info container;
	uint64_t stalls;
	struct ls_hist hist;
};

/* loopstall signalled a stalled process (--kill-after). */
struct kill_record {
	pid_t pid;
	pid_t tid;
	char comm[16];
	int signal;
	bool dry_run;		   /* --dry-run: said, not done */
	bool escalated;		   /* SIGKILL after --kill-grace */
	int error;		   /* 0, or the errno of a signal that could not be sent */
	struct stall_record stall; /* the stall that caused it, as it was then */
};

/* Records lost between since and until: the kernel's ring buffer was full, or the reporter's queue. */
struct loss_record {
	uint64_t kernel_events;
	uint64_t reports_dropped;
	struct timespec since, until; /* wall-clock */
};

const char *stall_cause_name(enum stall_cause cause);
/* "cpu", or the phase's syscall ("clock_nanosleep"). */
const char *phase_name(const struct stall_phase *p);
/* Marks f's file as below root (an application's file, not a library's) where it is. */
void frame_mark_app_root(struct stall_frame *f, const char *root);
/* frame_mark_app_root() on every frame of r, from r->container.app_root. */
void stall_record_mark_app_root(struct stall_record *r);

#endif

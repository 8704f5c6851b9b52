#ifndef LOOPSTALL_TRACER_H
#define LOOPSTALL_TRACER_H
#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "loopstall.h"

/*
 * trace/: the BPF side's lifetime (open, configure, load, attach, read,
 * detach), its CPU samplers, and the loops snapshot (loops.h).
 */
struct tracer;

struct tracer_config {
	bool watch_all;	   /* no target: every loop on the host */
	bool report_execs; /* deliver LS_EV_EXEC (matching by name) */
	uint64_t threshold_ns;
	const char *btf_path; /* NULL: the kernel's own */
	int max_loops;	      /* loop threads followed at once (0: the BPF default) */
	int max_processes;    /* processes in the watched set (0: the BPF default) */
	bool verbose;	      /* let libbpf print */
};

typedef void (*tracer_event_fn)(void *ctx, const struct ls_event *e);
typedef void (*tracer_sample_fn)(void *ctx, const struct ls_sample *s);
typedef void (*tracer_busy_fn)(void *ctx, const struct ls_busy *b);

/* What the ring buffer delivers, to whom. */
struct tracer_callbacks {
	tracer_event_fn event;
	tracer_sample_fn sample;
	tracer_busy_fn busy;
	tracer_busy_fn futex; /* LS_EV_FUTEX: a loop learning its park sleeps in a futex */
	void *ctx;
};

/* Returns 0 or -errno; on failure nothing stays attached. */
int tracer_open(const struct tracer_config *cfg, const struct tracer_callbacks *cb, struct tracer **out);
void tracer_close(struct tracer *t);
/* What an error of tracer_open() means, for people. */
void tracer_strerror(int err, char *buf, size_t len);

/*
 * Watches process pid, which started at start (clock ticks since boot, as
 * /proc/PID/stat says; 0: whichever process has the PID). Its children
 * forked from now on are watched too.
 */
int tracer_watch(struct tracer *t, pid_t pid, unsigned long long start);
/* True when pid was in the watched set. */
bool tracer_unwatch(struct tracer *t, pid_t pid);
/* Whether pid, started at start, is the process watched under that PID. */
bool tracer_is_watched(struct tracer *t, pid_t pid, unsigned long long start);
/* Number of processes still watched (targets and their descendants). */
int tracer_watched_count(struct tracer *t);
/* fd to poll for ring buffer records; tracer_consume() delivers them, CONSUME_MAX at most a call. */
int tracer_event_fd(struct tracer *t);
int tracer_consume(struct tracer *t);
/* The per-loop map, read through trace/loops.h, and how many loops it holds at most. */
int tracer_loops_fd(struct tracer *t);
int tracer_loops_capacity(struct tracer *t);
/* The two stack slots of a loop thread (zeroed when none). */
int tracer_read_stacks(struct tracer *t, pid_t tid, struct ls_stack out[2]);
uint64_t tracer_lost_events(struct tracer *t);

/*
 * The threads of pid (0: of every process) as they are now: *out, malloc'd,
 * one record each; count or -errno. Read on each of this thread's CPUs in
 * turn (its affinity is set back after), so that a thread's off-CPU time
 * is read with its own CPU's clock.
 */
int tracer_scan_threads(struct tracer *t, pid_t pid, struct ls_thread **out);
/* Makes a scanned thread a loop (req->result says whether it could): 0 or -errno. */
int tracer_adopt_loop(struct tracer *t, struct ls_adopt *req);
/* Settles what user space found out about a loop (struct ls_ctl): 0, -ESRCH (gone, or moved on), or -errno. */
int tracer_loop_ctl(struct tracer *t, struct ls_ctl *req);
/* Waits of loop threads the kernel could not follow, its loop map full (tracer_loops_capacity()). */
uint64_t tracer_loops_untracked(struct tracer *t);
/* Processes that could not be watched, the watched set full (tracer_watch() or a fork in the kernel). */
uint64_t tracer_procs_unwatched(struct tracer *t);
int tracer_watched_capacity(struct tracer *t);

#endif

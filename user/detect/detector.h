#ifndef LOOPSTALL_DETECTOR_H
#define LOOPSTALL_DETECTOR_H
#include <linux/types.h>
#include <pthread.h>
#include <stdint.h>

#include "attrib/attribution.h"
#include "base/counters.h"
#include "loopstall.h"
#include "record/stall_record.h"
#include "trace/tracer.h"

/*
 * detect/: the loops being watched, their stall state machine (here), CPU
 * samples of busy loops (samples.c) and kill deadlines (killer.c).
 *
 * The stall state machine over the loops the kernel says are busy. A loop
 * is followed from the kernel's word that an iteration left the CPU or ran
 * long (LS_EV_BUSY, or its first CPU sample) until that iteration ends: it
 * gets a "begin" report once it has been busy for the threshold, while it
 * is still stalled, and the kernel's end-of-stall record closes it with an
 * "end". Idle loops and short iterations cost nothing here.
 */
struct detector;

struct detector_callbacks {
	/* A stall began or ended: the record is only valid during the call. */
	void (*stall)(void *ctx, const struct stall_record *r);
	/* A stall went on for kill_after_ns: its report as it is now. Once per stall. */
	void (*overdue)(void *ctx, const struct stall_record *r);
	void *ctx;
};

/*
 * What the detector reads and asks, through one seam: the kernel's loops
 * (trace/) and what attribution makes of them (attrib/). detector_new()
 * wires the real ones; a unit test gives its own and drives the state
 * machine with loops and clocks of its making.
 */
struct detector_source {
	int (*read_loop)(void *ctx, pid_t tid, struct ls_loop *out); /* 0, or -ENOENT: not a loop (now) */
	void (*read_stacks)(void *ctx, pid_t tid, struct ls_stack out[2]);
	int (*consume)(void *ctx); /* delivers the kernel's end records (detector_stall_ended()): how many */
	int (*loop_ctl)(void *ctx, struct ls_ctl *req);
	/* A stall's record as it is at now_ns (attribute_live), and as it ended (attribute_end). */
	void (*live_record)(void *ctx, const struct ls_loop *l, const struct ls_stack stacks[2], uint64_t now_ns,
			    uint64_t threshold_ns, struct stall_record *r);
	void (*end_record)(void *ctx, const struct ls_event *e, const struct stall_record *begin,
			   uint64_t threshold_ns, struct stall_record *r);
	/* 0 when loop l is stalled, else what settles that it is not (attribution_no_stall). */
	unsigned (*no_stall)(void *ctx, const struct ls_loop *l, const struct ls_stack stacks[2], uint64_t *park_futex);
	int (*runtime_stack)(void *ctx, pid_t pid, pid_t tid, struct stall_frame *frames, int max);
	int (*unwind_sample)(void *ctx, const struct ls_sample *s, uint64_t *ips, int max, struct stall_frame *code,
			     int *ncode, int max_code);
	/* A sample's frames in its runtime's own code (a JVM's Java), from its registers: count, 0 when none. */
	int (*sample_runtime_stack)(void *ctx, const struct ls_sample *s, struct stall_frame *frames, int max);
};

struct detector_wiring {
	struct tracer *tracer;
	struct attribution *attribution;
};

/* kill_after_ns: 0 for no overdue calls. */
struct detector *detector_new(struct tracer *t, struct attribution *a, uint64_t threshold_ns, uint64_t kill_after_ns,
			      const struct detector_callbacks *cb, struct counters *counters);
/* The same over another source (unit tests), ctx passed to its calls. */
struct detector *detector_new_from(const struct detector_source *src, void *ctx, uint64_t threshold_ns,
				   uint64_t kill_after_ns, const struct detector_callbacks *cb,
				   struct counters *counters);
void detector_free(struct detector *d);
/* thread (the reporter writing its records) keeps off the followed loops' CPUs with the detecting thread. */
void detector_keep_off_with(struct detector *d, pthread_t thread);
/* The kernel says iteration iter_seq of loop thread tid is busy (LS_EV_BUSY), keeping cpu busy (-1: off CPU). */
void detector_follow(struct detector *d, pid_t tid, uint64_t iter_seq, uint64_t iter_start_ns, int cpu);
/* The same for a loop a scan found inside iteration iter_seq; found_by: what told it is a loop. */
void detector_follow_found(struct detector *d, pid_t tid, uint64_t iter_seq, uint64_t iter_start_ns, int cpu,
			   const char *found_by);
/* Checks the followed loops that are due at now (CLOCK_MONOTONIC); reports stalls that reached the threshold. */
void detector_check(struct detector *d, uint64_t now);
/* When detector_check is due next; UINT64_MAX when no loop is followed. */
uint64_t detector_next_check_ns(const struct detector *d);
/* The kernel's record of a stall that ended. */
void detector_stall_ended(struct detector *d, const struct ls_event *e);
/* A CPU sample of a busy loop (its loop is followed from then on). */
void detector_sample(struct detector *d, const struct ls_sample *s);
/* loopstall stops at now (CLOCK_MONOTONIC): every stall still going on gets an end record, marked unfinished. */
void detector_finish(struct detector *d, uint64_t now);
/*
 * Stalls followed at once with their begin record (0: the default, 256):
 * fewer under a memory limit (two 264 KiB records each); the begins past it
 * are not made, and counted.
 */
void detector_set_max_open(struct detector *d, int stalls);
uint64_t detector_dropped(const struct detector *d);
/* Stalls of loop thread tid that ended while watched. */
uint64_t detector_stall_count(const struct detector *d, pid_t tid);

#endif

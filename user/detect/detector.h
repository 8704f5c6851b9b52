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

/* kill_after_ns: 0 for no overdue calls. */
struct detector *detector_new(struct tracer *t, struct attribution *a, uint64_t threshold_ns, uint64_t kill_after_ns,
			      const struct detector_callbacks *cb, struct counters *counters);
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
/* loopstall stops: every stall still going on gets an end record, marked unfinished. */
void detector_finish(struct detector *d);
/* Stalls of loop thread tid that ended while watched. */
uint64_t detector_stall_count(const struct detector *d, pid_t tid);

#endif

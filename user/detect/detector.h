#ifndef LOOPSTALL_DETECTOR_H
#define LOOPSTALL_DETECTOR_H
#include <linux/types.h>
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
 * The loop registry and its stall state machine. A loop whose current
 * iteration has been busy for the threshold gets a "begin" report while it
 * is still stalled; the kernel's end-of-stall record closes it with an "end".
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
/* Reads every loop's state; reports stalls that reached the threshold. Call every few ms. */
void detector_scan(struct detector *d);
/* The kernel's record of a stall that ended. */
void detector_stall_ended(struct detector *d, const struct ls_event *e);
/* A CPU sample of a busy loop. */
void detector_sample(struct detector *d, const struct ls_sample *s);
/* loopstall stops: every stall still going on gets an end record, marked unfinished. */
void detector_finish(struct detector *d);
/* Stalls of loop thread tid that ended while watched. */
uint64_t detector_stall_count(const struct detector *d, pid_t tid);
/* How often detector_scan must run to report within its latency bound. */
uint64_t detector_scan_period_ns(const struct detector *d);

#endif

#ifndef LOOPSTALL_DETECTOR_H
#define LOOPSTALL_DETECTOR_H
#include <linux/types.h>
#include <stdint.h>

#include "attribution.h"
#include "loopstall.h"
#include "stall_record.h"
#include "tracer.h"

/*
 * The loop registry and its stall state machine. A loop whose current
 * iteration has been busy for the threshold gets a "begin" report while it
 * is still stalled; the kernel's end-of-stall record closes it with an "end".
 */
struct detector;

typedef void (*stall_sink_fn)(void *ctx, const struct stall_record *r);

struct detector *detector_new(struct tracer *t, struct attribution *a, uint64_t threshold_ns, stall_sink_fn sink,
			      void *sink_ctx);
void detector_free(struct detector *d);
/* Reads every loop's state; reports stalls that reached the threshold. Call every few ms. */
void detector_scan(struct detector *d);
/* The kernel's record of a stall that ended. */
void detector_stall_ended(struct detector *d, const struct ls_event *e);
/* Stalls of loop thread tid that ended while watched. */
uint64_t detector_stall_count(const struct detector *d, pid_t tid);
/* How often detector_scan must run to report within its latency bound. */
uint64_t detector_scan_period_ns(const struct detector *d);

#endif

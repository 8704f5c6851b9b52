#ifndef LOOPSTALL_SAMPLES_H
#define LOOPSTALL_SAMPLES_H
#include <linux/types.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "loopstall.h"
#include "record/stall_record.h"

/*
 * CPU samples of busy loops, per iteration: native stacks from the kernel's
 * sampler and the runtime's stacks (Python's) read at each scan. A stall record gets the
 * samples of its iteration.
 */
struct sample_store;

struct sample_store *sample_store_new(void);
void sample_store_free(struct sample_store *st);
/*
 * Whether the next native sample of tid's iteration seq is kept (ask before
 * unwinding it): all of the first STALL_MAX_SAMPLES; then, each time they
 * are full, every other one is dropped and half as many taken, so that
 * a stall's samples stay spread over all of it, not its first 0.6 s.
 */
bool samples_take_native(struct sample_store *st, pid_t tid, uint64_t seq);
/*
 * A native sample of tid during iteration seq, taken: return addresses,
 * innermost first; CODE_REF entries point into code (ncode frames).
 */
void samples_add_native(struct sample_store *st, pid_t tid, uint64_t seq, const uint64_t *ips, int n,
			const struct stall_frame *code, int ncode);
#define SAMPLE_RUNTIME_DEPTH 16 /* frames of a runtime stack kept per sample */

/* A runtime stack of tid, read during iteration seq (innermost first, SAMPLE_RUNTIME_DEPTH at most). */
void samples_add_runtime(struct sample_store *st, pid_t tid, uint64_t seq, const struct stall_frame *frames, int n);
/*
 * Copies the samples of (tid, seq) into r: raw native stacks, the runtime's
 * hot frames counted, and, on CPU, a runtime stack of where it spent its
 * time (the latest whose innermost function ran itself the most, one with
 * an application frame first) as r's frames when r has none of its own (a JVM's thread in Java code has no
 * last Java frame to read them from; its samples were walked from their
 * registers).
 */
void samples_fill(struct sample_store *st, pid_t tid, uint64_t seq, struct stall_record *r);
/* Forgets the samples of tid's iterations up to seq (they ended). */
void samples_drop_until(struct sample_store *st, pid_t tid, uint64_t seq);

#endif

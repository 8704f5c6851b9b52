#ifndef LOOPSTALL_ATTRIBUTION_H
#define LOOPSTALL_ATTRIBUTION_H
#include <linux/types.h>
#include <stdint.h>

#include "loopstall.h"
#include "runtimes/runtime.h"
#include "record/stall_record.h"
#include "symbols/symbolize.h"

/*
 * attrib/: from the kernel's view of a stalled loop to a stall record. Here,
 * on the detecting thread while the stall goes on: the dominant cause, the
 * blocking syscall and its fd (fd_describe.c), native return addresses and
 * the runtime's frames (Python's) read from the target's memory, CPU
 * throttling (cgroup_cpu.c). On the reporter thread (resolve.h): names for
 * the addresses, the hot frames, what the names tell of the cause.
 */
struct attribution;

/* rt: the runtime registry of the detecting thread (shared with top there). */
struct attribution *attribution_new(struct runtimes *rt);
void attribution_free(struct attribution *a);
/* Forgets cached knowledge of a process that exited or exec'd (from any thread, as attribution_warm). */
void attribution_forget(struct attribution *a, pid_t pid);

/* A stall still going on. snap was read at now_ns; stacks are the loop's two stack slots. */
void attribute_live(struct attribution *a, const struct ls_loop *snap, const struct ls_stack stacks[2], uint64_t now_ns,
		    uint64_t threshold_ns, struct stall_record *r);
/* A stall that ended. begin is the live report of it, if any, whose Python stack is kept. */
void attribute_end(struct attribution *a, const struct ls_event *e, const struct stall_record *begin,
		   uint64_t threshold_ns, struct stall_record *r);

/*
 * The native stack of a CPU sample: DWARF-unwound from its stack copy, else
 * its frame-pointer walk. Frames its runtime reads itself (JavaScript) are
 * CODE_REF entries of ips, indexes into code (*ncode of max_code used).
 */
int attribution_unwind_sample(struct attribution *a, const struct ls_sample *s, uint64_t *ips, int max,
			      struct stall_frame *code, int *ncode, int max_code);

/*
 * Whether thread t, as a scan found it (in no wait), runs an event loop
 * (enum thread_loop): from its runtime, else from its native frames,
 * unwound from its registers when it is off CPU. -ENOENT when nothing
 * tells; how says what told it.
 */
int attribution_loop_of_thread(struct attribution *a, const struct ls_thread *t, char *how, size_t len);
/* Whether a runtime (python, node, redis) claims pid. */
bool attribution_has_runtime(struct attribution *a, pid_t pid);
/*
 * Whether loop l, busy for the threshold, is no stall after all: 0 when it
 * is one, else what settles it (LS_CTL_*). Its runtime runs no loop on any
 * thread (Go: LS_CTL_IGNORE, for good); its own instance is closed (the
 * loop is over: the thread does something else now, or shuts down:
 * LS_CTL_FORGET_HOME); its home is a poll or select that is no loop's: a
 * vague one its runtime does not say is a loop's (a sync client's), or one
 * its runtime says no loop runs on (a script's subprocess.run): its home is
 * forgotten too (LS_CTL_FORGET_HOME); or its runtime says
 * it idles where it waits (a tokio worker's park: LS_CTL_PARK, the futex
 * word in *park_futex).
 */
unsigned attribution_no_stall(struct attribution *a, const struct ls_loop *l, const struct ls_stack stacks[2],
			      uint64_t *park_futex);
/* Whether loop l, blocked in a futex (its stacks as read), waits in its runtime's park: idle, not stalled. */
bool attribution_parked(struct attribution *a, const struct ls_loop *l, const struct ls_stack stacks[2]);

/* The runtime's stack of tid right now, for CPU sampling: count, 0 if it reads none, or -errno. */
int attribution_runtime_stack(struct attribution *a, pid_t pid, pid_t tid, struct stall_frame *frames, int max);
/* A CPU sample's frames in its runtime's code (a JVM's Java), from its registers and stack copy: count, 0 if none. */
int attribution_sample_runtime_stack(struct attribution *a, const struct ls_sample *s, struct stall_frame *frames,
				     int max);
/*
 * Loads what the first stall of pid needs (its binaries' symbols and CFI,
 * its runtime's state) now. The one call another thread may make: the
 * reporter makes it for every new loop's process.
 */
void attribution_warm(struct attribution *a, pid_t pid);

#endif

#ifndef LOOPSTALL_DISCOVER_H
#define LOOPSTALL_DISCOVER_H
#include <stdint.h>
#include <sys/types.h>

#include "attrib/attribution.h"
#include "detect/detector.h"
#include "trace/tracer.h"

/*
 * Loops the kernel cannot see by their waits: a thread already stuck inside
 * an iteration when loopstall attaches makes no wait until it is over, and
 * an idle tokio worker parks on a futex. A scan of a process's threads
 * (trace/) finds those that run an event loop (their runtime says, or their
 * native frames), makes them loops in the kernel (inside an iteration since
 * they last left the CPU, or idle in their park) and has the detector
 * follow them: a frozen loop is reported at once.
 */
struct discover;

struct discover *discover_new(struct tracer *t, struct attribution *a, struct detector *d);
void discover_free(struct discover *dc);
/* Scans the threads of pid (0: of every process) now. */
void discover_scan(struct discover *dc, pid_t pid);
/*
 * A new loop tid of pid was seen (LS_EV_NEW_LOOP): pid's other threads are
 * scanned again soon (a runtime started); in a runtime that parks, it
 * learns its park.
 */
void discover_new_loop(struct discover *dc, pid_t pid, pid_t tid, uint64_t now);
/* Loop tid, learning its park, sleeps in a futex in iteration iter_seq (LS_EV_FUTEX): is it its park? */
void discover_futex(struct discover *dc, pid_t tid, uint64_t iter_seq);
/* Rescans that are due at now; when the next is due (UINT64_MAX: none). */
void discover_tick(struct discover *dc, uint64_t now);
uint64_t discover_next_ns(const struct discover *dc);
/* pid exited or exec'd. */
void discover_forget(struct discover *dc, pid_t pid);

#endif

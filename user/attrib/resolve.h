#ifndef LOOPSTALL_RESOLVE_H
#define LOOPSTALL_RESOLVE_H

#include <sys/types.h>

#include "record/stall_record.h"
#include "runtimes/runtime.h"
#include "symbols/symbolize.h"

/*
 * The second half of attribution, on the reporter thread: its own
 * symbolizer and runtime registry (libdwfl is not thread-safe).
 */
struct resolver;

struct resolver *resolver_new(void);
void resolver_free(struct resolver *rs);
/* pid exited or exec'd. */
void resolver_forget(struct resolver *rs, pid_t pid);
/* Loads pid's symbols ahead of its first stall. */
void resolver_warm(struct resolver *rs, pid_t pid);
/*
 * Turns r's captured native addresses and CPU samples into frames (native
 * frames before the runtime's) and hot frames, and refines a futex wait's
 * cause. Slow the first time for a binary: called off the detecting thread.
 */
void resolve_record(struct resolver *rs, struct stall_record *r);

#endif

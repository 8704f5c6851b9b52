#ifndef LOOPSTALL_NATIVE_LOOPS_H
#define LOOPSTALL_NATIVE_LOOPS_H
#include <stddef.h>

#include "record/stall_record.h"

/*
 * What a thread's native frames tell of an event loop, for runtimes whose
 * frames are native (tokio, libuv, nginx, libevent): enum thread_loop from
 * frames (named, innermost first; the innermost frame that one of the
 * known loop functions names decides), or -ENOENT when none does. how:
 * what told it.
 */
int native_loop_state(const struct stall_frame *frames, int n, char *how, size_t len);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LOOPSTALL_GO_H
#define LOOPSTALL_GO_H
#include "runtimes/runtime.h"

/*
 * A Go program (its executable has Go's build-info section): no thread of
 * it is an event loop. Go's scheduler runs goroutines on any thread, polls
 * the network from whichever is idle and hands a blocked thread's work to
 * another, so a thread that waited in epoll and then blocks or computes
 * holds up no loop, and an idle one parks on a futex.
 */
extern const struct runtime_ops go_runtime;

#endif

/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LOOPSTALL_NODE_H
#define LOOPSTALL_NODE_H

#include "runtimes/runtime.h"

/*
 * Node.js: JavaScript functions named from the perf map node writes when
 * started with --perf-basic-prof (perf_map.c), for code in no module or in
 * an unnamed range of one (the interpreter's trampolines).
 */
extern const struct runtime_ops node_runtime;

#endif

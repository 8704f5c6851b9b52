/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LOOPSTALL_REDIS_H
#define LOOPSTALL_REDIS_H

#include "runtimes/runtime.h"

/* Redis: a native server, recognized so that it is named; its frames are native ones. */
extern const struct runtime_ops redis_runtime;

#endif

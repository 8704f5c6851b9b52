/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LOOPSTALL_PY_TASK_H
#define LOOPSTALL_PY_TASK_H

#include "runtimes/python/frame.h"
#include "runtimes/python/layouts.h"
#include "base/target_memory.h"

/* Names the task on each coroutine frame called by Handle._run; n frames walked (peek included). */
void py_name_tasks(const struct mem_reader *m, const struct py_layout *L, struct walk *w, int n);

#endif

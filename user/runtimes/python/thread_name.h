/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LOOPSTALL_PY_THREAD_NAME_H
#define LOOPSTALL_PY_THREAD_NAME_H
#include <stddef.h>

#include "base/target_memory.h"
#include "runtimes/python/frame.h"
#include "runtimes/python/layouts.h"

/*
 * The Python name of a thread threading started ("Thread-3 (worker)", or
 * the name the application gave it), from the n frames of its whole stack
 * in w: 0 and buf, or -ENOENT (the main thread, a thread started from C, a
 * stack cut short).
 */
int py_find_thread_name(const struct mem_reader *m, const struct py_layout *L, const struct walk *w, int n, char *buf,
			size_t len);

#endif

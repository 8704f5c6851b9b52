/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LOOPSTALL_PY_PYTHON_H
#define LOOPSTALL_PY_PYTHON_H

#include "runtimes/runtime.h"

/*
 * CPython 3.8 to 3.13, read from outside: the Python stack of a thread
 * (function, file, line, coroutine, asyncio task), the GIL and its holder.
 * The files of this folder, bottom up: memory (bounded reads), layouts (one
 * row per version), strings, lines (line tables), tstate (thread states),
 * task (asyncio task names), gil, stack (the walk), elf (finding the
 * interpreter in a process), process (a live process), python (this).
 */
extern const struct runtime_ops python_runtime;

#endif

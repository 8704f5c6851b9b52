/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LOOPSTALL_PY_STRINGS_H
#define LOOPSTALL_PY_STRINGS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtimes/python/layouts.h"
#include "base/target_memory.h"

/* A compact str object as UTF-8 into dst, cut to cap - 1 bytes (cap <= 256): 0 or -errno. */
int py_read_str(const struct mem_reader *m, const struct py_layout *L, uint64_t obj, char *dst, size_t cap);

#endif

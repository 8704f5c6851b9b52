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

/* Whether the C string at addr is want (up to 63 bytes). */
bool py_cstr_is(const struct mem_reader *m, uint64_t addr, const char *want);
/* Whether obj's type is named name (any type when NULL); *type gets the type if asked. */
bool py_type_is(const struct mem_reader *m, const struct py_layout *L, uint64_t obj, const char *name,
		uint64_t *type);

#endif

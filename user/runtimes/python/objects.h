/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LOOPSTALL_PY_OBJECTS_H
#define LOOPSTALL_PY_OBJECTS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/target_memory.h"
#include "runtimes/python/layouts.h"

/*
 * CPython objects in the target: an object's type by name, a type's
 * members, a dict's entries, an instance's attribute (its __slots__ or C
 * members, its dict, or the values 3.11+ keep beside the object). Every
 * pointer is checked, every count bounded; a miss is 0 or -errno, never a
 * guess.
 */

/* Whether the C string at addr is want (up to 63 bytes). */
bool py_cstr_is(const struct mem_reader *m, uint64_t addr, const char *want);
/* Whether obj's type is named name (any type when NULL); *type gets the type if asked. */
bool py_type_is(const struct mem_reader *m, const struct py_layout *L, uint64_t obj, const char *name,
		uint64_t *type);
/* type's tp_name ("aiohttp._http_parser.RawRequestMessage"), NUL-terminated within 64 bytes: 0 or -errno. */
int py_type_name(const struct mem_reader *m, const struct py_layout *L, uint64_t type, char *buf, size_t len);
/*
 * Offset in instances of type of its member called name (tp_members of it
 * or a base: __slots__, and with !slots_only a C type's object members): 0 or -errno.
 */
int py_member_offset(const struct mem_reader *m, const struct py_layout *L, uint64_t type, const char *name,
		     bool slots_only, uint64_t *off);

/* Where a dict's entries are: n of them (64 at most), size bytes each, the key at key and the value after. */
struct py_entries {
	uint64_t at;
	int n;
	int size;
	int key;
};

/* The entries of a PyDictKeysObject (3.8-3.10, 3.11+ layouts): 0 or -errno. */
int py_keys_entries(const struct mem_reader *m, const struct py_layout *L, uint64_t keys, struct py_entries *e);
/* The entries of a dict whose values are in them: 0 or -errno. */
int py_dict_entries(const struct mem_reader *m, const struct py_layout *L, uint64_t dict, struct py_entries *e);
/* Entry i: its key and value (0 when deleted): 0 or -errno. */
int py_entry(const struct mem_reader *m, const struct py_entries *e, int i, uint64_t *key, uint64_t *value);
/* The attribute name of the instance obj, 0 when none (or a property: not run). */
uint64_t py_object_attr(const struct mem_reader *m, const struct py_layout *L, uint64_t obj, const char *name);
/* The value of the local called want in the frame at frame (a cell's content), 0 when it has none. */
uint64_t py_frame_local(const struct mem_reader *m, const struct py_layout *L, uint64_t frame, const char *want);

#endif

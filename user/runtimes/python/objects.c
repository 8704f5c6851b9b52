// SPDX-License-Identifier: GPL-2.0
/* CPython objects read from the target: types, members, dicts, attributes (see objects.h). */
#include <errno.h>
#include <string.h>

#include "runtimes/python/objects.h"
#include "runtimes/python/strings.h"

#define OB_TYPE		   8  /* PyObject.ob_type */
#define PAGE_SIZE_MIN	   4096
#define MEMBER_SIZE	   40 /* sizeof(PyMemberDef): name, type, offset, flags, doc (stable ABI) */
#define MEMBER_TYPE	   8
#define MEMBER_OFFSET	   16
#define T_OBJECT	   6  /* an object member that may be NULL (Cython's attributes) */
#define T_OBJECT_EX	   16 /* what __slots__ members are */
#define MAX_MEMBERS	   64 /* PyMemberDef entries looked at per type */
#define MAX_BASES	   8  /* types looked at up the tp_base chain */
#define MAX_SLOT_OFFSET	   4096
#define DICT_KEYS	   32 /* PyDictObject.ma_keys (3.8-3.13) */
#define DICT_VALUES	   40 /* ma_values: split dicts */
#define MAX_ENTRIES	   64 /* entries of one dict looked at */
#define ENTRY_GENERAL	   24 /* hash, key, value */
#define ENTRY_UNICODE	   16 /* key, value (3.11+: dicts of str keys) */
#define TYPE_BASICSIZE	   32  /* PyTypeObject.tp_basicsize, 3.8-3.13 */
#define TYPE_FLAGS	   168 /* tp_flags */
#define TYPE_DICTOFFSET	   288 /* tp_dictoffset */
#define TPFLAGS_MANAGED	   (1u << 4) /* 3.11+: the dict (or its values) sit before the object */
#define TPFLAGS_INLINE	   (1u << 2) /* 3.13: the values follow the object */
#define MANAGED_DICT	   24 /* bytes before the object: its dict (3.11, 3.13), dict or tagged values (3.12) */
#define TUPLE_SIZE	   16 /* PyVarObject.ob_size: a tuple's length */
#define TUPLE_ITEMS	   24 /* PyTupleObject.ob_item */
#define CELL_REF	   16 /* PyCellObject.ob_ref */
#define MAX_LOCALS	   64 /* names of one code object looked at */
#define MANAGED_VALUES_311 32 /* 3.11: its values */
#define VALUES_HEADER_313  8  /* 3.13 PyDictValues: capacity, size, embedded, valid, padding */

/*
 * Whether the C string at addr is want. Read in two pieces split at a page
 * boundary, so a short string at the end of a mapping can still be read.
 */
bool py_cstr_is(const struct mem_reader *m, uint64_t addr, const char *want)
{
	size_t len = strlen(want) + 1, first;
	char buf[64];

	if (!addr || len > sizeof(buf))
		return false;
	first = PAGE_SIZE_MIN - (addr & (PAGE_SIZE_MIN - 1));
	if (first > len)
		first = len;
	if (mem_read(m, addr, buf, first) || (first < len && mem_read(m, addr + first, buf + first, len - first)))
		return false;
	return !memcmp(buf, want, len);
}

bool py_type_is(const struct mem_reader *m, const struct py_layout *L, uint64_t obj, const char *name,
		    uint64_t *type)
{
	uint64_t t, tp_name;

	if (!mem_valid_ptr(obj, 8) || mem_read_ptr(m, obj + OB_TYPE, &t) || !mem_valid_ptr(t, 8) ||
	    mem_read_ptr(m, t + L->type_name, &tp_name))
		return false;
	if (type)
		*type = t;
	return !name || py_cstr_is(m, tp_name, name);
}

int py_type_name(const struct mem_reader *m, const struct py_layout *L, uint64_t type, char *buf, size_t len)
{
	uint64_t name;
	size_t n = len < 64 ? len : 64, i;

	buf[0] = 0;
	if (!mem_valid_ptr(type, 8) || mem_read_ptr(m, type + L->type_name, &name) || !name)
		return -EFAULT;
	/* the name may end near the end of its mapping: try shorter reads */
	while (n > 1 && mem_read(m, name, buf, n))
		n /= 2;
	for (i = 0; i < n && buf[i]; i++)
		;
	if (n <= 1 || i == n) {
		buf[0] = 0;
		return -EINVAL;
	}
	return 0;
}

int py_member_offset(const struct mem_reader *m, const struct py_layout *L, uint64_t type, const char *name,
		     bool slots_only, uint64_t *off)
{
	uint8_t def[MEMBER_SIZE];
	int depth, i;

	for (depth = 0; depth < MAX_BASES && mem_valid_ptr(type, 8); depth++) {
		uint64_t members;

		if (mem_read_ptr(m, type + L->type_members, &members))
			return -EFAULT;
		for (i = 0; mem_valid_ptr(members, 8) && i < MAX_MEMBERS; i++) {
			if (mem_read(m, members + (uint64_t)i * MEMBER_SIZE, def, sizeof(def)))
				return -EFAULT;
			if (!mem_get_u64(def, 0))
				break; /* the terminating entry */
			if (!py_cstr_is(m, mem_get_u64(def, 0), name))
				continue;
			*off = mem_get_u64(def, MEMBER_OFFSET);
			if ((mem_get_i32(def, MEMBER_TYPE) != T_OBJECT_EX && (slots_only || mem_get_i32(def, MEMBER_TYPE) != T_OBJECT)) ||
			    !*off || *off >= MAX_SLOT_OFFSET ||
			    (*off & 7))
				return -EINVAL;
			return 0;
		}
		if (mem_read_ptr(m, type + L->type_base, &type))
			return -EFAULT;
	}
	return -ENOENT;
}

/* 3.8-3.10: dk_size, dk_nentries, indices of 1-8 bytes each; 3.11+: log2 sizes and a kind. */
int py_keys_entries(const struct mem_reader *m, const struct py_layout *L, uint64_t keys, struct py_entries *e)
{
	uint8_t k[40];

	if (!mem_valid_ptr(keys, 8) || mem_read(m, keys, k, sizeof(k)))
		return -EFAULT;
	if (L->minor <= 10) {
		uint64_t size = mem_get_u64(k, 8), width;

		if (size < 8 || size > (1u << 20) || (size & (size - 1)))
			return -EINVAL;
		width = size <= 0xff ? 1 : size <= 0xffff ? 2 : 4;
		e->at = keys + 40 + size * width;
		e->n = (int)(mem_get_u64(k, 32) < MAX_ENTRIES ? mem_get_u64(k, 32) : MAX_ENTRIES);
		e->size = ENTRY_GENERAL;
		e->key = 8;
	} else {
		int log2_index_bytes = k[9], kind = k[10];
		int64_t nentries = (int64_t)mem_get_u64(k, 24);

		if (log2_index_bytes > 24 || kind > 2 || nentries < 0)
			return -EINVAL;
		e->at = keys + 32 + (1ULL << log2_index_bytes);
		e->n = nentries < MAX_ENTRIES ? (int)nentries : MAX_ENTRIES;
		e->size = kind == 0 ? ENTRY_GENERAL : ENTRY_UNICODE;
		e->key = kind == 0 ? 8 : 0;
	}
	return 0;
}

int py_dict_entries(const struct mem_reader *m, const struct py_layout *L, uint64_t dict, struct py_entries *e)
{
	uint64_t keys, values;

	if (!py_type_is(m, L, dict, "dict", NULL) || mem_read_ptr(m, dict + DICT_KEYS, &keys) ||
	    mem_read_ptr(m, dict + DICT_VALUES, &values) || values)
		return -EINVAL; /* not a dict, or a split one (an instance's: see py_object_attr) */
	return py_keys_entries(m, L, keys, e);
}

int py_entry(const struct mem_reader *m, const struct py_entries *e, int i, uint64_t *key, uint64_t *value)
{
	uint8_t entry[ENTRY_GENERAL];

	if (i < 0 || i >= e->n || mem_read(m, e->at + (uint64_t)i * e->size, entry, e->size))
		return -EFAULT;
	*key = mem_get_u64(entry, e->key);
	*value = e->size > e->key + 8 ? mem_get_u64(entry, e->key + 8) : 0;
	return 0;
}

/* The index of the str key name among e's entries, -1 when absent. */
static int key_index(const struct mem_reader *m, const struct py_layout *L, const struct py_entries *e,
		     const char *name)
{
	char key[64];
	uint64_t k, v;
	int i;

	for (i = 0; i < e->n; i++)
		if (!py_entry(m, e, i, &k, &v) && k && !py_read_str(m, L, k, key, sizeof(key)) && !strcmp(key, name))
			return i;
	return -1;
}

/* The value of key i of a split dict (an instance's, sharing its type's keys): values[i]. */
static uint64_t split_entry(const struct mem_reader *m, const struct py_layout *L, uint64_t values, int i)
{
	uint64_t v;

	if (L->minor >= 13)
		values += VALUES_HEADER_313;
	if (i < 0 || !mem_valid_ptr(values, 8) || mem_read_ptr(m, values + 8 * (uint64_t)i, &v))
		return 0;
	return v;
}

/* The value of the str key name in dict, 0 when none. */
static uint64_t py_dict_get(const struct mem_reader *m, const struct py_layout *L, uint64_t dict,
			    const char *name)
{
	struct py_entries e;
	uint64_t keys, values, k, v;
	int i;

	if (!py_type_is(m, L, dict, "dict", NULL) || mem_read_ptr(m, dict + DICT_KEYS, &keys) ||
	    mem_read_ptr(m, dict + DICT_VALUES, &values) || py_keys_entries(m, L, keys, &e))
		return 0;
	i = key_index(m, L, &e, name);
	if (values)
		return split_entry(m, L, values, i);
	return i >= 0 && !py_entry(m, &e, i, &k, &v) ? v : 0;
}

/* An instance's values kept apart from a dict: value i is the type's cached key i's. */
static uint64_t split_value(const struct mem_reader *m, const struct py_layout *L, uint64_t type, uint64_t values,
			    const char *name)
{
	struct py_entries e;
	uint64_t keys;

	if (!L->type_cached_keys || mem_read_ptr(m, type + L->type_cached_keys, &keys) || py_keys_entries(m, L, keys, &e))
		return 0;
	return split_entry(m, L, values, key_index(m, L, &e, name));
}

uint64_t py_object_attr(const struct mem_reader *m, const struct py_layout *L, uint64_t obj, const char *name)
{
	uint64_t type, flags, off, dict, v;
	int64_t dictoffset;

	if (!py_type_is(m, L, obj, NULL, &type) || mem_read_ptr(m, type + TYPE_FLAGS, &flags))
		return 0;
	/* __slots__, or a C type's members (Cython's attributes) */
	if (!py_member_offset(m, L, type, name, false, &off))
		return mem_read_ptr(m, obj + off, &v) ? 0 : v;
	if (L->minor >= 11 && (flags & TPFLAGS_MANAGED)) {
		if (mem_read_ptr(m, obj - MANAGED_DICT, &dict))
			return 0;
		if (L->minor == 11 && !dict && !mem_read_ptr(m, obj - MANAGED_VALUES_311, &v))
			return split_value(m, L, type, v, name);
		if (L->minor == 12 && (dict & 1))
			return split_value(m, L, type, dict + 1, name); /* tagged: the values pointer less one */
		if (L->minor >= 13 && !dict && (flags & TPFLAGS_INLINE)) {
			uint64_t size;

			if (mem_read_ptr(m, type + TYPE_BASICSIZE, &size) || size > MAX_SLOT_OFFSET)
				return 0;
			return split_value(m, L, type, obj + size, name);
		}
		return dict ? py_dict_get(m, L, dict, name) : 0;
	}
	if (mem_read_ptr(m, type + TYPE_DICTOFFSET, (uint64_t *)&dictoffset) || dictoffset <= 0 ||
	    dictoffset > MAX_SLOT_OFFSET || mem_read_ptr(m, obj + (uint64_t)dictoffset, &dict))
		return 0;
	return py_dict_get(m, L, dict, name);
}

uint64_t py_frame_local(const struct mem_reader *m, const struct py_layout *L, uint64_t frame, const char *want)
{
	uint64_t code, names, size, items[MAX_LOCALS], value;
	char name[64]; /* whole: a local "request_id" cut to 8 bytes would be "request" */
	int i;

	if (mem_read_ptr(m, frame + L->frame_code, &code) || !mem_valid_ptr(code, 8) ||
	    mem_read_ptr(m, code + L->code_localsnames, &names) || !py_type_is(m, L, names, "tuple", NULL) ||
	    mem_read_ptr(m, names + TUPLE_SIZE, &size))
		return 0;
	if (size > MAX_LOCALS)
		size = MAX_LOCALS;
	if (!size || mem_read(m, names + TUPLE_ITEMS, items, size * 8))
		return 0;
	for (i = 0; i < (int)size; i++) {
		if (py_read_str(m, L, items[i], name, sizeof(name)) || strcmp(name, want))
			continue;
		if (mem_read_ptr(m, frame + L->frame_localsplus + 8 * (uint64_t)i, &value) || !mem_valid_ptr(value, 8))
			return 0;
		/* captured by an inner function: the cell holds it */
		if (py_type_is(m, L, value, "cell", NULL) && mem_read_ptr(m, value + CELL_REF, &value))
			return 0;
		return value;
	}
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "runtimes/jvm/vmstructs.h"

const char *const vmstructs_symbols[] = {
	"gHotSpotVMStructs",
	"gHotSpotVMStructEntryTypeNameOffset",
	"gHotSpotVMStructEntryFieldNameOffset",
	"gHotSpotVMStructEntryIsStaticOffset",
	"gHotSpotVMStructEntryOffsetOffset",
	"gHotSpotVMStructEntryAddressOffset",
	"gHotSpotVMStructEntryArrayStride",
	"gHotSpotVMTypes",
	"gHotSpotVMTypeEntryTypeNameOffset",
	"gHotSpotVMTypeEntrySizeOffset",
	"gHotSpotVMTypeEntryArrayStride",
	"gHotSpotVMIntConstants",
	"gHotSpotVMIntConstantEntryNameOffset",
	"gHotSpotVMIntConstantEntryValueOffset",
	"gHotSpotVMIntConstantEntryArrayStride",
};
const int vmstructs_nsymbols = sizeof(vmstructs_symbols) / sizeof(vmstructs_symbols[0]);

enum {
	STRUCTS,
	S_TYPE,
	S_FIELD,
	S_STATIC,
	S_OFFSET,
	S_ADDRESS,
	S_STRIDE,
	TYPES,
	T_NAME,
	T_SIZE,
	T_STRIDE,
	INTS,
	I_NAME,
	I_VALUE,
	I_STRIDE
};

enum table { FIELD, STATIC, SIZE, CONSTANT };

/* What the frame reader needs; an optional one a JVM lacks leaves its part out (see vmstructs_read). */
static const struct want {
	enum table table;
	const char *type, *name; /* a constant: its whole name in type */
	size_t slot;		 /* offsetof(struct hotspot_layout, ...) */
	bool optional;
	const char *alt_type; /* the type's name in other JDKs */
} wants[] = {
#define F(t, n, s)                                                                                                     \
	{                                                                                                              \
		FIELD, t, n, offsetof(struct hotspot_layout, s), false, NULL                                           \
	}
#define S(t, n, s)                                                                                                     \
	{                                                                                                              \
		STATIC, t, n, offsetof(struct hotspot_layout, s), false, NULL                                          \
	}
#define O(t, n, s)                                                                                                     \
	{                                                                                                              \
		FIELD, t, n, offsetof(struct hotspot_layout, s), true, NULL                                            \
	}
	S("CodeCache", "_heaps", code_heaps),
	S("ThreadsSMRSupport", "_java_thread_list", java_threads),
	{STATIC, "Abstract_VM_Version", "_vm_major_version", offsetof(struct hotspot_layout, vm_major), true, NULL},
	F("GrowableArrayBase", "_len", array_len),
	F("GrowableArray<int>", "_data", array_data),
	F("CodeHeap", "_memory", heap_memory),
	F("CodeHeap", "_segmap", heap_segmap),
	F("CodeHeap", "_log2_segment_size", heap_log2_segment),
	F("VirtualSpace", "_low_boundary", space_low_boundary),
	F("VirtualSpace", "_high_boundary", space_high_boundary),
	F("VirtualSpace", "_low", space_low),
	F("HeapBlock", "_header", block_header),
	F("HeapBlock::Header", "_used", header_used),
	F("CodeBlob", "_name", blob_name),
	F("CodeBlob", "_frame_size", blob_frame_size),
	O("CodeBlob", "_frame_complete_offset", blob_frame_complete), /* an int to JDK 22, int16_t since */
	/* the code's bounds: pointers to 22, offsets in the blob since */
	O("CodeBlob", "_code_begin", blob_code_begin),
	O("CodeBlob", "_code_end", blob_code_end),
	O("CodeBlob", "_code_offset", blob_code_offset),
	O("CodeBlob", "_data_offset", blob_data_offset),
	/* nmethod's own since JDK 23 */
	{FIELD, "CompiledMethod", "_method", offsetof(struct hotspot_layout, compiled_method), false, "nmethod"},
	F("Method", "_constMethod", method_const),
	F("ConstMethod", "_constants", const_constants),
	O("ConstMethod", "_flags", const_flags), /* lines are read where it and the flag below are known */
	F("ConstMethod", "_code_size", const_code_size),
	F("ConstMethod", "_name_index", const_name_index),
	O("nmethod", "_scopes_pcs_offset", nm_scopes_pcs),
	O("nmethod", "_dependencies_offset", nm_dependencies),
	O("nmethod", "_metadata_offset", nm_metadata),
	O("CompiledMethod", "_scopes_data_begin", nm_scopes_data),
	O("PcDesc", "_pc_offset", pc_offset),
	O("PcDesc", "_scope_decode_offset", pc_scope),
	F("ConstantPool", "_pool_holder", pool_holder),
	{FIELD, "ConstantPool", "_source_file_name_index", offsetof(struct hotspot_layout, pool_source_file), true,
	 NULL},
	F("Klass", "_name", klass_name),
	F("Symbol", "_length", symbol_length),
	F("Symbol", "_body", symbol_body),
	F("ThreadsList", "_length", list_length),
	F("ThreadsList", "_threads", list_threads),
	{FIELD, "JavaThread", "_osthread", offsetof(struct hotspot_layout, thread_osthread), false, "Thread"},
	F("JavaThread", "_anchor", thread_anchor),
	F("OSThread", "_thread_id", osthread_tid),
	F("JavaFrameAnchor", "_last_Java_sp", anchor_sp),
	F("JavaFrameAnchor", "_last_Java_pc", anchor_pc),
	F("JavaFrameAnchor", "_last_Java_fp", anchor_fp),
	{SIZE, "HeapBlock", NULL, offsetof(struct hotspot_layout, size_heap_block), false, NULL},
	{SIZE, "ConstMethod", NULL, offsetof(struct hotspot_layout, size_const_method), false, NULL},
	{SIZE, "ConstantPool", NULL, offsetof(struct hotspot_layout, size_constant_pool), false, NULL},
	{SIZE, "PcDesc", NULL, offsetof(struct hotspot_layout, size_pc_desc), true, NULL},
	{CONSTANT, "ConstMethod::_has_linenumber_table", NULL, offsetof(struct hotspot_layout, has_line_numbers), true,
	 NULL},
	{CONSTANT, "frame::interpreter_frame_sender_sp_offset", NULL, offsetof(struct hotspot_layout, frame_sender_sp),
	 true, NULL},
#undef F
#undef S
#undef O
};
#define NWANTS	     (sizeof(wants) / sizeof(wants[0]))
#define MAX_ENTRIES  16384 /* JDK 17 has about 2400 struct entries */
#define MAX_STRIDE   256
#define CHUNK	     32 /* entries read at once */
#define NAME_MAX_LEN 64 /* longer names are none of ours */

static int64_t *slot(struct hotspot_layout *l, size_t at)
{
	return (int64_t *)((char *)l + at);
}

/* A C string of the target up to len - 1 bytes, read piecewise so that it never reads past its page. */
static int read_name(const struct mem_reader *m, uint64_t addr, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len - 1) {
		size_t piece = 64 - ((addr + got) & 63);

		if (piece > len - 1 - got)
			piece = len - 1 - got;
		if (mem_read(m, addr + got, buf + got, piece))
			return -EFAULT;
		if (memchr(buf + got, 0, piece))
			return 0;
		got += piece;
	}
	buf[len - 1] = 0;
	return 0;
}

static bool is_type(const struct want *w, const char *type)
{
	return strcmp(w->type, type) == 0 || (w->alt_type && strcmp(w->alt_type, type) == 0);
}

static bool wanted_type(enum table table, const char *type)
{
	size_t i;

	for (i = 0; i < NWANTS; i++)
		if (wants[i].table == table && is_type(&wants[i], type))
			return true;
	return false;
}

struct table_walk {
	uint64_t base, stride;
	uint64_t name_off; /* the entry's type name (or constant name) pointer */
};

/* Entry i's bytes (stride of them) into buf, read CHUNK entries at a time into chunk. */
static int entry_at(const struct mem_reader *m, const struct table_walk *t, uint8_t *chunk, uint64_t *chunk_first,
		    int i, const uint8_t **entry)
{
	uint64_t first = (uint64_t)i / CHUNK * CHUNK;

	if (*chunk_first != first) {
		int err = mem_read(m, t->base + first * t->stride, chunk, CHUNK * t->stride);

		/* the table's end may lie near its mapping's end: fall back to one entry */
		if (err) {
			*chunk_first = (uint64_t)-1;
			if (mem_read(m, t->base + i * t->stride, chunk, t->stride))
				return -EFAULT;
			*entry = chunk;
			return 0;
		}
		*chunk_first = first;
	}
	*entry = chunk + (i - first) * t->stride;
	return 0;
}

static void take(struct hotspot_layout *l, bool *found, enum table table, const char *type, const char *name,
		 int64_t value)
{
	size_t i;

	for (i = 0; i < NWANTS; i++)
		if (!found[i] && wants[i].table == table && is_type(&wants[i], type) &&
		    (!wants[i].name || (name && strcmp(wants[i].name, name) == 0))) {
			*slot(l, wants[i].slot) = value;
			found[i] = true;
		}
}

/* Walks one table: each entry's name, then what take() keeps of it. */
static int walk(const struct mem_reader *m, const struct table_walk *t, enum table kind, const uint64_t *off,
		struct hotspot_layout *l, bool *found)
{
	uint8_t chunk[CHUNK * MAX_STRIDE];
	uint64_t chunk_first = (uint64_t)-1;
	int i;

	for (i = 0; i < MAX_ENTRIES; i++) {
		char type[NAME_MAX_LEN], field[NAME_MAX_LEN];
		const uint8_t *e;
		uint64_t name_ptr, field_ptr;

		if (entry_at(m, t, chunk, &chunk_first, i, &e))
			return -EFAULT;
		name_ptr = mem_get_u64(e, t->name_off);
		if (!name_ptr)
			return 0; /* the table's end */
		if (read_name(m, name_ptr, type, sizeof(type)))
			continue;
		if (kind == SIZE) {
			if (wanted_type(SIZE, type))
				take(l, found, SIZE, type, NULL, (int64_t)mem_get_u64(e, off[0]));
		} else if (kind == CONSTANT) {
			if (wanted_type(CONSTANT, type))
				take(l, found, CONSTANT, type, NULL, mem_get_i32(e, off[0]));
		} else if (wanted_type(FIELD, type) || wanted_type(STATIC, type)) {
			field_ptr = mem_get_u64(e, off[0]);
			if (!field_ptr || read_name(m, field_ptr, field, sizeof(field)))
				continue;
			if (mem_get_i32(e, off[1]))
				take(l, found, STATIC, type, field, (int64_t)mem_get_u64(e, off[3]));
			else
				take(l, found, FIELD, type, field, (int64_t)mem_get_u64(e, off[2]));
		}
	}
	return -E2BIG;
}

/* A table's layout from the constants libjvm exports beside it. */
static int table_of(const struct mem_reader *m, const uint64_t *symbols, int base, int name, int stride,
		    const int *fields, int nfields, struct table_walk *t, uint64_t *off)
{
	int i;

	if (!symbols[base] || !symbols[name] || !symbols[stride] || mem_read_ptr(m, symbols[base], &t->base) ||
	    mem_read_ptr(m, symbols[name], &t->name_off) || mem_read_ptr(m, symbols[stride], &t->stride))
		return -ENOENT;
	if (!mem_valid_ptr(t->base, 8) || t->stride < 8 || t->stride > MAX_STRIDE || t->name_off > t->stride - 8)
		return -EPROTO;
	for (i = 0; i < nfields; i++)
		if (!symbols[fields[i]] || mem_read_ptr(m, symbols[fields[i]], &off[i]) || off[i] > t->stride - 8)
			return -EPROTO;
	return 0;
}

int vmstructs_read(const struct mem_reader *m, const uint64_t *symbols, struct hotspot_layout *l, char *missing,
		   size_t len)
{
	static const int struct_fields[] = {S_FIELD, S_STATIC, S_OFFSET, S_ADDRESS};
	static const int type_fields[] = {T_SIZE}, int_fields[] = {I_VALUE};
	bool found[NWANTS] = {false};
	struct table_walk t;
	uint64_t off[4];
	size_t i;
	int err;

	memset(l, 0, sizeof(*l));
	/* x86-64's and arm64's since JDK 9; JDK 23 on no longer exports it */
	l->frame_sender_sp = -1;
	snprintf(missing, len, "%s", vmstructs_symbols[STRUCTS]);
	if ((err = table_of(m, symbols, STRUCTS, S_TYPE, S_STRIDE, struct_fields, 4, &t, off)) ||
	    (err = walk(m, &t, FIELD, off, l, found)))
		return err;
	snprintf(missing, len, "%s", vmstructs_symbols[TYPES]);
	if ((err = table_of(m, symbols, TYPES, T_NAME, T_STRIDE, type_fields, 1, &t, off)) ||
	    (err = walk(m, &t, SIZE, off, l, found)))
		return err;
	snprintf(missing, len, "%s", vmstructs_symbols[INTS]);
	if ((err = table_of(m, symbols, INTS, I_NAME, I_STRIDE, int_fields, 1, &t, off)) ||
	    (err = walk(m, &t, CONSTANT, off, l, found)))
		return err;
	for (i = 0; i < NWANTS; i++) {
		/* An offset may be 0: a field this JVM lacks is -1 (a static, size or constant: 0). */
		if (!found[i] && wants[i].optional && wants[i].table == FIELD)
			*slot(l, wants[i].slot) = -1;
		if (!found[i] && !wants[i].optional) {
			snprintf(missing, len, "%s%s%s", wants[i].type, wants[i].name ? "::" : "",
				 wants[i].name ? wants[i].name : "");
			return -ENOENT;
		}
	}
	if ((l->blob_code_begin < 0 || l->blob_code_end < 0) && (l->blob_code_offset < 0 || l->blob_data_offset < 0)) {
		snprintf(missing, len, "CodeBlob::_code_begin");
		return -ENOENT;
	}
	missing[0] = 0;
	return 0;
}

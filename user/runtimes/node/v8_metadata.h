/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LOOPSTALL_V8_METADATA_H
#define LOOPSTALL_V8_METADATA_H
#include <stddef.h>
#include <stdint.h>

/*
 * V8's post-mortem metadata: the v8dbg_* constants node exports for
 * debuggers (frame slot offsets, object field offsets, instance types),
 * read from the node binary (or libnode.so) as the target maps it. The V8
 * frame reader (v8_frames.c) takes every offset from here, none from a
 * table of versions.
 */
struct v8_metadata {
	/* frame slots, from the frame pointer */
	int64_t fp_function, fp_context, fp_bytecode_array, fp_bytecode_offset;
	/* object fields */
	int64_t map_instance_type;
	int64_t jsfunction_shared;
	int64_t sfi_name_or_scope_info, sfi_script_or_debug_info;
	int64_t script_name, script_line_ends, script_source;
	int64_t string_length, seq_one_byte_chars, seq_two_byte_chars;
	int64_t cons_first, cons_second, thin_actual, sliced_parent, sliced_offset;
	int64_t fixed_array_length, fixed_array_data;
	int64_t bytecode_array_data;
	/* instance types and string tags */
	int64_t type_js_function, type_sfi, type_script, type_scope_info, type_bytecode_array, type_byte_array;
	int64_t first_nonstring_type, string_representation_mask, string_encoding_mask, one_byte_string_tag;
	int64_t seq_string_tag, cons_string_tag, sliced_string_tag, thin_string_tag;
	int64_t scopeinfo_idx_ncontextlocals, scopeinfo_idx_first_vars;
	int64_t context_idx_scope_info, context_min_slots; /* -1 when the V8 lacks them (optional) */
	int64_t smi_shift_size; /* a Smi is its value << (this + 1) */
	int64_t tagged_size;
};

/*
 * Reads the constants from the ELF file fd. 0, or -ENOENT with why in
 * missing (the first symbol it lacks: a V8 the reader does not know), or
 * another -errno.
 */
int v8_metadata_read(int fd, struct v8_metadata *md, char *missing, size_t len);

/* The constants read, as "v8dbg_NAME" and value i of v8_metadata_count() (for recordings). */
int v8_metadata_count(void);
const char *v8_metadata_name(int i);
int64_t v8_metadata_value(const struct v8_metadata *md, int i);
/* The same from a list of "name value" pairs (the unit tests' recordings). */
int v8_metadata_from_pairs(const char *const *names, const int64_t *values, int n, struct v8_metadata *md,
			   char *missing, size_t len);

#endif

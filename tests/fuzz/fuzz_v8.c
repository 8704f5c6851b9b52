// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: the V8 frame reader over hostile memory. The input is one
 * blob mapped at BLOB, the frame pointer's offset in it first (8 bytes):
 * the frame's slots and every object are read from it with node 20's
 * metadata, as if it were a node process's stack and heap.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "runtimes/node/v8_frames.h"

#define BLOB 0x10000000ULL

static const uint8_t *blob;
static size_t blob_len;

static int read_blob(void *ctx, uint64_t addr, void *buf, size_t len)
{
	(void)ctx;
	if (addr < BLOB || addr - BLOB > blob_len || len > blob_len - (addr - BLOB))
		return -EFAULT;
	memcpy(buf, blob + (addr - BLOB), len);
	return 0;
}

static void node20(struct v8_metadata *md)
{
	/* as v8_metadata_read() leaves them for /usr/bin/node v20.20.2 */
	*md = (struct v8_metadata){
		.fp_function = -16, .fp_context = -8, .fp_bytecode_array = -32, .fp_bytecode_offset = -40,
		.map_instance_type = 12, .jsfunction_shared = 24, .sfi_name_or_scope_info = 16,
		.sfi_script_or_debug_info = 32, .script_name = 16, .script_line_ends = 56,
		.script_source = 8, .string_length = 12, .seq_one_byte_chars = 16, .seq_two_byte_chars = 16,
		.cons_first = 16, .cons_second = 24, .thin_actual = 16, .sliced_parent = 16, .sliced_offset = 24,
		.fixed_array_length = 8, .fixed_array_data = 16, .bytecode_array_data = 54, .type_js_function = 2066,
		.type_sfi = 262, .type_script = 167, .type_scope_info = 261, .type_bytecode_array = 191,
		.type_byte_array = 190, .first_nonstring_type = 128, .string_representation_mask = 7,
		.string_encoding_mask = 8, .one_byte_string_tag = 8, .seq_string_tag = 0, .cons_string_tag = 1,
		.sliced_string_tag = 3, .thin_string_tag = 5, .scopeinfo_idx_ncontextlocals = 2, .scopeinfo_idx_first_vars = 3,
		.context_idx_scope_info = 0, .context_min_slots = 2, .smi_shift_size = 31, .tagged_size = 8,
	};
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct v8_lines_cache *lines;
	struct mem_reader mem = {read_blob, NULL};
	struct v8_metadata md;
	struct stall_frame out;
	uint64_t fp;

	if (size < 8)
		return 0;
	if (!lines)
		lines = v8_lines_cache_new();
	memcpy(&fp, data, 8);
	blob = data + 8;
	blob_len = size - 8;
	node20(&md);
	(void)v8_read_frame(&md, &mem, &mem, lines, BLOB + fp % (blob_len + 64), &out);
	(void)v8_read_frame(&md, &mem, &mem, NULL, BLOB + 64, &out);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the V8 frame reader (user/runtimes/node/v8_frames.c) over a
 * heap built in a buffer with node 20's metadata values (the v8dbg_*
 * constants of /usr/bin/node v20.20.2): a JavaScript frame named from its
 * SharedFunctionInfo or its ScopeInfo, its file and its line from the
 * bytecode offset, typed frames refused, and hostile memory (a string that
 * contains itself, a huge length, pointers outside the heap, a huge table).
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run_suite.h"
#include "runtimes/node/v8_frames.h"

#define HEAP_AT	  0x10000000ULL
#define HEAP_SIZE 0x10000

static uint8_t heap_bytes[HEAP_SIZE];
static uint64_t next_free;
static struct v8_metadata md;

static int read_heap(void *ctx, uint64_t addr, void *buf, size_t len)
{
	(void)ctx;
	if (addr < HEAP_AT || addr - HEAP_AT > HEAP_SIZE || len > HEAP_SIZE - (addr - HEAP_AT))
		return -EFAULT;
	memcpy(buf, heap_bytes + (addr - HEAP_AT), len);
	return 0;
}

static const struct mem_reader heap = {read_heap, NULL};

static void put64(uint64_t addr, uint64_t v)
{
	memcpy(heap_bytes + (addr - HEAP_AT), &v, 8);
}

static uint64_t smi(int64_t v)
{
	return (uint64_t)v << 32;
}

/* A new object of size bytes with map (tagged) at its start: its tagged address. */
static uint64_t object(uint64_t map, size_t size)
{
	uint64_t at = HEAP_AT + next_free;

	next_free += (size + 15) & ~15ULL;
	ck_assert_uint_lt(next_free, HEAP_SIZE);
	put64(at, map);
	return at + 1;
}

static void set(uint64_t obj, int64_t off, uint64_t v)
{
	put64(obj - 1 + (uint64_t)off, v);
}

static uint64_t map_of(int type)
{
	uint64_t m = object(0, 64);
	uint16_t t = (uint16_t)type;

	memcpy(heap_bytes + (m - 1 - HEAP_AT) + md.map_instance_type, &t, 2);
	return m;
}

static uint64_t one_byte_string(const char *s)
{
	uint64_t str = object(map_of(8), 16 + strlen(s) + 8); /* ONE_BYTE_INTERNALIZED_STRING_TYPE */
	int32_t n = (int32_t)strlen(s);

	memcpy(heap_bytes + (str - 1 - HEAP_AT) + md.string_length, &n, 4);
	memcpy(heap_bytes + (str - 1 - HEAP_AT) + md.seq_one_byte_chars, s, strlen(s));
	return str;
}

static void load_metadata(void)
{
	/* node v20.20.2's values */
	static const char *const names[] = {
		"v8dbg_off_fp_function", "v8dbg_off_fp_context", "v8dbg_off_fp_bytecode_array",
		"v8dbg_off_fp_bytecode_offset", "v8dbg_class_Map__instance_type__uint16_t",
		"v8dbg_class_JSFunction__shared__SharedFunctionInfo",
		"v8dbg_class_SharedFunctionInfo__name_or_scope_info__Object",
		"v8dbg_class_SharedFunctionInfo__script_or_debug_info__HeapObject",
		"v8dbg_class_SharedFunctionInfo__function_data__Object", "v8dbg_class_Script__name__Object",
		"v8dbg_class_Script__line_ends__Object", "v8dbg_class_Script__source__Object",
		"v8dbg_class_String__length__int32_t", "v8dbg_class_SeqOneByteString__chars__char",
		"v8dbg_class_SeqTwoByteString__chars__char", "v8dbg_class_ConsString__first__String",
		"v8dbg_class_ConsString__second__String", "v8dbg_class_ThinString__actual__String",
		"v8dbg_class_SlicedString__parent__String", "v8dbg_class_SlicedString__offset__SMI",
		"v8dbg_class_FixedArrayBase__length__SMI", "v8dbg_class_FixedArray__data__uintptr_t",
		"v8dbg_class_BytecodeArray__data__uintptr_t", "v8dbg_type_JSFunction__JS_FUNCTION_TYPE",
		"v8dbg_type_SharedFunctionInfo__SHARED_FUNCTION_INFO_TYPE", "v8dbg_type_Script__SCRIPT_TYPE",
		"v8dbg_type_ScopeInfo__SCOPE_INFO_TYPE", "v8dbg_type_BytecodeArray__BYTECODE_ARRAY_TYPE",
		"v8dbg_type_ByteArray__BYTE_ARRAY_TYPE", "v8dbg_FirstNonstringType", "v8dbg_StringRepresentationMask",
		"v8dbg_StringEncodingMask", "v8dbg_OneByteStringTag", "v8dbg_SeqStringTag", "v8dbg_ConsStringTag",
		"v8dbg_SlicedStringTag", "v8dbg_ThinStringTag", "v8dbg_scopeinfo_idx_nparams",
		"v8dbg_scopeinfo_idx_ncontextlocals", "v8dbg_scopeinfo_idx_first_vars", "v8dbg_SmiShiftSize",
		"v8dbg_TaggedSize"};
	static const int64_t values[] = {-16, -8,  -32, -40, 12,  24,  16,	32, 8, 16, 56, 8, 12, 16,
					 16,  16,  24,	16,  16,  24,  8,	16, 54, 2066, 262, 167, 261, 191,
					 190, 128, 7,	8,   8,	  0,   1,	3,  5,	1,   2,	  3,   31,  8};
	char why[96];

	ck_assert_int_eq(sizeof(names) / sizeof(names[0]), sizeof(values) / sizeof(values[0]));
	ck_assert_int_eq(v8_metadata_from_pairs(names, values, sizeof(values) / sizeof(values[0]), &md, why,
						sizeof(why)),
			 0);
	memset(heap_bytes, 0, sizeof(heap_bytes));
	next_free = 0x100;
}

/* The frame slots: a stack of its own, fp in its middle. */
static uint8_t stack_bytes[256];
#define STACK_AT 0x7ff000000000ULL
#define FP	 (STACK_AT + 128)

static int read_stack(void *ctx, uint64_t addr, void *buf, size_t len)
{
	(void)ctx;
	if (addr < STACK_AT || addr - STACK_AT > sizeof(stack_bytes) || len > sizeof(stack_bytes) - (addr - STACK_AT))
		return -EFAULT;
	memcpy(buf, stack_bytes + (addr - STACK_AT), len);
	return 0;
}

static const struct mem_reader stack = {read_stack, NULL};

static void frame_slot(int64_t off, uint64_t v)
{
	memcpy(stack_bytes + 128 + off, &v, 8);
}

struct js_function {
	uint64_t function, sfi, script, bytecode;
};

/*
 * function handler() in /app/server.js, whose lines end at 10, 20 and 30,
 * run by the interpreter at a bytecode whose source position is 25 (line 3).
 */
static struct js_function build_function(uint64_t name)
{
	struct js_function f;
	uint64_t ends = object(map_of(0x82), 16 + 3 * 8), table = object(map_of(190), 16 + 8);
	/* One entry, zigzag numbers: code offset +0 (a statement); SourcePosition (25 + 1) << 1. */
	uint8_t entry[] = {0x00, ((25 + 1) << 1) << 1};

	f.script = object(map_of(167), 128);
	set(f.script, md.script_name, one_byte_string("/app/server.js"));
	set(ends, md.fixed_array_length, smi(3));
	set(ends, md.fixed_array_data, smi(10));
	set(ends, md.fixed_array_data + 8, smi(20));
	set(ends, md.fixed_array_data + 16, smi(30));
	set(f.script, md.script_line_ends, ends);
	set(table, md.fixed_array_length, smi(2));
	memcpy(heap_bytes + (table - 1 - HEAP_AT) + md.fixed_array_data, entry, sizeof(entry));
	f.bytecode = object(map_of(191), 128);
	set(f.bytecode, md.fixed_array_length + 3 * md.tagged_size, table);
	f.sfi = object(map_of(262), 64);
	set(f.sfi, md.sfi_name_or_scope_info, name);
	set(f.sfi, md.sfi_script_or_debug_info, f.script);
	f.function = object(map_of(2066), 64);
	set(f.function, md.jsfunction_shared, f.sfi);
	memset(stack_bytes, 0, sizeof(stack_bytes));
	frame_slot(md.fp_context, object(map_of(206), 32)); /* a context: a heap object, no marker */
	frame_slot(md.fp_function, f.function);
	frame_slot(md.fp_bytecode_array, f.bytecode);
	frame_slot(md.fp_bytecode_offset, smi(md.bytecode_array_data - 1)); /* bytecode 0 */
	return f;
}

START_TEST(interpreted_frame_has_its_function_file_and_line)
{
	struct stall_frame out;

	load_metadata();
	build_function(one_byte_string("handler"));
	ck_assert_int_eq(v8_read_frame(&md, &stack, &heap, NULL, FP, &out), 0);
	ck_assert_int_eq(out.kind, FRAME_JS);
	ck_assert_str_eq(out.function, "handler");
	ck_assert_str_eq(out.file, "/app/server.js");
	ck_assert_int_eq(out.line, 3);
}
END_TEST

/* A compiled function's name is in its ScopeInfo: no locals, a function variable, an inferred name. */
START_TEST(compiled_function_named_from_its_scope_info)
{
	struct stall_frame out;
	uint64_t si;

	load_metadata();
	si = object(map_of(261), 128);
	set(si, 8, smi((3 << 12) | (1 << 14))); /* flags: a function variable, an inferred name */
	set(si, 16, smi(0));
	set(si, 24, smi(0)); /* context locals */
	set(si, 32, one_byte_string("readFifoSlowly"));
	set(si, 40, smi(-1));
	set(si, 48, one_byte_string("ignored"));
	set(si, 56, smi(11)); /* starts at 11: line 2 */
	set(si, 64, smi(19));
	build_function(si);
	frame_slot(md.fp_bytecode_array, smi(0)); /* compiled code: no bytecode in the frame */
	ck_assert_int_eq(v8_read_frame(&md, &stack, &heap, NULL, FP, &out), 0);
	ck_assert_str_eq(out.function, "readFifoSlowly");
	ck_assert_int_eq(out.line, 2);
}
END_TEST

START_TEST(typed_frames_and_other_objects_are_no_js_frames)
{
	struct stall_frame out;
	struct js_function f;

	load_metadata();
	f = build_function(one_byte_string("handler"));
	frame_slot(md.fp_context, 3 << 1); /* an exit frame's marker */
	ck_assert_int_eq(v8_read_frame(&md, &stack, &heap, NULL, FP, &out), -ENOENT);
	f = build_function(one_byte_string("handler"));
	frame_slot(md.fp_function, f.sfi); /* not a function */
	ck_assert_int_eq(v8_read_frame(&md, &stack, &heap, NULL, FP, &out), -ENOENT);
	frame_slot(md.fp_function, 0x7f0000000001ULL); /* outside the heap */
	ck_assert_int_eq(v8_read_frame(&md, &stack, &heap, NULL, FP, &out), -ENOENT);
	ck_assert_int_eq(v8_read_frame(&md, &stack, &heap, NULL, 0x1000, &out), -EFAULT); /* no stack there */
}
END_TEST

START_TEST(hostile_memory_gives_no_name_and_no_crash)
{
	struct stall_frame out;
	struct js_function f;
	uint64_t cons, huge, ends;
	int32_t n = 0x7fffffff;

	load_metadata();
	/* a cons string that is its own first half */
	cons = object(map_of(41), 32);
	memcpy(heap_bytes + (cons - 1 - HEAP_AT) + md.string_length, &n, 4);
	set(cons, md.cons_first, cons);
	set(cons, md.cons_second, cons);
	f = build_function(cons);
	ck_assert_int_eq(v8_read_frame(&md, &stack, &heap, NULL, FP, &out), 0);
	ck_assert_str_eq(out.function, "(anonymous)");
	/* a sequential string of 2 GiB whose characters run off the heap */
	huge = HEAP_AT + HEAP_SIZE - 24 + 1;
	put64(huge - 1, map_of(8));
	memcpy(heap_bytes + (huge - 1 - HEAP_AT) + md.string_length, &n, 4);
	set(f.sfi, md.sfi_name_or_scope_info, huge);
	ck_assert_int_eq(v8_read_frame(&md, &stack, &heap, NULL, FP, &out), 0);
	ck_assert_uint_lt(strlen(out.function), sizeof(out.function));
	/* line ends claiming 2^31 entries, and no source to count: no line, no long search */
	set(f.sfi, md.sfi_name_or_scope_info, one_byte_string("handler"));
	ends = object(map_of(0x82), 16);
	set(ends, md.fixed_array_length, smi(0x7fffffff));
	set(f.script, md.script_line_ends, ends);
	ck_assert_int_eq(v8_read_frame(&md, &stack, &heap, NULL, FP, &out), 0);
	ck_assert_str_eq(out.function, "handler");
	ck_assert_int_eq(out.line, 0);
	/* a source position table of 2^31 bytes is not read */
	set(f.script, md.script_line_ends, smi(0));
	set(f.bytecode, md.fixed_array_length + 3 * md.tagged_size, ends);
	ck_assert_int_eq(v8_read_frame(&md, &stack, &heap, NULL, FP, &out), 0);
	ck_assert_int_eq(out.line, 0);
}
END_TEST

START_TEST(metadata_missing_a_symbol_says_which)
{
	static const char *const names[] = {"v8dbg_off_fp_context"};
	static const int64_t values[] = {-8};
	struct v8_metadata m;
	char why[96];

	ck_assert_int_eq(v8_metadata_from_pairs(names, values, 1, &m, why, sizeof(why)), -ENOENT);
	ck_assert_str_eq(why, "its V8 metadata lacks v8dbg_off_fp_function");
}
END_TEST

/* ---- a recorded node (tests/fixtures/v8/, see its README) ---- */

#define FIXTURE "tests/fixtures/v8/node20_fifo"

struct recorded {
	struct v8_metadata md;
	uint32_t nfp, nseg;
	uint64_t fps[64];
	struct {
		uint64_t addr;
		uint32_t len;
		uint8_t *bytes;
	} seg[8192];
	char expected[64][512];
};

static int read_recorded(void *ctx, uint64_t addr, void *buf, size_t len)
{
	const struct recorded *r = ctx;
	uint32_t i;

	for (i = 0; i < r->nseg; i++)
		if (addr >= r->seg[i].addr && addr - r->seg[i].addr <= r->seg[i].len &&
		    len <= r->seg[i].len - (addr - r->seg[i].addr)) {
			memcpy(buf, r->seg[i].bytes + (addr - r->seg[i].addr), len);
			return 0;
		}
	return -EFAULT;
}

static struct recorded *load_recording(void)
{
	static const char *names[64];
	static char name_store[64][96];
	int64_t values[64];
	struct recorded *r = calloc(1, sizeof(*r));
	char magic[8], why[96], line[512];
	uint32_t nmeta, i;
	FILE *f = fopen(FIXTURE ".bin", "rb"), *e = fopen(FIXTURE ".expected", "r");

	ck_assert_msg(f && e && r, "cannot open " FIXTURE " (run tests from the repo root)");
	ck_assert_int_eq(fread(magic, 1, 8, f), 8);
	ck_assert(!memcmp(magic, "LSV8FIX1", 8));
	ck_assert_int_eq(fread(&nmeta, 4, 1, f), 1);
	ck_assert_uint_le(nmeta, 64);
	for (i = 0; i < nmeta; i++) {
		ck_assert_int_eq(fread(name_store[i], 1, 96, f), 96);
		name_store[i][95] = 0;
		names[i] = name_store[i];
		ck_assert_int_eq(fread(&values[i], 8, 1, f), 1);
	}
	ck_assert_msg(v8_metadata_from_pairs(names, values, (int)nmeta, &r->md, why, sizeof(why)) == 0, "%s", why);
	ck_assert_int_eq(fread(&r->nfp, 4, 1, f), 1);
	ck_assert_uint_le(r->nfp, 64);
	ck_assert_int_eq(fread(r->fps, 8, r->nfp, f), r->nfp);
	ck_assert_int_eq(fread(&r->nseg, 4, 1, f), 1);
	ck_assert_uint_le(r->nseg, 8192);
	for (i = 0; i < r->nseg; i++) {
		ck_assert_int_eq(fread(&r->seg[i].addr, 8, 1, f), 1);
		ck_assert_int_eq(fread(&r->seg[i].len, 4, 1, f), 1);
		ck_assert_uint_lt(r->seg[i].len, 1 << 24);
		r->seg[i].bytes = malloc(r->seg[i].len ? r->seg[i].len : 1);
		ck_assert_int_eq(fread(r->seg[i].bytes, 1, r->seg[i].len, f), r->seg[i].len);
	}
	for (i = 0; i < r->nfp && fgets(line, sizeof(line), e); i++) {
		line[strcspn(line, "\n")] = 0;
		snprintf(r->expected[i], sizeof(r->expected[i]), "%s", line);
	}
	ck_assert_uint_eq(i, r->nfp);
	fclose(f);
	fclose(e);
	return r;
}

static void free_recording(struct recorded *r)
{
	for (uint32_t i = 0; i < r->nseg; i++)
		free(r->seg[i].bytes);
	free(r);
}

/* What fp decodes to in the recording, as the .expected file writes it. */
static void decode(struct recorded *r, uint64_t fp, char *buf, size_t len)
{
	struct mem_reader m = {read_recorded, r};
	struct v8_lines_cache *lines = v8_lines_cache_new();
	struct stall_frame out;
	int err = fp ? v8_read_frame(&r->md, &m, &m, lines, fp, &out) : -ENOENT;

	v8_lines_cache_free(lines);
	if (!err)
		snprintf(buf, len, "%s\t%s\t%d", out.function, out.file, out.line);
	else
		snprintf(buf, len, "-");
}

START_TEST(recorded_node_decodes_as_it_did_live)
{
	struct recorded *r = load_recording();
	char got[512];
	bool fifo = false, library = false;
	uint32_t i;

	for (i = 0; i < r->nfp; i++) {
		decode(r, r->fps[i], got, sizeof(got));
		ck_assert_str_eq(got, r->expected[i]);
		/* checked by hand against tests/e2e/apps/node_server.js and node's fs.js */
		fifo |= strstr(got, "readFifoSlowly\t") && strstr(got, "/node_server.js\t20");
		library |= !strncmp(got, "readFileSync\tnode:fs\t", 21);
	}
	ck_assert_msg(fifo && library, "readFifoSlowly at node_server.js:20 and node:fs readFileSync expected");
	free_recording(r);
}
END_TEST

/* The recording with its bytes disturbed: whatever decodes is bounded, nothing crashes. */
START_TEST(recorded_node_disturbed)
{
	struct recorded *r = load_recording();
	char got[512];
	uint32_t i, j, round;

	for (round = 1; round < 8; round++) {
		for (i = 0; i < r->nseg; i++)
			for (j = round; j < r->seg[i].len; j += 5 + round)
				r->seg[i].bytes[j] ^= (uint8_t)(0x5a + round);
		for (i = 0; i < r->nfp; i++) {
			decode(r, r->fps[i], got, sizeof(got));
			ck_assert_uint_lt(strlen(got), sizeof(got));
		}
	}
	free_recording(r);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {interpreted_frame_has_its_function_file_and_line,
				compiled_function_named_from_its_scope_info,
				typed_frames_and_other_objects_are_no_js_frames,
				hostile_memory_gives_no_name_and_no_crash,
				metadata_missing_a_symbol_says_which,
				recorded_node_decodes_as_it_did_live,
				recorded_node_disturbed};

	return run_tests("v8_frames", tests, sizeof(tests) / sizeof(tests[0]));
}

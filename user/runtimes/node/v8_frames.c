// SPDX-License-Identifier: GPL-2.0
/* V8's JavaScript frames, read from another process's memory (see v8_frames.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "runtimes/node/js_api.h"
#include "runtimes/node/v8_frames.h"

#define MAX_STRING_DEPTH 8		/* cons and sliced strings followed */
#define MAX_SOURCE	 (8u << 20)	/* bytes of a script read to count its lines */
#define MAX_SPT		 (256u << 10)	/* bytes of a source position table read */
#define MAX_SPT_VALUE	 (1LL << 48)	/* a SourcePosition has 47 bits */
#define LINES_SLOTS	 8		/* scripts whose lines are kept */
#define BYTECODE_SPT_AT(md) ((md)->fixed_array_length + 3 * (md)->tagged_size) /* after constant pool, handlers */

struct script_lines {
	uint64_t script; /* the Script object; 0: empty */
	uint64_t source; /* its source string then: a new source is new lines */
	uint32_t n;
	uint32_t *ends; /* position of each '\n' */
	uint64_t last_use;
};

struct v8_lines_cache {
	struct script_lines slots[LINES_SLOTS];
	uint64_t clock;
};

struct v8_lines_cache *v8_lines_cache_new(void)
{
	return calloc(1, sizeof(struct v8_lines_cache));
}

void v8_lines_cache_free(struct v8_lines_cache *c)
{
	int i;

	if (!c)
		return;
	for (i = 0; i < LINES_SLOTS; i++)
		free(c->slots[i].ends);
	free(c);
}

/* ---- objects ---------------------------------------------------------- */

static bool is_heap_object(uint64_t v)
{
	return (v & 3) == 1 && mem_valid_ptr(v - 1, 8);
}

static bool is_smi(uint64_t v)
{
	return (v & 1) == 0;
}

static int64_t smi_value(const struct v8_metadata *md, uint64_t v)
{
	return (int64_t)v >> (md->smi_shift_size + 1); /* past the one tag bit */
}

/* The tagged field at off of the heap object obj. */
static int field(const struct mem_reader *heap, uint64_t obj, int64_t off, uint64_t *out)
{
	if (!is_heap_object(obj) || off < 0)
		return -EFAULT;
	return mem_read_ptr(heap, obj - 1 + (uint64_t)off, out);
}

/* obj's instance type, -1 when obj is no readable heap object. */
static int instance_type(const struct v8_metadata *md, const struct mem_reader *heap, uint64_t obj)
{
	uint64_t map;
	uint16_t type;

	if (field(heap, obj, 0, &map) || !is_heap_object(map) ||
	    mem_read(heap, map - 1 + (uint64_t)md->map_instance_type, &type, sizeof(type)))
		return -1;
	return type;
}

/* A slot of the frame at fp. */
static int slot(const struct mem_reader *stack, uint64_t fp, int64_t off, uint64_t *out)
{
	if (off < -4096 || off > 4096 || fp < 4096)
		return -EFAULT;
	return mem_read_ptr(stack, fp + (uint64_t)off, out);
}

/* ---- strings ---------------------------------------------------------- */

struct text {
	char *buf;
	size_t len, used; /* used < len: room for the NUL */
};

static void put_char(struct text *t, unsigned int c)
{
	if (t->used + 1 < t->len)
		t->buf[t->used++] = c < 0x20 || c > 0x7e ? '?' : (char)c; /* raw bytes stay out: ASCII only */
	t->buf[t->used] = 0;
}

/* Characters [from, from + count) of the string str, appended to t. */
static int append_string(const struct v8_metadata *md, const struct mem_reader *heap, uint64_t str, int64_t from,
			 int64_t count, struct text *t, int depth)
{
	int type = instance_type(md, heap, str), repr;
	int32_t length;
	uint64_t a, b, off;

	if (type < 0 || type >= md->first_nonstring_type || depth > MAX_STRING_DEPTH)
		return -EFAULT;
	if (mem_read(heap, str - 1 + (uint64_t)md->string_length, &length, sizeof(length)) || length < 0)
		return -EFAULT;
	if (count < 0 || from + count > length)
		count = length - from;
	if (count <= 0)
		return 0;
	repr = type & md->string_representation_mask;
	if (repr == md->seq_string_tag) { /* sequential: the characters follow */
		if (t->used + 1 >= t->len)
			return 0;
		if (count > (int64_t)(t->len - t->used))
			count = (int64_t)(t->len - t->used);
		if ((type & md->string_encoding_mask) == md->one_byte_string_tag) {
			uint8_t chars[256];
			int64_t i;

			if (count > (int64_t)sizeof(chars))
				count = sizeof(chars);
			if (mem_read(heap, str - 1 + (uint64_t)md->seq_one_byte_chars + (uint64_t)from, chars,
				     (size_t)count))
				return -EFAULT;
			for (i = 0; i < count; i++)
				put_char(t, chars[i]);
		} else {
			uint16_t chars[256];
			int64_t i;

			if (count > (int64_t)(sizeof(chars) / 2))
				count = sizeof(chars) / 2;
			if (mem_read(heap, str - 1 + (uint64_t)md->seq_two_byte_chars + 2 * (uint64_t)from, chars,
				     2 * (size_t)count))
				return -EFAULT;
			for (i = 0; i < count; i++)
				put_char(t, chars[i]);
		}
		return 0;
	}
	if (repr == md->cons_string_tag) { /* first, then second */
		if (field(heap, str, md->cons_first, &a) || field(heap, str, md->cons_second, &b))
			return -EFAULT;
		{
			int32_t first_len;

			if (mem_read(heap, a - 1 + (uint64_t)md->string_length, &first_len, sizeof(first_len)) ||
			    first_len < 0)
				return -EFAULT;
			if (from < first_len && append_string(md, heap, a, from, count, t, depth + 1))
				return -EFAULT;
			if (from + count > first_len)
				return append_string(md, heap, b, from > first_len ? from - first_len : 0,
						     from + count - (from > first_len ? from : first_len), t,
						     depth + 1);
		}
		return 0;
	}
	if (repr == md->sliced_string_tag) { /* a part of its parent */
		if (field(heap, str, md->sliced_parent, &a) || field(heap, str, md->sliced_offset, &off) ||
		    !is_smi(off))
			return -EFAULT;
		return append_string(md, heap, a, smi_value(md, off) + from, count, t, depth + 1);
	}
	if (repr == md->thin_string_tag) { /* the internalized copy */
		if (field(heap, str, md->thin_actual, &a))
			return -EFAULT;
		return append_string(md, heap, a, from, count, t, depth + 1);
	}
	return -EFAULT; /* external: its characters are the embedder's, behind a C++ object */
}

static int read_string(const struct v8_metadata *md, const struct mem_reader *heap, uint64_t str, char *buf,
		       size_t len)
{
	struct text t = {buf, len, 0};

	buf[0] = 0;
	return append_string(md, heap, str, 0, -1, &t, 0);
}

/* ---- names ------------------------------------------------------------ */

/*
 * A compiled function's SharedFunctionInfo points at its ScopeInfo, which
 * keeps the name and where the function starts. Its slots (after the map):
 * flags, parameter count, context local count (the metadata's indexes),
 * the locals' names (one hash table slot past 75 of them) and infos, then
 * what the flags say is there: a saved class variable, the function
 * variable (its name, its slot), the inferred name ("a.b" for `a.b =
 * function () {}`), the start and end positions. The flag bits are V8 11's
 * (ScopeFlags in scope-info.tq); every slot is type-checked before use.
 */
#define SCOPE_SAVED_CLASS_VARIABLE (1u << 10)
#define SCOPE_FUNCTION_VARIABLE	   (3u << 12) /* its allocation: none when 0 */
#define SCOPE_INFERRED_NAME	   (1u << 14)
#define SCOPE_MAX_INLINE_LOCALS	   75

struct scope_facts {
	uint64_t name, inferred; /* strings, 0 when absent */
	int64_t start;		 /* the function's first character in its script, -1 when unknown */
};

static uint64_t scope_slot_addr(const struct v8_metadata *md, int64_t idx)
{
	return (uint64_t)(md->tagged_size * (idx + 1));
}

static bool is_string(const struct v8_metadata *md, const struct mem_reader *heap, uint64_t v)
{
	int type = is_heap_object(v) ? instance_type(md, heap, v) : -1;

	return type >= 0 && type < md->first_nonstring_type;
}

static void read_scope_info(const struct v8_metadata *md, const struct mem_reader *heap, uint64_t si,
			    struct scope_facts *f)
{
	uint64_t flags_v, count_v, v, start, end;
	uint32_t flags;
	int64_t n, idx;

	f->name = f->inferred = 0;
	f->start = -1;
	if (field(heap, si, scope_slot_addr(md, 0), &flags_v) || !is_smi(flags_v) ||
	    field(heap, si, scope_slot_addr(md, md->scopeinfo_idx_ncontextlocals), &count_v) || !is_smi(count_v))
		return;
	flags = (uint32_t)smi_value(md, flags_v);
	n = smi_value(md, count_v);
	if (n < 0 || n > (1 << 20))
		return;
	idx = md->scopeinfo_idx_first_vars + (n > SCOPE_MAX_INLINE_LOCALS ? 1 : n) + n;
	if (flags & SCOPE_SAVED_CLASS_VARIABLE)
		idx++;
	if (flags & SCOPE_FUNCTION_VARIABLE) {
		if (!field(heap, si, scope_slot_addr(md, idx), &v) && is_string(md, heap, v))
			f->name = v;
		idx += 2;
	}
	if (flags & SCOPE_INFERRED_NAME) {
		if (!field(heap, si, scope_slot_addr(md, idx), &v) && is_string(md, heap, v))
			f->inferred = v;
		idx++;
	}
	if (!field(heap, si, scope_slot_addr(md, idx), &start) && !field(heap, si, scope_slot_addr(md, idx + 1), &end) &&
	    is_smi(start) && is_smi(end) && smi_value(md, start) >= 0 && smi_value(md, start) <= smi_value(md, end))
		f->start = smi_value(md, start);
}

/* The function's name (its inferred one when it has none), and where it starts. */
static void function_facts(const struct v8_metadata *md, const struct mem_reader *heap, uint64_t sfi, char *buf,
			   size_t len, int64_t *start)
{
	struct scope_facts f = {0, 0, -1};
	uint64_t v;

	buf[0] = 0;
	*start = -1;
	if (field(heap, sfi, md->sfi_name_or_scope_info, &v) || !is_heap_object(v))
		return; /* Smi 0: no name */
	if (is_string(md, heap, v))
		f.name = v;
	else if (instance_type(md, heap, v) == md->type_scope_info)
		read_scope_info(md, heap, v, &f);
	if (f.name)
		read_string(md, heap, f.name, buf, len);
	if (!buf[0] && f.inferred)
		read_string(md, heap, f.inferred, buf, len);
	*start = f.start;
}

/*
 * Whether obj is a JSFunction, or one of its kinds next to it in the type
 * list (class constructors, ...: their range has no metadata): what makes
 * it a function is the SharedFunctionInfo it points at, *sfi.
 */
static bool is_function(const struct v8_metadata *md, const struct mem_reader *heap, uint64_t obj, uint64_t *sfi)
{
	int type = instance_type(md, heap, obj);

	return type >= md->type_js_function - 16 && type <= md->type_js_function + 16 &&
	       !field(heap, obj, md->jsfunction_shared, sfi) && instance_type(md, heap, *sfi) == md->type_sfi;
}

/*
 * The value of the local named name that a closure's context (its frame's)
 * holds, 0 if none: the context's ScopeInfo lists its locals' names (inline
 * up to SCOPE_MAX_INLINE_LOCALS), slot min_slots + i holds local i.
 */
static uint64_t context_local(const struct v8_metadata *md, const struct mem_reader *heap, uint64_t context,
			      const char *name)
{
	uint64_t si, count_v, v;
	char local[64];
	int64_t n, i;

	if (md->context_min_slots < 0 || md->context_idx_scope_info < 0 ||
	    field(heap, context, md->fixed_array_data + md->context_idx_scope_info * md->tagged_size, &si) ||
	    !is_heap_object(si) || instance_type(md, heap, si) != md->type_scope_info ||
	    field(heap, si, scope_slot_addr(md, md->scopeinfo_idx_ncontextlocals), &count_v) || !is_smi(count_v))
		return 0;
	n = smi_value(md, count_v);
	if (n > SCOPE_MAX_INLINE_LOCALS)
		return 0; /* the names are in a hash table then */
	for (i = 0; i < n; i++) {
		if (field(heap, si, scope_slot_addr(md, md->scopeinfo_idx_first_vars + i), &v) || !is_string(md, heap, v) ||
		    read_string(md, heap, v, local, sizeof(local)) < 0 || strcmp(local, name) != 0)
			continue;
		if (field(heap, context, md->fixed_array_data + (md->context_min_slots + i) * md->tagged_size, &v))
			return 0;
		return is_heap_object(v) ? v : 0;
	}
	return 0;
}

/* A function a factory made for one API, renamed by what its closure holds (a JSFunction: its name). */
static void name_closure(const struct v8_metadata *md, const struct mem_reader *heap, uint64_t context,
			 struct stall_frame *out)
{
	const char *local = js_api_closure_local(out->file, out->function);
	uint64_t value, sfi;
	char cls[64];
	int64_t start;

	if (!local || !(value = context_local(md, heap, context, local)) || !is_function(md, heap, value, &sfi))
		return;
	function_facts(md, heap, sfi, cls, sizeof(cls), &start);
	js_api_name_closure(out->file, cls, out->function, sizeof(out->function));
}

/* ---- lines ------------------------------------------------------------ */

/* The script's line_ends when V8 has them: the line (1-based) of pos, 0 if not. */
static int line_from_line_ends(const struct v8_metadata *md, const struct mem_reader *heap, uint64_t script,
			       int64_t pos)
{
	uint64_t ends, length, v;
	int64_t lo = 0, hi, n;

	if (field(heap, script, md->script_line_ends, &ends) || !is_heap_object(ends) ||
	    field(heap, ends, md->fixed_array_length, &length) || !is_smi(length))
		return 0;
	n = smi_value(md, length);
	if (n <= 0 || n > (1 << 24))
		return 0;
	/* the first line whose end is at or past pos */
	hi = n;
	while (lo < hi) {
		int64_t mid = lo + (hi - lo) / 2;

		if (field(heap, ends, md->fixed_array_data + mid * md->tagged_size, &v) || !is_smi(v))
			return 0;
		if (smi_value(md, v) < pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (int)lo + 1;
}

/* Reads the source's newlines into l (a sequential one-byte or two-byte string only). */
static int count_lines(const struct v8_metadata *md, const struct mem_reader *heap, uint64_t source,
		       struct script_lines *l)
{
	int type = instance_type(md, heap, source);
	bool one_byte = (type & md->string_encoding_mask) == md->one_byte_string_tag;
	uint64_t chars = source - 1 + (uint64_t)(one_byte ? md->seq_one_byte_chars : md->seq_two_byte_chars);
	uint32_t cap = 0, i;
	uint8_t chunk[4096];
	int32_t length;
	size_t width = one_byte ? 1 : 2, done;

	if (type < 0 || type >= md->first_nonstring_type || (type & md->string_representation_mask) != 0 ||
	    mem_read(heap, source - 1 + (uint64_t)md->string_length, &length, sizeof(length)) || length < 0 ||
	    (uint64_t)length * width > MAX_SOURCE)
		return -EFAULT;
	l->n = 0;
	for (done = 0; done < (size_t)length * width; done += sizeof(chunk)) {
		size_t take = (size_t)length * width - done;

		if (take > sizeof(chunk))
			take = sizeof(chunk);
		if (mem_read(heap, chars + done, chunk, take))
			return -EFAULT;
		for (i = 0; i + width <= take; i += width) {
			if (chunk[i] != '\n' || (width == 2 && chunk[i + 1]))
				continue;
			if (l->n == cap) {
				uint32_t *more = realloc(l->ends, (cap ? cap * 2 : 256) * sizeof(*more));

				if (!more)
					return -ENOMEM;
				l->ends = more;
				cap = cap ? cap * 2 : 256;
			}
			l->ends[l->n++] = (uint32_t)((done + i) / width);
		}
	}
	return 0;
}

/* Without line_ends (V8 makes them lazily): the source's own newlines, counted once per script. */
static int line_from_source(const struct v8_metadata *md, const struct mem_reader *heap,
			    struct v8_lines_cache *c, uint64_t script, int64_t pos)
{
	struct script_lines *l = NULL;
	uint64_t source;
	uint32_t lo = 0, hi;
	int i;

	if (!c || field(heap, script, md->script_source, &source))
		return 0;
	for (i = 0; i < LINES_SLOTS; i++)
		if (c->slots[i].script == script && c->slots[i].source == source)
			l = &c->slots[i];
	if (!l) {
		l = &c->slots[0];
		for (i = 1; i < LINES_SLOTS; i++)
			if (c->slots[i].last_use < l->last_use)
				l = &c->slots[i];
		l->script = 0;
		if (count_lines(md, heap, source, l))
			return 0;
		l->script = script;
		l->source = source;
	}
	l->last_use = ++c->clock;
	hi = l->n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if ((int64_t)l->ends[mid] < pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (int)lo + 1;
}

static int line_of(const struct v8_metadata *md, const struct mem_reader *heap, struct v8_lines_cache *c,
		   uint64_t script, int64_t pos)
{
	int line = line_from_line_ends(md, heap, script, pos);

	return line ? line : line_from_source(md, heap, c, script, pos);
}

/* One base-128 number of a source position table, zigzag-decoded. */
static bool read_vlq(const uint8_t *p, size_t n, size_t *at, int64_t *out)
{
	uint64_t v = 0;
	int shift = 0;
	uint8_t b;

	do {
		if (*at >= n || shift > 63)
			return false;
		b = p[(*at)++];
		v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
	} while (b & 0x80);
	*out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
	return true;
}

/*
 * The script offset of the bytecode at offset, from the bytecode array's
 * source position table: entries of (code offset delta, its sign telling
 * statements from expressions; source position delta), the last entry at
 * or before offset wins. -1 when unknown.
 */
static int64_t bytecode_position(const struct v8_metadata *md, const struct mem_reader *heap, uint64_t bytecode,
				 int64_t offset)
{
	uint64_t table, length;
	int64_t code = -1, position = 0, best = -1, delta, n; /* V8 starts at the function's entry, -1 */
	uint8_t *bytes;
	size_t at = 0;

	if (field(heap, bytecode, BYTECODE_SPT_AT(md), &table) || instance_type(md, heap, table) != md->type_byte_array ||
	    field(heap, table, md->fixed_array_length, &length) || !is_smi(length))
		return -1;
	n = smi_value(md, length);
	if (n <= 0 || n > MAX_SPT)
		return -1;
	bytes = malloc((size_t)n);
	if (!bytes || mem_read(heap, table - 1 + (uint64_t)md->fixed_array_data, bytes, (size_t)n)) {
		free(bytes);
		return -1;
	}
	while (at < (size_t)n) {
		/* Values beyond any real table end the walk: no sum can overflow. */
		if (!read_vlq(bytes, (size_t)n, &at, &delta) || delta > MAX_SPT_VALUE || delta < -MAX_SPT_VALUE)
			break;
		code += delta >= 0 ? delta : -(delta + 1);
		if (!read_vlq(bytes, (size_t)n, &at, &delta) || delta > MAX_SPT_VALUE || delta < -MAX_SPT_VALUE)
			break;
		position += delta;
		if (code > offset || code > MAX_SPT_VALUE || position > MAX_SPT_VALUE || position < -MAX_SPT_VALUE)
			break;
		best = position;
	}
	free(bytes);
	/* A SourcePosition: bit 0 external, then the script offset + 1 in 30 bits. */
	if (best < 0 || (best & 1))
		return -1;
	return ((best >> 1) & ((1 << 30) - 1)) - 1;
}

/* ---- frames ----------------------------------------------------------- */

int v8_read_frame(const struct v8_metadata *md, const struct mem_reader *stack, const struct mem_reader *heap,
		  struct v8_lines_cache *lines, uint64_t fp, struct stall_frame *out)
{
	uint64_t marker, function, sfi, script, bytecode, offset;
	int64_t start;

	/* A typed frame (entry, exit, stub) has a Smi-like marker where a JS frame keeps its context. */
	if (slot(stack, fp, md->fp_context, &marker) || slot(stack, fp, md->fp_function, &function))
		return -EFAULT;
	if (is_smi(marker) || !is_heap_object(function) || !is_function(md, heap, function, &sfi))
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	out->kind = FRAME_JS;
	function_facts(md, heap, sfi, out->function, sizeof(out->function), &start);
	if (!out->function[0])
		strcpy(out->function, "(anonymous)");
	if (field(heap, sfi, md->sfi_script_or_debug_info, &script) || instance_type(md, heap, script) != md->type_script) {
		js_api_qualify_builtin(out->function, sizeof(out->function)); /* no script: a builtin */
		return 0;
	}
	{
		uint64_t name;

		if (!field(heap, script, md->script_name, &name))
			read_string(md, heap, name, out->file, sizeof(out->file));
	}
	js_api_qualify_static(out->file, out->function, sizeof(out->function));
	name_closure(md, heap, marker, out);
	/* Run by the interpreter: the frame says which bytecode. */
	if (!slot(stack, fp, md->fp_bytecode_array, &bytecode) && !slot(stack, fp, md->fp_bytecode_offset, &offset) &&
	    is_smi(offset) && instance_type(md, heap, bytecode) == md->type_bytecode_array) {
		/* kept from the array's tagged address: past its header, less the tag */
		int64_t at = smi_value(md, offset) - (md->bytecode_array_data - 1);
		int64_t pos = at >= 0 ? bytecode_position(md, heap, bytecode, at) : -1;

		if (pos >= 0)
			out->line = line_of(md, heap, lines, script, pos);
	}
	/* Compiled code keeps no bytecode offset in its frame: the line the function starts at. */
	if (!out->line && start >= 0)
		out->line = line_of(md, heap, lines, script, start);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "runtimes/jvm/java_frames.h"

#define MAX_THREADS	 8192 /* of a ThreadsList looked through */
#define MAX_SEGMENT_HOPS 4096 /* back through a code heap's segment map to a blob's start */
#define MAX_FRAME_WORDS	 65536
#define FREE_SEGMENT	 0xff /* CodeHeap::free_sentinel */
#define LINE_TABLE_MAX	 512
#define BLOB_NAME_MAX	 24
#define MONITORENTER	 0xc2 /* the bytecode */
#define MAX_PC_DESCS	 (1 << 20)
#define MAX_INLINED	 32
#define MAX_STUBS	 16 /* frames of the VM's stubs in one walk */
#define FIRST_STREAMS_JDK 9
#define LAST_STREAMS_JDK  19
#define SCOPE_BYTES	 15 /* three compressed ints */

static int read_u64(const struct mem_reader *m, uint64_t addr, uint64_t *v)
{
	return mem_read(m, addr, v, sizeof(*v));
}

static int read_u16(const struct mem_reader *m, uint64_t addr, uint16_t *v)
{
	return mem_read(m, addr, v, sizeof(*v));
}

static int read_i32(const struct mem_reader *m, uint64_t addr, int32_t *v)
{
	return mem_read(m, addr, v, sizeof(*v));
}

int java_vm_open(struct java_vm *vm, const struct mem_reader *m)
{
	const struct hotspot_layout *l = &vm->l;
	uint64_t array, data, heap;
	int32_t len, i, major;

	vm->nheaps = 0;
	vm->major = 0;
	memset(vm->threads, 0, sizeof(vm->threads));
	if (l->vm_major && read_i32(m, l->vm_major, &major) == 0 && major > 0 && major < 1000)
		vm->major = major;
	/*
	 * Line tables and debug information are decoded as JDK 9 to 19 write
	 * them (CompressedReadStream's 6-bit bytes); JDK 20 on encode them
	 * otherwise: those are left unread rather than misread.
	 */
	if (vm->major < FIRST_STREAMS_JDK || vm->major > LAST_STREAMS_JDK)
		vm->l.has_line_numbers = 0;
	if (read_u64(m, l->code_heaps, &array) || !mem_valid_ptr(array, 8) || read_i32(m, array + l->array_len, &len) ||
	    read_u64(m, array + l->array_data, &data) || !mem_valid_ptr(data, 8))
		return -EFAULT;
	for (i = 0; i < len && vm->nheaps < JAVA_MAX_CODE_HEAPS; i++) {
		uint64_t space, segmap;
		int32_t log2;
		typeof(vm->heaps[0]) *h = &vm->heaps[vm->nheaps];

		if (read_u64(m, data + 8 * i, &heap) || !mem_valid_ptr(heap, 8))
			return -EFAULT;
		space = heap + l->heap_memory;
		segmap = heap + l->heap_segmap;
		if (read_u64(m, space + l->space_low_boundary, &h->low) ||
		    read_u64(m, space + l->space_high_boundary, &h->high) ||
		    read_u64(m, segmap + l->space_low, &h->segmap) || read_i32(m, heap + l->heap_log2_segment, &log2))
			return -EFAULT;
		if (h->low >= h->high || !mem_valid_ptr(h->segmap, 1) || log2 < 4 || log2 > 16)
			return -EPROTO;
		h->log2_segment = log2;
		vm->nheaps++;
	}
	return vm->nheaps ? 0 : -ENOENT;
}

/* Where a blob's instructions begin and end. */
static int code_bounds(const struct hotspot_layout *l, const struct mem_reader *m, uint64_t blob, uint64_t *begin,
		       uint64_t *end)
{
	int32_t code, data;

	if (l->blob_code_begin >= 0)
		return read_u64(m, blob + l->blob_code_begin, begin) || read_u64(m, blob + l->blob_code_end, end)
			       ? -EFAULT
			       : 0;
	if (read_i32(m, blob + l->blob_code_offset, &code) || read_i32(m, blob + l->blob_data_offset, &data) ||
	    code < 0 || data < code)
		return -EFAULT;
	*begin = blob + code;
	*end = blob + data;
	return 0;
}

/* The code blob pc lies in: 0, or -ENOENT outside the code cache (or in a free block). */
static int find_blob(const struct java_vm *vm, const struct mem_reader *m, uint64_t pc, uint64_t *blob)
{
	const struct hotspot_layout *l = &vm->l;
	uint64_t seg, begin, end;
	uint8_t hop, used;
	int i, hops;

	for (i = 0; i < vm->nheaps; i++)
		if (pc >= vm->heaps[i].low && pc < vm->heaps[i].high)
			break;
	if (i == vm->nheaps)
		return -ENOENT;
	/* Each segment's byte says how far back its block starts (HotSpot's CodeHeap::find_start). */
	seg = (pc - vm->heaps[i].low) >> vm->heaps[i].log2_segment;
	for (hops = 0; hops < MAX_SEGMENT_HOPS; hops++) {
		if (mem_read(m, vm->heaps[i].segmap + seg, &hop, 1) || hop == FREE_SEGMENT)
			return -ENOENT;
		if (!hop)
			break;
		if (hop > seg)
			return -EPROTO;
		seg -= hop;
	}
	*blob = vm->heaps[i].low + (seg << vm->heaps[i].log2_segment);
	if (hops == MAX_SEGMENT_HOPS || mem_read(m, *blob + l->block_header + l->header_used, &used, 1) || !used)
		return -ENOENT;
	*blob += l->size_heap_block;
	if (code_bounds(l, m, *blob, &begin, &end) || pc < begin || pc >= end)
		return -ENOENT;
	return 0;
}

/* A Symbol's text: 0, or -errno when it is no sane name (a name of Java's has no control characters). */
static int read_symbol(const struct hotspot_layout *l, const struct mem_reader *m, uint64_t symbol, char *buf,
		       size_t len)
{
	uint16_t n;
	size_t i;

	if (!mem_valid_ptr(symbol, 4) || read_u16(m, symbol + l->symbol_length, &n) || n == 0)
		return -EFAULT;
	if (n >= len)
		n = len - 1;
	if (mem_read(m, symbol + l->symbol_body, buf, n))
		return -EFAULT;
	buf[n] = 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			return -EPROTO;
	return 0;
}

/* Entry index of a constant pool: the Symbol a name index points at. */
static int pool_symbol(const struct hotspot_layout *l, const struct mem_reader *m, uint64_t pool, uint16_t index,
		       char *buf, size_t len)
{
	uint64_t symbol;

	if (!index || read_u64(m, pool + l->size_constant_pool + 8ULL * index, &symbol))
		return -EFAULT;
	return read_symbol(l, m, symbol, buf, len);
}

/* One value of HotSpot's compressed streams (CompressedReadStream::read_int: UNSIGNED5, 6 bits a byte on). */
static bool read_compressed(const uint8_t *p, size_t n, size_t *at, uint32_t *v)
{
	uint32_t b, sum;
	int i, shift = 6;

	if (*at >= n)
		return false;
	sum = p[(*at)++];
	if (sum < 192) {
		*v = sum;
		return true;
	}
	for (i = 1; i <= 4; i++, shift += 6) {
		if (*at >= n)
			return false;
		b = p[(*at)++];
		sum += b << shift;
		if (b < 192)
			break;
	}
	*v = sum;
	return true;
}

static int32_t signed_of(uint32_t v)
{
	return (int32_t)(v >> 1) ^ -(int32_t)(v & 1);
}

/*
 * The line of bci from a method's compressed line number table (after its
 * bytecodes): the entry at bci, else the nearest before it. 0 when the
 * table is unread or makes no sense.
 */
static int line_of(const uint8_t *t, size_t n, int bci, int code_size)
{
	int at_bci = 0, line = 0, best_bci = -1, best_line = 0;
	size_t i = 0;

	while (i < n) {
		uint8_t next = t[i++];
		uint32_t a, b;

		if (next == 0)
			return best_line;
		if (next == 0xff) {
			if (!read_compressed(t, n, &i, &a) || !read_compressed(t, n, &i, &b))
				return 0;
			at_bci += signed_of(a);
			line += signed_of(b);
		} else {
			at_bci += next >> 3;
			line += next & 7;
		}
		if (at_bci < 0 || at_bci >= code_size || line <= 0)
			return 0;
		if (at_bci == bci)
			return line;
		if (at_bci < bci && at_bci >= best_bci) {
			best_bci = at_bci;
			best_line = line;
		}
	}
	return 0; /* cut short: no end seen */
}

/*
 * The method's name, its source file and the line of bytecode index bci
 * (-1: unknown), or of bytecode pointer bcp (0: unknown).
 */
static int name_method(const struct hotspot_layout *l, const struct mem_reader *m, uint64_t method, uint64_t bcp,
		       int bci, struct stall_frame *f)
{
	uint64_t cm, pool, holder, klass_name;
	uint16_t name_index, file_index = 0, flags, code_size;
	char klass[sizeof(f->function)], name[64], *c;

	if (!mem_valid_ptr(method, 8) || read_u64(m, method + l->method_const, &cm) || !mem_valid_ptr(cm, 8) ||
	    read_u64(m, cm + l->const_constants, &pool) || !mem_valid_ptr(pool, 8) ||
	    read_u16(m, cm + l->const_name_index, &name_index) || read_u64(m, pool + l->pool_holder, &holder) ||
	    !mem_valid_ptr(holder, 8) || read_u64(m, holder + l->klass_name, &klass_name) ||
	    read_symbol(l, m, klass_name, klass, sizeof(klass)) ||
	    pool_symbol(l, m, pool, name_index, name, sizeof(name)))
		return -EFAULT;
	for (c = klass; *c; c++)
		if (*c == '/')
			*c = '.';
	memset(f, 0, sizeof(*f));
	f->kind = FRAME_JIT;
	/* long names are cut, the method's name last */
	snprintf(f->function, sizeof(f->function), "%.80s.%.46s", klass, name);
	if (l->pool_source_file >= 0 && read_u16(m, pool + l->pool_source_file, &file_index) == 0 && file_index)
		pool_symbol(l, m, pool, file_index, f->file, sizeof(f->file));
	if ((bcp || bci >= 0) && l->has_line_numbers && l->const_flags >= 0 &&
	    read_u16(m, cm + l->const_flags, &flags) == 0 &&
	    (flags & l->has_line_numbers) && read_u16(m, cm + l->const_code_size, &code_size) == 0) {
		uint64_t code = cm + l->size_const_method;
		uint8_t table[LINE_TABLE_MAX];
		size_t n = LINE_TABLE_MAX;

		/* the table may end near its page's end: read what lies before the next page */
		if (code + code_size + n > ((code + code_size) | 0xfff) + 1)
			n = ((code + code_size) | 0xfff) + 1 - (code + code_size);
		if (bcp)
			bci = bcp >= code && bcp < code + code_size ? (int)(bcp - code) : -1;
		if (bci >= 0 && bci < code_size && mem_read(m, code + code_size, table, n) == 0)
			f->line = line_of(table, n, bci, code_size);
	}
	return 0;
}

/* The kernel's tid of JavaThread t. */
static int thread_tid(const struct hotspot_layout *l, const struct mem_reader *m, uint64_t t, int32_t *tid)
{
	uint64_t os;

	if (read_u64(m, t + l->thread_osthread, &os) || !mem_valid_ptr(os, 4))
		return -EFAULT;
	return read_i32(m, os + l->osthread_tid, tid);
}

/*
 * The JavaThread of tid: from the cache when it still is tid's, else from
 * the VM's list of Java threads. HotSpot makes a new list whenever a thread
 * starts or ends: a thread not in the list it was looked for in is not
 * looked for again until the list changes.
 */
static int find_thread(struct java_vm *vm, const struct mem_reader *m, pid_t tid, uint64_t *thread)
{
	const struct hotspot_layout *l = &vm->l;
	typeof(vm->threads[0]) *slot = &vm->threads[(unsigned int)tid % JAVA_THREAD_SLOTS];
	uint64_t list, threads, t;
	uint32_t len, i;
	int32_t id;

	if (read_u64(m, l->java_threads, &list) || !mem_valid_ptr(list, 8))
		return -EFAULT;
	if (slot->tid == tid && slot->thread) {
		if (thread_tid(l, m, slot->thread, &id) == 0 && id == tid) {
			*thread = slot->thread;
			return 0;
		}
	} else if (slot->tid == tid && slot->list == list) {
		return -ENOENT;
	}
	slot->tid = tid;
	slot->thread = 0;
	slot->list = list;
	if (mem_read(m, list + l->list_length, &len, sizeof(len)) || read_u64(m, list + l->list_threads, &threads) ||
	    !mem_valid_ptr(threads, 8))
		return -EFAULT;
	for (i = 0; i < len && i < MAX_THREADS; i++) {
		if (read_u64(m, threads + 8ULL * i, &t) || !mem_valid_ptr(t, 8) || thread_tid(l, m, t, &id))
			continue;
		if (id == tid) {
			slot->thread = t;
			*thread = t;
			return 0;
		}
	}
	return -ENOENT;
}

enum blob_kind { BLOB_INTERPRETER, BLOB_METHOD, BLOB_OTHER };

/* The PcDesc recorded for pc (a call's return address, a safepoint): its scope's offset, 0 when none. */
static int scope_at(const struct hotspot_layout *l, const struct mem_reader *m, uint64_t blob, uint64_t pc,
		    int32_t *scope)
{
	int32_t first, end, target, at;
	uint64_t begin, code_end, lo, hi;

	if (code_bounds(l, m, blob, &begin, &code_end) || read_i32(m, blob + l->nm_scopes_pcs, &first) ||
	    read_i32(m, blob + l->nm_dependencies, &end) || first <= 0 || end < first)
		return -EFAULT;
	target = (int32_t)(pc - begin);
	lo = 0;
	hi = (uint64_t)(end - first) / l->size_pc_desc;
	if (hi > MAX_PC_DESCS)
		return -EPROTO;
	while (lo < hi) { /* sorted by pc offset */
		uint64_t mid = (lo + hi) / 2;

		if (read_i32(m, blob + first + mid * l->size_pc_desc + l->pc_offset, &at))
			return -EFAULT;
		if (at < target)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == (uint64_t)(end - first) / l->size_pc_desc ||
	    read_i32(m, blob + first + lo * l->size_pc_desc + l->pc_offset, &at) || at != target ||
	    read_i32(m, blob + first + lo * l->size_pc_desc + l->pc_scope, scope))
		return -ENOENT;
	return 0;
}

/*
 * The methods compiled code at pc runs, inlined ones first, each at its
 * bci, from the nmethod's debug information (ScopeDesc: sender scope,
 * method, bci, ...): the count, 0 when it has none to read.
 */
static int inlined_frames(const struct hotspot_layout *l, const struct mem_reader *m, uint64_t blob, uint64_t pc,
			  struct stall_frame *out, int max)
{
	uint64_t data, method;
	int32_t scope, metadata;
	int n = 0;

	if (l->nm_scopes_data < 0 || l->nm_scopes_pcs < 0 || l->nm_dependencies < 0 || l->nm_metadata < 0 ||
	    l->pc_offset < 0 || l->pc_scope < 0 || l->size_pc_desc <= 0 || !l->has_line_numbers)
		return 0;
	if (scope_at(l, m, blob, pc, &scope) || read_u64(m, blob + l->nm_scopes_data, &data) ||
	    read_i32(m, blob + l->nm_metadata, &metadata) || metadata <= 0)
		return 0;
	while (scope > 0 && n < max && n < MAX_INLINED) {
		uint8_t bytes[SCOPE_BYTES];
		uint32_t sender, index, bci;
		size_t at = 0;

		if (mem_read(m, data + scope, bytes, sizeof(bytes)) || !read_compressed(bytes, sizeof(bytes), &at, &sender) ||
		    !read_compressed(bytes, sizeof(bytes), &at, &index) || !read_compressed(bytes, sizeof(bytes), &at, &bci) ||
		    !index || read_u64(m, blob + metadata + 8ULL * (index - 1), &method) ||
		    name_method(l, m, method, 0, (int)bci - 1, &out[n])) /* bci is stored + 1 (InvocationEntryBci: -1) */
			return 0;
		n++;
		if ((int32_t)sender >= scope)
			return 0; /* a sender is recorded before its inlinee */
		scope = (int32_t)sender;
	}
	return n;
}

static enum blob_kind kind_of(const struct hotspot_layout *l, const struct mem_reader *m, uint64_t blob)
{
	char name[BLOB_NAME_MAX];
	uint64_t p;

	if (read_u64(m, blob + l->blob_name, &p) || !mem_valid_ptr(p, 1) || mem_read(m, p, name, sizeof(name)))
		return BLOB_OTHER;
	name[sizeof(name) - 1] = 0;
	if (strcmp(name, "Interpreter") == 0)
		return BLOB_INTERPRETER;
	/* "nmethod", and a native method's wrapper, "native nmethod" */
	if (strcmp(name, "nmethod") == 0 || strcmp(name, "native nmethod") == 0)
		return BLOB_METHOD;
	return BLOB_OTHER;
}

/* Below an interpreted frame's sender sp: last sp, the Method*, its mirror, mdp, cache, locals, bcp. */
static int interpreted_slots(const struct hotspot_layout *l, const struct mem_reader *stack, uint64_t fp,
			     uint64_t *method, uint64_t *bcp)
{
	uint64_t slots = fp + 8 * l->frame_sender_sp;

	if (!mem_valid_ptr(fp, 8) || read_u64(stack, slots - 16, method) || read_u64(stack, slots - 56, bcp))
		return -EFAULT;
	return 0;
}

int java_read_frame(const struct java_vm *vm, const struct mem_reader *stack, const struct mem_reader *heap,
		    uint64_t pc, uint64_t fp, struct stall_frame *out)
{
	const struct hotspot_layout *l = &vm->l;
	uint64_t blob, method, bcp;

	if (find_blob(vm, heap, pc, &blob))
		return -ENOENT;
	switch (kind_of(l, heap, blob)) {
	case BLOB_INTERPRETER:
		if (interpreted_slots(l, stack, fp, &method, &bcp))
			return -ENOENT;
		return name_method(l, heap, method, bcp, -1, out) ? -ENOENT : 0;
	case BLOB_METHOD:
		if (read_u64(heap, blob + l->compiled_method, &method) || name_method(l, heap, method, 0, -1, out))
			return -ENOENT;
		return 0;
	default: return -ENOENT; /* a stub of the VM's */
	}
}

/*
 * Java frames from the one at pc, innermost first, as HotSpot walks them:
 * sp is the frame's unextended stack pointer, fp its frame pointer where it
 * keeps one. Stack slots are read through stack, the VM's data through heap.
 * in_call: the innermost frame is in a call (a thread blocked in the VM),
 * else anywhere in its code (a CPU sample).
 */
static int walk(struct java_vm *vm, const struct mem_reader *stack, const struct mem_reader *heap, uint64_t pc,
		uint64_t sp, uint64_t fp, bool in_call, struct stall_frame *out, int max)
{
	const struct hotspot_layout *l = &vm->l;
	uint64_t blob;
	int n = 0, steps;

	/* Callers lie higher up the stack: each step goes up, and stubs between frames are few. */
	for (steps = 0; n < max && steps < max + MAX_STUBS && find_blob(vm, heap, pc, &blob) == 0; steps++) {
		enum blob_kind kind = kind_of(l, heap, blob);
		uint64_t method, bcp, sender_sp, begin, end;
		int32_t words;
		int16_t complete;
		uint8_t op;

		if (kind == BLOB_INTERPRETER) {
			if (interpreted_slots(l, stack, fp, &method, &bcp))
				break;
			/* A monitorenter steps past itself before it waits: its line is the one before. */
			if (n == 0 && in_call && mem_read(heap, bcp - 1, &op, 1) == 0 && op == MONITORENTER)
				bcp--;
			if (name_method(l, heap, method, bcp, -1, &out[n]))
				break;
			n++;
			if (read_u64(stack, fp + 8 * l->frame_sender_sp, &sender_sp) || sender_sp <= sp ||
			    read_u64(stack, fp + 8, &pc) || read_u64(stack, fp, &fp))
				break;
			sp = sender_sp;
			continue;
		}
		/* A compiled method, or a stub with a frame: the caller's sp lies frame_size words up. */
		if (read_i32(heap, blob + l->blob_frame_size, &words) || words <= 0 || words > MAX_FRAME_WORDS)
			break; /* the call stub (the entry from the VM), or no frame to step over */
		if (kind == BLOB_METHOD) {
			/* at a return address (a call), not anywhere in the code as a sample's innermost pc */
			int k = in_call || steps ? inlined_frames(l, heap, blob, pc, &out[n], max - n) : 0;

			if (k <= 0 && (read_u64(heap, blob + l->compiled_method, &method) ||
				       name_method(l, heap, method, 0, -1, &out[n])))
				break;
			n += k > 0 ? k : 1;
		}
		/* Caught in its prologue, the frame is not built yet: where its caller is, it does not say. */
		if (!in_call && steps == 0 &&
		    (l->blob_frame_complete < 0 || code_bounds(l, heap, blob, &begin, &end) ||
		     mem_read(heap, blob + l->blob_frame_complete, &complete, sizeof(complete)) || complete < 0 ||
		     pc < begin + (uint64_t)complete))
			break;
		sender_sp = sp + 8ULL * words;
		if (read_u64(stack, sender_sp - 8, &pc) || read_u64(stack, sender_sp - 16, &fp))
			break;
		sp = sender_sp;
	}
	return n;
}

int java_read_stack(struct java_vm *vm, const struct mem_reader *m, pid_t tid, struct stall_frame *out, int max)
{
	const struct hotspot_layout *l = &vm->l;
	uint64_t thread, anchor, sp, pc, fp;
	int err;

	if ((err = find_thread(vm, m, tid, &thread)))
		return err == -ENOENT ? 0 : err;
	anchor = thread + l->thread_anchor;
	if (read_u64(m, anchor + l->anchor_sp, &sp) || read_u64(m, anchor + l->anchor_pc, &pc) ||
	    read_u64(m, anchor + l->anchor_fp, &fp))
		return -EFAULT;
	if (!sp)
		return 0; /* in Java code, or never in it: no last Java frame */
	if (!pc && read_u64(m, sp - 8, &pc))
		return -EFAULT;
	return walk(vm, m, m, pc, sp, fp, true, out, max);
}

int java_read_sample(struct java_vm *vm, const struct mem_reader *stack, const struct mem_reader *heap, uint64_t pc,
		     uint64_t sp, uint64_t fp, struct stall_frame *out, int max)
{
	return walk(vm, stack, heap, pc, sp, fp, false, out, max);
}

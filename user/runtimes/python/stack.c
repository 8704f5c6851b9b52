// SPDX-License-Identifier: GPL-2.0
/*
 * The Python stack of one thread, walked over a memory reader (a live
 * process, see process.c, or a recording replayed by the unit tests):
 *
 *   the thread's state (tstate.c), then its frames, innermost first:
 *     3.8-3.10: ->frame, PyFrameObject (->f_back ...), f_lasti
 *     3.11+:    ->cframe->current_frame (3.13: ->current_frame),
 *               _PyInterpreterFrame (->previous ...), prev_instr/instr_ptr
 *       -> PyCodeObject: co_qualname (3.11+) or co_name, co_filename,
 *          and the line table of that version (lines.c)
 *
 * then the asyncio task names (task.c). The target keeps running while we
 * read, so every pointer is untrusted: checked, lists bounded, strings capped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "runtimes/python/code_cache.h"
#include "runtimes/python/lines.h"
#include "runtimes/python/request.h"
#include "runtimes/python/stack.h"
#include "runtimes/python/strings.h"
#include "runtimes/python/task.h"
#include "runtimes/python/thread_name.h"
#include "runtimes/python/tstate.h"

#define MAX_LINETABLE 65536 /* bytes of line table read; beyond it line = 0 */

/* Code flags that make a frame a coroutine (Include/cpython/code.h). */
#define CO_COROUTINE	      0x0080
#define CO_ITERABLE_COROUTINE 0x0100
#define CO_ASYNC_GENERATOR    0x0200

/* What a frame needs from its code object besides names. */
struct code_info {
	uint64_t linetable;
	int firstlineno;
	int firsttraceable; /* 3.11+ */
};

/* Bytes of the code object header that hold every field we use. */
static size_t code_header_len(const struct py_layout *L)
{
	size_t n = L->code_linetable + 8;

	if (L->code_qualname + 8u > n)
		n = L->code_qualname + 8;
	if (L->code_name + 8u > n)
		n = L->code_name + 8;
	if (L->code_filename + 8u > n)
		n = L->code_filename + 8;
	if (L->code_firsttraceable + 4u > n)
		n = L->code_firsttraceable + 4;
	return n;
}

static int line_of(const struct py_layout *L, const uint8_t *table, size_t size, int firstlineno, int64_t addr)
{
	int line = -1;

	switch (L->lines) {
	case PY_LINES_LNOTAB: line = py_lnotab_line(table, size, firstlineno, addr); break;
	case PY_LINES_310: line = py_linetable310_line(table, size, firstlineno, addr); break;
	case PY_LINES_LOCATIONS: line = py_location_table_line(table, size, firstlineno, (int)addr); break;
	}
	return line > 0 ? line : 0;
}

/*
 * The line of byte offset addr, 0 if unknown: from the line table kept in
 * cached, else read (and kept there when it is short).
 */
static int code_line(const struct mem_reader *m, const struct py_layout *L, const struct code_info *ci, int64_t addr,
		     struct py_cached_code *cached)
{
	uint8_t hdr[64], *buf;
	int64_t size, whole;
	int line = 0;

	if (!mem_valid_ptr(ci->linetable, 8) || addr > INT32_MAX || L->bytes_data > sizeof(hdr))
		return 0;
	if (cached && cached->linetable)
		return line_of(L, cached->linetable, cached->linetable_len, ci->firstlineno, addr);
	if (mem_read(m, ci->linetable, hdr, L->bytes_data))
		return 0;
	whole = size = (int64_t)mem_get_u64(hdr, L->bytes_size);
	if (size <= 0)
		return 0;
	if (size > MAX_LINETABLE)
		size = MAX_LINETABLE;
	buf = malloc(size);
	if (!buf)
		return 0;
	if (!mem_read(m, ci->linetable + L->bytes_data, buf, size)) {
		line = line_of(L, buf, size, ci->firstlineno, addr);
		if (size == whole)
			py_code_cache_keep_linetable(cached, buf, size);
	}
	free(buf);
	return line;
}

/*
 * Fills function, file and coroutine of out from a code object, and ci;
 * *cached is its entry in codes (NULL when none): the names from there when
 * the code object's fields are the ones named before.
 */
static int read_code(const struct mem_reader *m, const struct py_layout *L, struct py_code_cache *codes, uint64_t code,
		     struct py_frame *out, struct code_info *ci, struct py_cached_code **cached)
{
	size_t len = code_header_len(L);
	struct py_code_fields f;
	struct py_cached_code *e;
	uint8_t buf[256];
	int err;

	*cached = NULL;
	if (!mem_valid_ptr(code, 8) || len > sizeof(buf))
		return -EFAULT;
	err = mem_read(m, code, buf, len);
	if (err)
		return err;
	memset(out, 0, sizeof(*out));
	f.name = mem_get_u64(buf, L->code_name);
	f.qualname = L->code_qualname ? mem_get_u64(buf, L->code_qualname) : 0;
	f.filename = mem_get_u64(buf, L->code_filename);
	f.linetable = mem_get_u64(buf, L->code_linetable);
	f.flags = mem_get_i32(buf, L->code_flags);
	f.firstlineno = mem_get_i32(buf, L->code_firstlineno);
	f.firsttraceable = L->code_firsttraceable ? mem_get_i32(buf, L->code_firsttraceable) : 0;
	out->coroutine = f.flags & (CO_COROUTINE | CO_ITERABLE_COROUTINE | CO_ASYNC_GENERATOR);
	ci->linetable = f.linetable;
	ci->firstlineno = f.firstlineno;
	ci->firsttraceable = f.firsttraceable;
	e = py_code_cache_find(codes, code, &f);
	if (e) {
		memcpy(out->function, e->function, sizeof(out->function));
		memcpy(out->file, e->file, sizeof(out->file));
		*cached = e;
		return 0;
	}
	/* 3.8-3.10 code objects have no co_qualname: co_name it is */
	if (!L->code_qualname || py_read_str(m, L, f.qualname, out->function, sizeof(out->function)) ||
	    !out->function[0]) {
		err = py_read_str(m, L, f.name, out->function, sizeof(out->function));
		if (err)
			return err;
	}
	err = py_read_str(m, L, f.filename, out->file, sizeof(out->file));
	if (err)
		return err;
	e = py_code_cache_put(codes, code, &f);
	if (e) {
		memcpy(e->function, out->function, sizeof(e->function));
		memcpy(e->file, out->file, sizeof(e->file));
	}
	*cached = e;
	return 0;
}

/*
 * Step `steps` of a walk may follow frame: a plausible address, not seen
 * before on this walk (linked frames can form a cycle in torn or garbage
 * memory). 0 and frame remembered, or -EFAULT / -ELOOP.
 */
static int check_frame(uint64_t *seen, int steps, uint64_t frame)
{
	int i;

	if (!mem_valid_ptr(frame, 8))
		return -EFAULT;
	for (i = 0; i < steps; i++)
		if (seen[i] == frame)
			return -ELOOP;
	seen[steps] = frame;
	return 0;
}

/* 3.8-3.10: tstate->frame, then PyFrameObject.f_back; all are Python frames. */
static int walk_frame_objects(const struct mem_reader *m, const struct py_layout *L, uint64_t tstate, struct walk *w)
{
	uint64_t frame, seen[MAX_FRAME_STEPS];
	uint8_t buf[128];
	int n = 0, steps, err;

	if (L->frame_lasti + 4u > sizeof(buf))
		return -EINVAL;
	err = mem_read_ptr(m, tstate + L->tstate_frame, &frame);
	if (err)
		return err;

	for (steps = 0; frame && n <= w->max && steps < MAX_FRAME_STEPS; steps++) {
		struct py_frame *out = walk_slot(w, n);
		struct py_cached_code *cached;
		struct code_info ci;
		int64_t lasti;

		err = check_frame(seen, steps, frame);
		if (err)
			break;
		err = mem_read(m, frame, buf, L->frame_lasti + 4);
		if (err)
			break;
		err = read_code(m, L, w->codes, mem_get_u64(buf, L->frame_code), out, &ci, &cached);
		if (err)
			break;
		/* f_lasti: last instruction started, -1 before the first */
		lasti = mem_get_i32(buf, L->frame_lasti);
		if (L->lines == PY_LINES_310)
			lasti *= 2; /* 3.10 counts 2-byte code units */
		out->line = code_line(m, L, &ci, lasti, cached);
		w->addr[n] = frame;
		w->owner[n] = -1;
		n++;
		frame = mem_get_u64(buf, L->frame_previous);
	}
	/* Garbage part way up the stack (the target kept running): keep what we have */
	return n ? n : err;
}

/*
 * 3.11+: tstate->cframe->current_frame (3.13: tstate->current_frame), then
 * _PyInterpreterFrame.previous. Shim and not yet started frames are skipped,
 * like CPython's tracebacks do.
 */
static int walk_interp_frames(const struct mem_reader *m, const struct py_layout *L, uint64_t tstate, struct walk *w)
{
	uint64_t frame, seen[MAX_FRAME_STEPS];
	uint8_t buf[128];
	int n = 0, steps, err, owner = -1;

	if (L->frame_owner >= sizeof(buf))
		return -EINVAL;
	err = mem_read_ptr(m, tstate + L->tstate_frame, &frame);
	if (err)
		return err;
	if (L->cframe_current_frame >= 0 && frame) {
		if (!mem_valid_ptr(frame, 8))
			return -EFAULT;
		err = mem_read_ptr(m, frame + L->cframe_current_frame, &frame);
		if (err)
			return err;
	}

	for (steps = 0; frame && n <= w->max && steps < MAX_FRAME_STEPS; steps++) {
		struct py_frame *out = walk_slot(w, n);
		uint64_t code, instr, addr = frame;
		struct py_cached_code *cached;
		struct code_info ci;
		int64_t lasti;

		err = check_frame(seen, steps, frame);
		if (err)
			break;
		err = mem_read(m, frame, buf, L->frame_owner + 1);
		if (err)
			break;
		code = mem_get_u64(buf, L->frame_code);
		instr = mem_get_u64(buf, L->frame_instr);
		owner = (int8_t)buf[L->frame_owner];
		frame = mem_get_u64(buf, L->frame_previous);
		if (owner == L->owner_cstack)
			continue; /* 3.12+ shim frame pushed by C code, not Python */
		err = read_code(m, L, w->codes, code, out, &ci, &cached);
		if (err)
			break;
		/* index of the code unit executing (3.13) or last started (3.11, 3.12) */
		lasti = ((int64_t)(instr - (code + L->code_adaptive))) / 2;
		if (owner != L->owner_generator && lasti < ci.firsttraceable)
			continue; /* _PyFrame_IsIncomplete() */
		out->line = code_line(m, L, &ci, lasti * 2, cached);
		w->addr[n] = addr;
		w->owner[n] = owner;
		n++;
	}
	w->torn = !frame && L->owner_generator >= 0 && owner == L->owner_generator;
	return n ? n : err;
}

/* Frames of tid (and, when asked, the request its task serves and its Python name): the count, or -errno. */
static int read_stack(const struct mem_reader *mem, struct py_code_cache *codes, const char *version,
		      uint64_t runtime_addr, int pthread_tid_offset, pid_t tid, struct py_frame *frames, int max,
		      struct served_request *req, bool *torn, char *thread, size_t thread_len)
{
	struct tstate_key key = {0};
	const struct py_layout *L;
	uint64_t tstate = 0;
	struct walk *w;
	int r;

	if (!mem || !mem->read || !version || (max > 0 && !frames) || max < 0)
		return -EINVAL;
	r = py_layout_for_target(version, runtime_addr, pthread_tid_offset, &L);
	if (r)
		return r;
	if (!max)
		return 0;
	r = py_check_debug_offsets(mem, L, runtime_addr);
	if (r)
		return r;
	key.tid = tid;
	key.pthread_tid_offset = pthread_tid_offset;
	r = py_find_tstate(mem, L, runtime_addr, &key, &tstate);
	if (r <= 0)
		return r;
	w = malloc(sizeof(*w)); /* ~10 KiB: keep it off the stack */
	if (!w)
		return -ENOMEM;
	w->frames = frames;
	w->max = max;
	w->codes = codes;
	w->torn = false;
	switch (L->frames) {
	case PY_FRAME_OBJECT: r = walk_frame_objects(mem, L, tstate, w); break;
	case PY_INTERP_FRAME: r = walk_interp_frames(mem, L, tstate, w); break;
	default: r = -EPROTONOSUPPORT; break;
	}
	if (r > 0) {
		py_name_tasks(mem, L, w, r);
		if (thread && r <= max) /* the whole stack: its bottom frames */
			py_find_thread_name(mem, L, w, r, thread, thread_len);
		if (r > max)
			r = max; /* the peek frame */
		if (req)
			py_find_request(mem, L, w, r, req); /* none: req stays empty */
	}
	if (torn)
		*torn = w->torn;
	free(w);
	return r;
}

int py_stack_read_mem_ex(const struct mem_reader *mem, const char *version, uint64_t runtime_addr,
			 int pthread_tid_offset, pid_t tid, struct py_frame *frames, int max)
{
	return read_stack(mem, NULL, version, runtime_addr, pthread_tid_offset, tid, frames, max, NULL, NULL, NULL, 0);
}

int py_stack_read_mem_req(const struct mem_reader *mem, const char *version, uint64_t runtime_addr,
			  int pthread_tid_offset, pid_t tid, struct py_frame *frames, int max,
			  struct served_request *req)
{
	memset(req, 0, sizeof(*req));
	return read_stack(mem, NULL, version, runtime_addr, pthread_tid_offset, tid, frames, max, req, NULL, NULL, 0);
}

int py_stack_read_cached(const struct mem_reader *mem, struct py_code_cache *codes, const char *version,
			 uint64_t runtime_addr, int pthread_tid_offset, pid_t tid, struct py_frame *frames, int max,
			 struct served_request *req, bool *torn)
{
	if (req)
		memset(req, 0, sizeof(*req));
	return read_stack(mem, codes, version, runtime_addr, pthread_tid_offset, tid, frames, max, req, torn, NULL, 0);
}

int py_stack_read_mem(const struct mem_reader *mem, const char *version, uint64_t runtime_addr, pid_t tid,
		      struct py_frame *frames, int max)
{
	return py_stack_read_mem_ex(mem, version, runtime_addr, -1, tid, frames, max);
}

int py_thread_name_mem(const struct mem_reader *mem, struct py_code_cache *codes, const char *version,
		       uint64_t runtime_addr, int pthread_tid_offset, pid_t tid, char *buf, size_t len)
{
	struct py_frame *frames = malloc(THREAD_NAME_FRAMES * sizeof(*frames));
	int r;

	buf[0] = 0;
	if (!frames)
		return -ENOMEM;
	r = read_stack(mem, codes, version, runtime_addr, pthread_tid_offset, tid, frames, THREAD_NAME_FRAMES, NULL,
		       NULL, buf, len);
	free(frames);
	if (r < 0)
		return r;
	return buf[0] ? 0 : -ENOENT;
}

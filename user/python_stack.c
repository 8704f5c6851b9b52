// SPDX-License-Identifier: GPL-2.0
/*
 * Reads the Python stack of one thread of a live CPython process from the
 * outside, with process_vm_readv() only: no ptrace stop, nothing injected.
 *
 * All knowledge of CPython's private struct layouts lives in py_layouts[]
 * (python_layouts.c), one row per major.minor (3.8 to 3.13). The walk is:
 *
 *   _PyRuntime.interpreters.head -> PyInterpreterState (->next ...)
 *     thread states (->next ...), matched on the kernel tid:
 *       3.11+:    ->native_thread_id
 *       3.8-3.10: ->thread_id is pthread_self(); the tid is in struct pthread
 *     frames, innermost first, two models:
 *       3.8-3.10: ->frame, PyFrameObject (->f_back ...), f_lasti
 *       3.11+:    ->cframe->current_frame (3.13: ->current_frame),
 *                 _PyInterpreterFrame (->previous ...), prev_instr/instr_ptr
 *         -> PyCodeObject: co_qualname (3.11+) or co_name, co_filename,
 *            and the line table of that version (python_lines.c)
 *
 * asyncio task names are in python_task.c, the GIL in python_gil.c.
 *
 * The target keeps running while we read, so every pointer is treated as
 * untrusted: pointers are checked, lists are bounded, strings are capped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "python_elf.h"
#include "python_internal.h"
#include "python_stack.h"

#define MAX_INTERPRETERS 64
#define MAX_THREADS	 4096		       /* thread states visited, all interpreters together */
#define MAX_LINETABLE	 65536		       /* bytes of line table read; beyond it line = 0 */
#define USER_ADDR_END	 0x0000800000000000ULL /* x86-64/arm64 48-bit user space */

/* Code flags that make a frame a coroutine (Include/cpython/code.h). */
#define CO_COROUTINE	      0x0080
#define CO_ITERABLE_COROUTINE 0x0100
#define CO_ASYNC_GENERATOR    0x0200

#define DEBUG_COOKIE	    "xdebugpy"
#define DEBUG_VERSION	    8	/* u64 PY_VERSION_HEX */
#define DEBUG_FREE_THREADED 16	/* u64, 1 in --disable-gil builds (other layouts) */
#define DEBUG_SIZE	    584 /* sizeof(_Py_DebugOffsets) in 3.13 */

struct py_process {
	pid_t pid;
	const struct py_layout *layout;
	uint64_t runtime_addr;
	int pthread_tid_offset; /* 3.8-3.10, -1 if unknown */
	char version[16];
};

/* A pointer we are willing to dereference: non-NULL, aligned, user space. */
bool py_valid_ptr(uint64_t p, uint64_t align)
{
	return p && p < USER_ADDR_END && !(p & (align - 1));
}

uint64_t py_get_u64(const uint8_t *buf, size_t off)
{
	uint64_t v;

	memcpy(&v, buf + off, sizeof(v));
	return v;
}

int32_t py_get_i32(const uint8_t *buf, size_t off)
{
	int32_t v;

	memcpy(&v, buf + off, sizeof(v));
	return v;
}

int py_read_mem(const struct mem_reader *m, uint64_t addr, void *buf, size_t len)
{
	if (addr >= USER_ADDR_END || len > USER_ADDR_END - addr)
		return -EFAULT;
	return m->read(m->ctx, addr, buf, len);
}

int py_read_ptr(const struct mem_reader *m, uint64_t addr, uint64_t *out)
{
	return py_read_mem(m, addr, out, sizeof(*out));
}

/* ---- strings ----------------------------------------------------------- */

/* Appends code point c as UTF-8 if it fits; returns bytes written or 0. */
static size_t put_utf8(char *dst, size_t room, uint32_t c)
{
	if (c > 0x10ffff)
		c = '?';
	if (c < 0x80 && room >= 1) {
		dst[0] = c;
		return 1;
	}
	if (c < 0x800 && room >= 2) {
		dst[0] = 0xc0 | (c >> 6);
		dst[1] = 0x80 | (c & 0x3f);
		return 2;
	}
	if (c < 0x10000 && room >= 3) {
		dst[0] = 0xe0 | (c >> 12);
		dst[1] = 0x80 | ((c >> 6) & 0x3f);
		dst[2] = 0x80 | (c & 0x3f);
		return 3;
	}
	if (c >= 0x10000 && room >= 4) {
		dst[0] = 0xf0 | (c >> 18);
		dst[1] = 0x80 | ((c >> 12) & 0x3f);
		dst[2] = 0x80 | ((c >> 6) & 0x3f);
		dst[3] = 0x80 | (c & 0x3f);
		return 4;
	}
	return 0;
}

/*
 * Copies a str object into dst as UTF-8, truncated to cap - 1 bytes. Only
 * compact strings (all identifiers and file names in code objects) are
 * handled; their characters follow the header, 1, 2 or 4 bytes each.
 */
int py_read_str(const struct mem_reader *m, const struct py_layout *L, uint64_t obj, char *dst, size_t cap)
{
	uint8_t hdr[128], raw[4 * 256];
	unsigned int kind, compact, ascii;
	size_t n, i, out = 0;
	uint32_t state;
	int64_t length;
	int err;

	dst[0] = '\0';
	if (!py_valid_ptr(obj, 8) || L->unicode_compact_data > sizeof(hdr) || cap > 256)
		return -EFAULT;
	err = py_read_mem(m, obj, hdr, L->unicode_compact_data);
	if (err)
		return err;
	length = (int64_t)py_get_u64(hdr, L->unicode_length);
	state = (uint32_t)py_get_i32(hdr, L->unicode_state);
	/* bitfield: interned:2, kind:3, compact:1, ascii:1 (3.8 - 3.13) */
	kind = (state >> 2) & 7;
	compact = (state >> 5) & 1;
	ascii = (state >> 6) & 1;
	if (length < 0 || !compact || (kind != 1 && kind != 2 && kind != 4) || (ascii && kind != 1))
		return -EINVAL;
	n = (uint64_t)length < cap - 1 ? (size_t)length : cap - 1;
	err = py_read_mem(m, obj + (ascii ? L->unicode_ascii_data : L->unicode_compact_data), raw, n * kind);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		uint32_t c;
		size_t w;

		if (kind == 1)
			c = raw[i];
		else if (kind == 2)
			c = raw[2 * i] | (uint32_t)raw[2 * i + 1] << 8;
		else
			memcpy(&c, raw + 4 * i, 4);
		w = put_utf8(dst + out, cap - 1 - out, c);
		if (!w)
			break; /* never cut a character in half */
		out += w;
	}
	dst[out] = '\0';
	return 0;
}

/* ---- frames ------------------------------------------------------------ */

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

/* Reads the line table and returns the line of byte offset addr, 0 if unknown. */
static int code_line(const struct mem_reader *m, const struct py_layout *L, const struct code_info *ci, int64_t addr)
{
	uint8_t hdr[64], *buf;
	int64_t size;
	int line = -1;

	if (!py_valid_ptr(ci->linetable, 8) || addr > INT32_MAX || L->bytes_data > sizeof(hdr))
		return 0;
	if (py_read_mem(m, ci->linetable, hdr, L->bytes_data))
		return 0;
	size = (int64_t)py_get_u64(hdr, L->bytes_size);
	if (size <= 0)
		return 0;
	if (size > MAX_LINETABLE)
		size = MAX_LINETABLE;
	buf = malloc(size);
	if (!buf)
		return 0;
	if (!py_read_mem(m, ci->linetable + L->bytes_data, buf, size)) {
		switch (L->lines) {
		case PY_LINES_LNOTAB: line = py_lnotab_line(buf, size, ci->firstlineno, addr); break;
		case PY_LINES_310: line = py_linetable310_line(buf, size, ci->firstlineno, addr); break;
		case PY_LINES_LOCATIONS: line = py_location_table_line(buf, size, ci->firstlineno, (int)addr); break;
		}
	}
	free(buf);
	return line > 0 ? line : 0;
}

/* Fills function, file and coroutine of out from a code object, and ci. */
static int read_code(const struct mem_reader *m, const struct py_layout *L, uint64_t code, struct py_frame *out,
		     struct code_info *ci)
{
	size_t len = code_header_len(L);
	uint8_t buf[256];
	int32_t flags;
	int err;

	if (!py_valid_ptr(code, 8) || len > sizeof(buf))
		return -EFAULT;
	err = py_read_mem(m, code, buf, len);
	if (err)
		return err;
	memset(out, 0, sizeof(*out));
	/* 3.8-3.10 code objects have no co_qualname: co_name it is */
	if (!L->code_qualname ||
	    py_read_str(m, L, py_get_u64(buf, L->code_qualname), out->function, sizeof(out->function)) ||
	    !out->function[0]) {
		err = py_read_str(m, L, py_get_u64(buf, L->code_name), out->function, sizeof(out->function));
		if (err)
			return err;
	}
	err = py_read_str(m, L, py_get_u64(buf, L->code_filename), out->file, sizeof(out->file));
	if (err)
		return err;
	flags = py_get_i32(buf, L->code_flags);
	out->coroutine = flags & (CO_COROUTINE | CO_ITERABLE_COROUTINE | CO_ASYNC_GENERATOR);
	ci->linetable = py_get_u64(buf, L->code_linetable);
	ci->firstlineno = py_get_i32(buf, L->code_firstlineno);
	ci->firsttraceable = L->code_firsttraceable ? py_get_i32(buf, L->code_firsttraceable) : 0;
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

	if (!py_valid_ptr(frame, 8))
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
	err = py_read_ptr(m, tstate + L->tstate_frame, &frame);
	if (err)
		return err;

	for (steps = 0; frame && n <= w->max && steps < MAX_FRAME_STEPS; steps++) {
		struct py_frame *out = walk_slot(w, n);
		struct code_info ci;
		int64_t lasti;

		err = check_frame(seen, steps, frame);
		if (err)
			break;
		err = py_read_mem(m, frame, buf, L->frame_lasti + 4);
		if (err)
			break;
		err = read_code(m, L, py_get_u64(buf, L->frame_code), out, &ci);
		if (err)
			break;
		/* f_lasti: last instruction started, -1 before the first */
		lasti = py_get_i32(buf, L->frame_lasti);
		if (L->lines == PY_LINES_310)
			lasti *= 2; /* 3.10 counts 2-byte code units */
		out->line = code_line(m, L, &ci, lasti);
		w->addr[n] = frame;
		w->owner[n] = -1;
		n++;
		frame = py_get_u64(buf, L->frame_previous);
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
	int n = 0, steps, err;

	if (L->frame_owner >= sizeof(buf))
		return -EINVAL;
	err = py_read_ptr(m, tstate + L->tstate_frame, &frame);
	if (err)
		return err;
	if (L->cframe_current_frame >= 0 && frame) {
		if (!py_valid_ptr(frame, 8))
			return -EFAULT;
		err = py_read_ptr(m, frame + L->cframe_current_frame, &frame);
		if (err)
			return err;
	}

	for (steps = 0; frame && n <= w->max && steps < MAX_FRAME_STEPS; steps++) {
		struct py_frame *out = walk_slot(w, n);
		uint64_t code, instr, addr = frame;
		struct code_info ci;
		int64_t lasti;
		int owner;

		err = check_frame(seen, steps, frame);
		if (err)
			break;
		err = py_read_mem(m, frame, buf, L->frame_owner + 1);
		if (err)
			break;
		code = py_get_u64(buf, L->frame_code);
		instr = py_get_u64(buf, L->frame_instr);
		owner = (int8_t)buf[L->frame_owner];
		frame = py_get_u64(buf, L->frame_previous);
		if (owner == L->owner_cstack)
			continue; /* 3.12+ shim frame pushed by C code, not Python */
		err = read_code(m, L, code, out, &ci);
		if (err)
			break;
		/* index of the code unit executing (3.13) or last started (3.11, 3.12) */
		lasti = ((int64_t)(instr - (code + L->code_adaptive))) / 2;
		if (owner != L->owner_generator && lasti < ci.firsttraceable)
			continue; /* _PyFrame_IsIncomplete() */
		out->line = code_line(m, L, &ci, lasti * 2);
		w->addr[n] = addr;
		w->owner[n] = owner;
		n++;
	}
	return n ? n : err;
}

/*
 * Kernel tid of thread state ts: 0 or -errno. 3.8-3.10 only know
 * pthread_self(), the address of the C library's struct pthread, which holds
 * the tid at pthread_tid_offset.
 */
int py_tstate_tid(const struct mem_reader *m, const struct py_layout *L, uint64_t ts, int pthread_tid_offset,
		  pid_t *tid)
{
	uint64_t id;
	int32_t ktid;
	int err;

	if (L->tstate_native_thread_id) {
		err = py_read_ptr(m, ts + L->tstate_native_thread_id, &id);
		if (err)
			return err;
		if (!id || id > INT32_MAX)
			return -EINVAL;
		*tid = (pid_t)id;
		return 0;
	}
	err = py_read_ptr(m, ts + L->tstate_thread_id, &id);
	if (err)
		return err;
	if (!py_valid_ptr(id, 8))
		return -EFAULT;
	err = py_read_mem(m, id + pthread_tid_offset, &ktid, sizeof(ktid));
	if (err)
		return err;
	if (ktid <= 0)
		return -EINVAL; /* glibc zeroes it when the thread exits */
	*tid = ktid;
	return 0;
}

static bool tstate_matches(const struct mem_reader *m, const struct py_layout *L, uint64_t ts,
			   const struct tstate_key *key)
{
	pid_t tid;

	if (key->addr)
		return ts == key->addr;
	/* an exited thread's struct pthread may be gone: not this one, go on */
	return !py_tstate_tid(m, L, ts, key->pthread_tid_offset, &tid) && tid == key->tid;
}

/*
 * Finds a thread state in the thread lists of all interpreters: 1 found
 * (*out), 0 not, -errno.
 */
int py_find_tstate(const struct mem_reader *m, const struct py_layout *L, uint64_t runtime,
		   const struct tstate_key *key, uint64_t *out)
{
	uint64_t interp, ts;
	int i, budget = MAX_THREADS, err;

	err = py_read_ptr(m, runtime + L->runtime_interp_head, &interp);
	if (err)
		return err;
	for (i = 0; interp && i < MAX_INTERPRETERS; i++) {
		if (!py_valid_ptr(interp, 8))
			return -EFAULT;
		err = py_read_ptr(m, interp + L->interp_threads_head, &ts);
		if (err)
			return err;
		for (; ts && budget > 0; budget--) {
			if (!py_valid_ptr(ts, 8))
				return -EFAULT;
			if (tstate_matches(m, L, ts, key)) {
				*out = ts;
				return 1;
			}
			err = py_read_ptr(m, ts + L->tstate_next, &ts);
			if (err)
				return err;
		}
		err = py_read_ptr(m, interp + L->interp_next, &interp);
		if (err)
			return err;
	}
	return 0;
}

/*
 * 3.13+: checks the row against the _Py_DebugOffsets that CPython keeps at
 * the start of _PyRuntime, so a build with another layout (a patch release
 * that moved a field, a free-threaded build) is refused rather than misread.
 */
int py_check_debug_offsets(const struct mem_reader *m, const struct py_layout *L, uint64_t runtime)
{
	uint8_t buf[DEBUG_SIZE];
	uint64_t version;
	size_t i;

	if (!L->debug)
		return 0;
	if (py_read_mem(m, runtime, buf, sizeof(buf)) || memcmp(buf, DEBUG_COOKIE, 8))
		return -EPROTONOSUPPORT;
	version = py_get_u64(buf, DEBUG_VERSION);
	if (((version >> 24) & 0xff) != (uint64_t)L->major || ((version >> 16) & 0xff) != (uint64_t)L->minor ||
	    py_get_u64(buf, DEBUG_FREE_THREADED))
		return -EPROTONOSUPPORT;
	for (i = 0; i < L->n_debug; i++) {
		uint16_t want;

		memcpy(&want, (const uint8_t *)L + L->debug[i].field, sizeof(want));
		if (L->debug[i].pos + 8u > sizeof(buf) || py_get_u64(buf, L->debug[i].pos) != want)
			return -EPROTONOSUPPORT;
	}
	return 0;
}

int py_stack_read_mem_ex(const struct mem_reader *mem, const char *version, uint64_t runtime_addr,
			 int pthread_tid_offset, pid_t tid, struct py_frame *frames, int max)
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
	switch (L->frames) {
	case PY_FRAME_OBJECT: r = walk_frame_objects(mem, L, tstate, w); break;
	case PY_INTERP_FRAME: r = walk_interp_frames(mem, L, tstate, w); break;
	default: r = -EPROTONOSUPPORT; break;
	}
	if (r > 0) {
		py_name_tasks(mem, L, w, r);
		if (r > max)
			r = max; /* the peek frame */
	}
	free(w);
	return r;
}

int py_stack_read_mem(const struct mem_reader *mem, const char *version, uint64_t runtime_addr, pid_t tid,
		      struct py_frame *frames, int max)
{
	return py_stack_read_mem_ex(mem, version, runtime_addr, -1, tid, frames, max);
}

/* ---- live processes ----------------------------------------------------- */

static int vm_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	pid_t pid = *(pid_t *)ctx;
	struct iovec local = {buf, len};
	struct iovec remote = {(void *)(uintptr_t)addr, len};
	ssize_t r;

	if (!len)
		return 0;
	r = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	if (r < 0)
		return -errno;
	return (size_t)r == len ? 0 : -EFAULT; /* short: ran into an unmapped page */
}

/*
 * 3.8-3.10 thread states know their thread only as pthread_self(), the
 * address of the C library's struct pthread, which holds the kernel tid.
 * glibc publishes where, for libthread_db: _thread_db_pthread_tid in
 * libc.so.6 is {bits, count, offset} of that field. We take the offset from
 * there (exact for whatever glibc the target runs, nothing guessed) and check
 * it on the main thread (_PyRuntime.main_thread), whose tid is the pid.
 * Without glibc's descriptor (musl, static builds) we search the main thread's
 * struct pthread for the pid and accept it only if it occurs exactly once: a
 * pointer or random word that happens to equal the pid makes it ambiguous, and
 * we give up rather than match threads wrongly. Returns the offset or -errno.
 */
static int find_pthread_tid_offset(const struct mem_reader *m, const struct py_layout *L, pid_t pid, uint64_t runtime)
{
	uint8_t pt[PTHREAD_SCAN];
	uint64_t main_thread, addr;
	uint32_t desc[3];
	int32_t tid;
	int off, found = -1;

	if (py_read_ptr(m, runtime + L->runtime_main_thread, &main_thread))
		return -EFAULT;
	if (!py_valid_ptr(main_thread, 8))
		return -EAGAIN; /* not initialized yet */
	if (!py_elf_libc_symbol(pid, "_thread_db_pthread_tid", &addr) && !py_read_mem(m, addr, desc, sizeof(desc)) &&
	    desc[0] == 32 && desc[1] == 1 && desc[2] < PTHREAD_SCAN &&
	    !py_read_mem(m, main_thread + desc[2], &tid, sizeof(tid)) && tid == pid)
		return desc[2];
	if (py_read_mem(m, main_thread, pt, sizeof(pt)))
		return -EFAULT;
	for (off = 0; off + 4 <= PTHREAD_SCAN; off += 4) {
		if (py_get_i32(pt, off) != pid)
			continue;
		if (found >= 0)
			return -ENOTSUP; /* ambiguous */
		found = off;
	}
	return found >= 0 ? found : -ENOTSUP;
}

/* Learns the struct pthread layout once, when first needed (3.8-3.10). */
static int ensure_pthread_tid_offset(struct py_process *p)
{
	struct mem_reader mem = {vm_read, &p->pid};
	int r;

	if (p->layout->tstate_native_thread_id || p->pthread_tid_offset >= 0)
		return 0;
	r = find_pthread_tid_offset(&mem, p->layout, p->pid, p->runtime_addr);
	if (r < 0)
		return r;
	p->pthread_tid_offset = r;
	return 0;
}

int py_process_open(pid_t pid, struct py_process **out)
{
	struct mem_reader mem = {vm_read, &pid};
	struct py_elf_info *info;
	const struct py_layout *L;
	struct py_process *p;
	int err;

	if (!out || pid <= 0)
		return -EINVAL;
	info = malloc(sizeof(*info)); /* has a PATH_MAX buffer: keep it off the stack */
	if (!info)
		return -ENOMEM;
	err = py_elf_find(pid, info);
	if (err)
		goto out;
	L = py_find_layout(info->major, info->minor);
	if (!L) {
		err = -EPROTONOSUPPORT;
		goto out;
	}
	err = py_check_debug_offsets(&mem, L, info->runtime_addr);
	if (err)
		goto out;
	p = calloc(1, sizeof(*p));
	if (!p) {
		err = -ENOMEM;
		goto out;
	}
	p->pid = pid;
	p->layout = L;
	p->runtime_addr = info->runtime_addr;
	p->pthread_tid_offset = -1;
	snprintf(p->version, sizeof(p->version), "%d.%d", L->major, L->minor);
	/* may fail while the interpreter starts up: py_stack_read() tries again */
	ensure_pthread_tid_offset(p);
	*out = p;
out:
	free(info);
	return err;
}

int py_process_pthread_tid_offset(struct py_process *p)
{
	int r = ensure_pthread_tid_offset(p);

	if (r)
		return r;
	return p->layout->tstate_native_thread_id ? 0 : p->pthread_tid_offset;
}

const char *py_process_version(const struct py_process *p)
{
	return p->version;
}

uint64_t py_process_runtime_addr(const struct py_process *p)
{
	return p->runtime_addr;
}

int py_stack_read(struct py_process *p, pid_t tid, struct py_frame *frames, int max)
{
	struct mem_reader mem = {vm_read, &p->pid};
	int r, tries;

	r = ensure_pthread_tid_offset(p);
	if (r)
		return r;

	/*
	 * A thread running Python code pushes and pops frames while we read, so
	 * a walk can meet a half-built frame or a stale C-stack _PyCFrame. Such
	 * torn reads show up as -EFAULT/-EINVAL/-ELOOP; a quick retry usually
	 * succeeds. A stalled thread does not move, so this is rarely needed.
	 */
	for (tries = 0; tries < 3; tries++) {
		r = py_stack_read_mem_ex(&mem, p->version, p->runtime_addr, p->pthread_tid_offset, tid, frames, max);
		if (r != -EFAULT && r != -EINVAL && r != -ELOOP)
			break;
	}
	return r;
}

int py_gil_state(struct py_process *p, bool *locked, pid_t *holder_tid)
{
	struct mem_reader mem = {vm_read, &p->pid};
	int r;

	if (!locked || !holder_tid)
		return -EINVAL;
	r = ensure_pthread_tid_offset(p);
	if (r)
		return r;
	return py_gil_state_mem(&mem, p->version, p->runtime_addr, p->pthread_tid_offset, locked, holder_tid);
}

void py_process_close(struct py_process *p)
{
	free(p);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Reads the Python stack of one thread of a live CPython process from the
 * outside, with process_vm_readv() only: no ptrace stop, nothing injected.
 *
 * All knowledge of CPython's private struct layouts lives in py_layouts[]
 * below, one row per major.minor. The walk is:
 *
 *   _PyRuntime.interpreters.head -> PyInterpreterState (->next ...)
 *     .threads.head -> PyThreadState (->next ...), matched on native_thread_id
 *       ->cframe->current_frame -> _PyInterpreterFrame (->previous ...)
 *         ->f_code -> PyCodeObject: co_qualname, co_filename, co_linetable
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
#include "python_stack.h"

#define MAX_INTERPRETERS 64
#define MAX_THREADS 4096      /* thread states visited, all interpreters together */
#define MAX_FRAME_STEPS 1024  /* frames visited, including skipped shim frames */
#define MAX_LINETABLE 65536   /* bytes of co_linetable read; beyond it line = 0 */
#define USER_ADDR_END 0x0000800000000000ULL /* x86-64/arm64 48-bit user space */

/* Code flags that make a frame a coroutine (Include/cpython/code.h). */
#define CO_COROUTINE 0x0080
#define CO_ITERABLE_COROUTINE 0x0100
#define CO_ASYNC_GENERATOR 0x0200

/* How a version links its frames. */
enum py_frame_style {
	/* 3.11, 3.12: tstate->cframe->current_frame, _PyInterpreterFrame, prev_instr */
	PY_FRAMES_CFRAME,
};

/* How a version maps an instruction to its line. */
enum py_line_style {
	/* 3.11+: co_linetable is a location table, code units are 2 bytes */
	PY_LINES_LOCATIONS,
};

/*
 * Offsets into CPython's structs for one version. Values come from the
 * version's headers; tools/check-python-offsets.c prints them.
 */
struct py_layout {
	int major, minor;
	enum py_frame_style frames;
	enum py_line_style lines;
	int owner_generator;	/* FRAME_OWNED_BY_GENERATOR */
	int owner_cstack;	/* FRAME_OWNED_BY_CSTACK (shim frames to skip), -1 if none */
	/* _PyRuntimeState */
	uint16_t runtime_interp_head;
	/* PyInterpreterState */
	uint16_t interp_next;
	uint16_t interp_threads_head;
	/* PyThreadState and _PyCFrame */
	uint16_t tstate_next;
	uint16_t tstate_native_thread_id;
	uint16_t tstate_cframe;
	uint16_t cframe_current_frame;
	/* _PyInterpreterFrame */
	uint16_t frame_code;
	uint16_t frame_previous;
	uint16_t frame_prev_instr;
	uint16_t frame_owner;
	/* PyCodeObject */
	uint16_t code_flags;
	uint16_t code_firstlineno;
	uint16_t code_filename;
	uint16_t code_name;
	uint16_t code_qualname;
	uint16_t code_linetable;
	uint16_t code_firsttraceable;
	uint16_t code_adaptive;	/* co_code_adaptive: first code unit */
	/* PyASCIIObject / PyCompactUnicodeObject: data follows the struct */
	uint16_t unicode_length;
	uint16_t unicode_state;
	uint16_t unicode_ascii_data;
	uint16_t unicode_compact_data;
	/* PyBytesObject */
	uint16_t bytes_size;
	uint16_t bytes_data;
};

static const struct py_layout py_layouts[] = {
	{
		.major = 3, .minor = 11,
		.frames = PY_FRAMES_CFRAME,
		.lines = PY_LINES_LOCATIONS,
		.owner_generator = 1,
		.owner_cstack = -1,
		.runtime_interp_head = 40,
		.interp_next = 0,
		.interp_threads_head = 16,
		.tstate_next = 8,
		.tstate_native_thread_id = 160,
		.tstate_cframe = 56,
		.cframe_current_frame = 8,
		.frame_code = 32,
		.frame_previous = 48,
		.frame_prev_instr = 56,
		.frame_owner = 69,
		.code_flags = 48,
		.code_firstlineno = 72,
		.code_filename = 112,
		.code_name = 120,
		.code_qualname = 128,
		.code_linetable = 136,
		.code_firsttraceable = 168,
		.code_adaptive = 184,
		.unicode_length = 16,
		.unicode_state = 32,
		.unicode_ascii_data = 48,
		.unicode_compact_data = 72,
		.bytes_size = 16,
		.bytes_data = 32,
	},
	{
		.major = 3, .minor = 12,
		.frames = PY_FRAMES_CFRAME,
		.lines = PY_LINES_LOCATIONS,
		.owner_generator = 1,
		.owner_cstack = 3,
		.runtime_interp_head = 40,
		.interp_next = 0,
		.interp_threads_head = 72,
		.tstate_next = 8,
		.tstate_native_thread_id = 144,
		.tstate_cframe = 56,
		.cframe_current_frame = 0,
		.frame_code = 0,
		.frame_previous = 8,
		.frame_prev_instr = 56,
		.frame_owner = 70,
		.code_flags = 48,
		.code_firstlineno = 68,
		.code_filename = 112,
		.code_name = 120,
		.code_qualname = 128,
		.code_linetable = 136,
		.code_firsttraceable = 176,
		.code_adaptive = 192,
		.unicode_length = 16,
		.unicode_state = 32,
		.unicode_ascii_data = 40,
		.unicode_compact_data = 56,
		.bytes_size = 16,
		.bytes_data = 32,
	},
};

struct py_process {
	pid_t pid;
	const struct py_layout *layout;
	uint64_t runtime_addr;
	char version[16];
};

static const struct py_layout *find_layout(int major, int minor)
{
	size_t i;

	for (i = 0; i < sizeof(py_layouts) / sizeof(py_layouts[0]); i++)
		if (py_layouts[i].major == major && py_layouts[i].minor == minor)
			return &py_layouts[i];
	return NULL;
}

static const struct py_layout *layout_by_name(const char *version)
{
	int major, minor;
	char end;

	if (!version || sscanf(version, "%d.%d%c", &major, &minor, &end) != 2)
		return NULL;
	return find_layout(major, minor);
}

/* A pointer we are willing to dereference: non-NULL, aligned, user space. */
static bool valid_ptr(uint64_t p, uint64_t align)
{
	return p && p < USER_ADDR_END && !(p & (align - 1));
}

static uint64_t get_u64(const uint8_t *buf, size_t off)
{
	uint64_t v;

	memcpy(&v, buf + off, sizeof(v));
	return v;
}

static int32_t get_i32(const uint8_t *buf, size_t off)
{
	int32_t v;

	memcpy(&v, buf + off, sizeof(v));
	return v;
}

static int read_mem(const struct mem_reader *m, uint64_t addr, void *buf, size_t len)
{
	if (addr >= USER_ADDR_END || len > USER_ADDR_END - addr)
		return -EFAULT;
	return m->read(m->ctx, addr, buf, len);
}

static int read_ptr(const struct mem_reader *m, uint64_t addr, uint64_t *out)
{
	return read_mem(m, addr, out, sizeof(*out));
}

/* ---- line numbers ---------------------------------------------------- */

/* Varint of the location table: 6 bits per byte, 0x40 = more bytes follow. */
static int lt_varint(const uint8_t *t, size_t len, size_t *pos, uint32_t *out)
{
	uint32_t v = 0;
	unsigned int shift = 0;
	uint8_t b;

	do {
		if (*pos >= len || shift > 24)
			return -1;
		b = t[(*pos)++];
		v |= (uint32_t)(b & 0x3f) << shift;
		shift += 6;
	} while (b & 0x40);
	*out = v;
	return 0;
}

static int lt_svarint(const uint8_t *t, size_t len, size_t *pos, int64_t *out)
{
	uint32_t u;

	if (lt_varint(t, len, pos, &u))
		return -1;
	*out = (u & 1) ? -(int64_t)(u >> 1) : (int64_t)(u >> 1);
	return 0;
}

/*
 * Each entry: a byte 1CCCCLLL (code C, L+1 code units) then code-specific
 * bytes. Only the line delta matters here; columns are skipped.
 */
int py_location_table_line(const uint8_t *table, size_t len, int firstlineno, int addr)
{
	int64_t line = firstlineno, delta;
	int64_t start = 0, end;
	size_t pos = 0;

	if (addr < 0)
		return firstlineno;
	while (pos < len) {
		uint8_t b = table[pos++];
		int code = (b >> 3) & 15;
		bool has_line = true;
		uint32_t skip;

		if (!(b & 0x80))
			return -1; /* not an entry start: corrupt table */
		delta = 0;
		switch (code) {
		case 15: /* no location */
			has_line = false;
			break;
		case 14: /* long form: line, end line, column, end column */
			if (lt_svarint(table, len, &pos, &delta) ||
			    lt_varint(table, len, &pos, &skip) ||
			    lt_varint(table, len, &pos, &skip) ||
			    lt_varint(table, len, &pos, &skip))
				return -1;
			break;
		case 13: /* no column info */
			if (lt_svarint(table, len, &pos, &delta))
				return -1;
			break;
		case 10: case 11: case 12: /* one line form: delta 0..2, two column bytes */
			delta = code - 10;
			pos += 2;
			break;
		default: /* short form 0-9: same line, one column byte */
			pos += 1;
			break;
		}
		line += delta;
		end = start + ((b & 7) + 1) * 2;
		if (addr < end)
			return has_line && line > 0 && line <= INT32_MAX ? (int)line : -1;
		start = end;
	}
	return -1;
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
static int read_str(const struct mem_reader *m, const struct py_layout *L,
		    uint64_t obj, char *dst, size_t cap)
{
	uint8_t hdr[128], raw[4 * 256];
	unsigned int kind, compact, ascii;
	size_t n, i, out = 0;
	uint32_t state;
	int64_t length;
	int err;

	dst[0] = '\0';
	if (!valid_ptr(obj, 8) || L->unicode_compact_data > sizeof(hdr) || cap > 256)
		return -EFAULT;
	err = read_mem(m, obj, hdr, L->unicode_compact_data);
	if (err)
		return err;
	length = (int64_t)get_u64(hdr, L->unicode_length);
	state = (uint32_t)get_i32(hdr, L->unicode_state);
	/* bitfield: interned:2, kind:3, compact:1, ascii:1 (3.8 - 3.13) */
	kind = (state >> 2) & 7;
	compact = (state >> 5) & 1;
	ascii = (state >> 6) & 1;
	if (length < 0 || !compact || (kind != 1 && kind != 2 && kind != 4) || (ascii && kind != 1))
		return -EINVAL;
	n = (uint64_t)length < cap - 1 ? (size_t)length : cap - 1;
	err = read_mem(m, obj + (ascii ? L->unicode_ascii_data : L->unicode_compact_data), raw, n * kind);
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

/* Reads co_linetable and returns the line of byte offset addr, 0 if unknown. */
static int code_line(const struct mem_reader *m, const struct py_layout *L,
		     uint64_t table, int firstlineno, int64_t addr)
{
	uint8_t hdr[64], *buf;
	int64_t size;
	int line = 0;

	if (!valid_ptr(table, 8) || addr > INT32_MAX || L->bytes_data > sizeof(hdr))
		return 0;
	if (read_mem(m, table, hdr, L->bytes_data))
		return 0;
	size = (int64_t)get_u64(hdr, L->bytes_size);
	if (size <= 0)
		return 0;
	if (size > MAX_LINETABLE)
		size = MAX_LINETABLE;
	buf = malloc(size);
	if (!buf)
		return 0;
	if (!read_mem(m, table + L->bytes_data, buf, size))
		line = py_location_table_line(buf, size, firstlineno, (int)addr);
	free(buf);
	return line > 0 ? line : 0;
}

/*
 * Fills out from the code object of one frame. Returns 1 if filled, 0 if the
 * frame is not started yet (skipped, like CPython's tracebacks do), or -errno.
 */
static int read_code(const struct mem_reader *m, const struct py_layout *L,
		     uint64_t code, uint64_t prev_instr, int owner, struct py_frame *out)
{
	uint8_t buf[256];
	int64_t lasti;
	int32_t flags;
	int err;

	if (!valid_ptr(code, 8) || L->code_adaptive > sizeof(buf))
		return -EFAULT;
	err = read_mem(m, code, buf, L->code_adaptive);
	if (err)
		return err;
	/* index of the last code unit started; -1 before the first */
	lasti = ((int64_t)(prev_instr - (code + L->code_adaptive))) / 2;
	if (owner != L->owner_generator && lasti < get_i32(buf, L->code_firsttraceable))
		return 0; /* _PyFrame_IsIncomplete() */

	memset(out, 0, sizeof(*out));
	if (read_str(m, L, get_u64(buf, L->code_qualname), out->function, sizeof(out->function)) ||
	    !out->function[0]) {
		err = read_str(m, L, get_u64(buf, L->code_name), out->function, sizeof(out->function));
		if (err)
			return err;
	}
	err = read_str(m, L, get_u64(buf, L->code_filename), out->file, sizeof(out->file));
	if (err)
		return err;
	flags = get_i32(buf, L->code_flags);
	out->coroutine = flags & (CO_COROUTINE | CO_ITERABLE_COROUTINE | CO_ASYNC_GENERATOR);
	out->line = code_line(m, L, get_u64(buf, L->code_linetable),
			      get_i32(buf, L->code_firstlineno), lasti * 2);
	return 1;
}

static int walk_frames(const struct mem_reader *m, const struct py_layout *L,
		       uint64_t tstate, struct py_frame *frames, int max)
{
	uint64_t cframe, frame, seen[MAX_FRAME_STEPS];
	uint8_t buf[128];
	int n = 0, steps, err, i;

	if (L->frame_owner >= sizeof(buf))
		return -EINVAL;
	err = read_ptr(m, tstate + L->tstate_cframe, &cframe);
	if (err)
		return err;
	if (!cframe)
		return 0;
	if (!valid_ptr(cframe, 8))
		return -EFAULT;
	err = read_ptr(m, cframe + L->cframe_current_frame, &frame);
	if (err)
		return err;

	for (steps = 0; frame && n < max && steps < MAX_FRAME_STEPS; steps++) {
		uint64_t code, prev_instr;
		int owner;

		if (!valid_ptr(frame, 8)) {
			err = -EFAULT;
			break;
		}
		for (i = 0; i < steps && seen[i] != frame; i++)
			;
		if (i < steps) {
			err = -ELOOP;
			break;
		}
		seen[steps] = frame;
		err = read_mem(m, frame, buf, L->frame_owner + 1);
		if (err)
			break;
		code = get_u64(buf, L->frame_code);
		prev_instr = get_u64(buf, L->frame_prev_instr);
		owner = (int8_t)buf[L->frame_owner];
		frame = get_u64(buf, L->frame_previous);
		if (owner == L->owner_cstack)
			continue; /* 3.12+ shim frame pushed by C code, not Python */
		err = read_code(m, L, code, prev_instr, owner, &frames[n]);
		if (err < 0)
			break;
		n += err;
		err = 0;
	}
	/* Garbage part way up the stack (the target kept running): keep what we have */
	return n ? n : err;
}

/* Finds the PyThreadState whose native_thread_id is tid: 1 found, 0 not, -errno. */
static int find_tstate(const struct mem_reader *m, const struct py_layout *L,
		       uint64_t runtime, pid_t tid, uint64_t *out)
{
	uint64_t interp, ts, id;
	int i, budget = MAX_THREADS, err;

	err = read_ptr(m, runtime + L->runtime_interp_head, &interp);
	if (err)
		return err;
	for (i = 0; interp && i < MAX_INTERPRETERS; i++) {
		if (!valid_ptr(interp, 8))
			return -EFAULT;
		err = read_ptr(m, interp + L->interp_threads_head, &ts);
		if (err)
			return err;
		for (; ts && budget > 0; budget--) {
			if (!valid_ptr(ts, 8))
				return -EFAULT;
			err = read_ptr(m, ts + L->tstate_native_thread_id, &id);
			if (err)
				return err;
			if (id == (uint64_t)tid) {
				*out = ts;
				return 1;
			}
			err = read_ptr(m, ts + L->tstate_next, &ts);
			if (err)
				return err;
		}
		err = read_ptr(m, interp + L->interp_next, &interp);
		if (err)
			return err;
	}
	return 0;
}

int py_stack_read_mem(const struct mem_reader *mem, const char *version, uint64_t runtime_addr,
		      pid_t tid, struct py_frame *frames, int max)
{
	const struct py_layout *L;
	uint64_t tstate = 0;
	int r;

	if (!mem || !mem->read || !version || (max > 0 && !frames) || max < 0)
		return -EINVAL;
	L = layout_by_name(version);
	if (!L)
		return -EPROTONOSUPPORT;
	if (!valid_ptr(runtime_addr, 8))
		return -EFAULT;
	if (!max)
		return 0;
	r = find_tstate(mem, L, runtime_addr, tid, &tstate);
	if (r <= 0)
		return r;
	switch (L->frames) {
	case PY_FRAMES_CFRAME:
		return walk_frames(mem, L, tstate, frames, max);
	}
	return -EPROTONOSUPPORT;
}

/* ---- live processes ----------------------------------------------------- */

static int vm_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	pid_t pid = *(pid_t *)ctx;
	struct iovec local = { buf, len };
	struct iovec remote = { (void *)(uintptr_t)addr, len };
	ssize_t r;

	if (!len)
		return 0;
	r = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	if (r < 0)
		return -errno;
	return (size_t)r == len ? 0 : -EFAULT; /* short: ran into an unmapped page */
}

int py_process_open(pid_t pid, struct py_process **out)
{
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
	L = find_layout(info->major, info->minor);
	if (!L) {
		err = -EPROTONOSUPPORT;
		goto out;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		err = -ENOMEM;
		goto out;
	}
	p->pid = pid;
	p->layout = L;
	p->runtime_addr = info->runtime_addr;
	snprintf(p->version, sizeof(p->version), "%d.%d", L->major, L->minor);
	*out = p;
out:
	free(info);
	return err;
}

const char *py_process_version(const struct py_process *p)
{
	return p->version;
}

uint64_t py_process_runtime_addr(const struct py_process *p)
{
	return p->runtime_addr;
}

pid_t py_process_pid(const struct py_process *p)
{
	return p->pid;
}

int py_stack_read(struct py_process *p, pid_t tid, struct py_frame *frames, int max)
{
	struct mem_reader mem = { vm_read, &p->pid };
	int r, tries;

	/*
	 * A thread running Python code pushes and pops frames while we read, so
	 * a walk can meet a half-built frame or a stale C-stack _PyCFrame. Such
	 * torn reads show up as -EFAULT/-EINVAL/-ELOOP; a quick retry usually
	 * succeeds. A stalled thread does not move, so this is rarely needed.
	 */
	for (tries = 0; tries < 3; tries++) {
		r = py_stack_read_mem(&mem, p->version, p->runtime_addr, tid, frames, max);
		if (r != -EFAULT && r != -EINVAL && r != -ELOOP)
			break;
	}
	return r;
}

void py_process_close(struct py_process *p)
{
	free(p);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Reads the Python stack of one thread of a live CPython process from the
 * outside, with process_vm_readv() only: no ptrace stop, nothing injected.
 *
 * All knowledge of CPython's private struct layouts lives in py_layouts[]
 * below, one row per major.minor (3.8 to 3.13). The walk is:
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
 *            and the line table of that version
 *
 * asyncio task names (name_tasks): the coroutine frame called by
 * Handle._run gets the name of the task being stepped: Handle._run's self
 * ->_callback (slot offset from its type's tp_members) -> the C Task, whose
 * task_coro must be that frame's coroutine.
 *
 * The GIL (py_gil_state): struct _gil_runtime_state, at _PyRuntime.ceval.gil
 * (3.8-3.11) or through the main interpreter's ceval.gil pointer (3.12+);
 * while locked, last_holder is the holder's thread state.
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
#define MAX_THREADS	 4096		       /* thread states visited, all interpreters together */
#define MAX_FRAME_STEPS	 1024		       /* frames visited, including skipped shim frames */
#define MAX_LINETABLE	 65536		       /* bytes of line table read; beyond it line = 0 */
#define PTHREAD_SCAN	 1024		       /* bytes of struct pthread searched for the tid */
#define USER_ADDR_END	 0x0000800000000000ULL /* x86-64/arm64 48-bit user space */
#define ARRAY_SIZE(a)	 (sizeof(a) / sizeof((a)[0]))

/* Code flags that make a frame a coroutine (Include/cpython/code.h). */
#define CO_COROUTINE	      0x0080
#define CO_ITERABLE_COROUTINE 0x0100
#define CO_ASYNC_GENERATOR    0x0200

/* How a version links its frames. */
enum py_frame_model {
	/* 3.8-3.10: tstate->frame, PyFrameObject ->f_back, int f_lasti */
	PY_FRAME_OBJECT,
	/* 3.11+: _PyInterpreterFrame ->previous, pointer to the current code unit */
	PY_INTERP_FRAME,
};

/* How a version maps an instruction to its line. */
enum py_line_style {
	/* 3.8, 3.9: co_lnotab (byte offset, line delta) pairs, f_lasti in bytes */
	PY_LINES_LNOTAB,
	/* 3.10: co_linetable (length, line delta) pairs, f_lasti in code units */
	PY_LINES_310,
	/* 3.11+: co_linetable is a location table, code units are 2 bytes */
	PY_LINES_LOCATIONS,
};

/*
 * 3.13+ _PyRuntime starts with _Py_DebugOffsets, written by CPython for
 * out-of-process debuggers: pos is where a u64 offset sits in it, field the
 * py_layout member that must hold the same value.
 */
struct py_debug_field {
	uint16_t pos;
	uint16_t field; /* offsetof(struct py_layout, ...) of a uint16_t */
};

/*
 * Offsets into CPython's structs for one version. Values come from the
 * version's headers; tools/check-python-offsets.c prints them. The private
 * TaskObj of _asyncio is not in any header: those come from the C source.
 */
struct py_layout {
	int major, minor;
	enum py_frame_model frames;
	enum py_line_style lines;
	int owner_generator;		    /* FRAME_OWNED_BY_GENERATOR (3.11+) */
	int owner_cstack;		    /* FRAME_OWNED_BY_CSTACK (shim frames to skip), -1 if none */
	const struct py_debug_field *debug; /* 3.13+: checked against _Py_DebugOffsets */
	size_t n_debug;
	/* _PyRuntimeState */
	uint16_t runtime_interp_head;
	uint16_t runtime_main_thread; /* 3.8-3.10: pthread_self() of the main thread */
	uint16_t runtime_interp_main; /* 3.12+: interpreters.main */
	uint16_t runtime_gil;	      /* 3.8-3.11: ceval.gil, one GIL for the process; 0 after */
	/* PyInterpreterState */
	uint16_t interp_next;
	uint16_t interp_threads_head;
	uint16_t interp_gil; /* 3.12+: ceval.gil, pointer: a GIL per interpreter */
	/* struct _gil_runtime_state */
	uint16_t gil_last_holder;   /* PyThreadState *, kept after the GIL is dropped */
	uint16_t gil_locked;	    /* int: 1 taken, 0 free, -1 not created (yet or any more) */
	uint16_t gil_switch_number; /* unsigned long, bumped when last_holder changes */
	/* PyThreadState */
	uint16_t tstate_next;
	uint16_t tstate_thread_id;	  /* 3.8-3.10: pthread_self() */
	uint16_t tstate_native_thread_id; /* 3.11+: kernel tid */
	uint16_t tstate_frame;		  /* frame (3.8-3.10), cframe (3.11, 3.12), current_frame (3.13) */
	int16_t cframe_current_frame;	  /* 3.11, 3.12: in _PyCFrame; -1: no _PyCFrame */
	/* PyFrameObject (3.8-3.10) or _PyInterpreterFrame (3.11+) */
	uint16_t frame_code;	 /* f_code; 3.13: f_executable */
	uint16_t frame_previous; /* f_back or previous */
	uint16_t frame_lasti;	 /* PyFrameObject: int f_lasti */
	uint16_t frame_instr;	 /* _PyInterpreterFrame: prev_instr; 3.13: instr_ptr */
	uint16_t frame_owner;	 /* _PyInterpreterFrame: char owner */
	/* PyCodeObject */
	uint16_t code_flags;
	uint16_t code_firstlineno;
	uint16_t code_filename;
	uint16_t code_name;
	uint16_t code_qualname;	      /* 3.11+, 0 before */
	uint16_t code_linetable;      /* co_lnotab in 3.8, 3.9 */
	uint16_t code_firsttraceable; /* 3.11+ */
	uint16_t code_adaptive;	      /* 3.11+: co_code_adaptive, the first code unit */
	/* PyASCIIObject / PyCompactUnicodeObject: data follows the struct */
	uint16_t unicode_length;
	uint16_t unicode_state;
	uint16_t unicode_ascii_data;
	uint16_t unicode_compact_data;
	/* PyBytesObject */
	uint16_t bytes_size;
	uint16_t bytes_data;
	/* asyncio task names (see task_name()) */
	uint16_t frame_gen;	   /* PyFrameObject: f_gen, the coroutine (3.8-3.10) */
	uint16_t frame_localsplus; /* PyFrameObject or _PyInterpreterFrame: the first local */
	uint16_t gen_iframe;	   /* 3.11+: PyCoroObject.cr_iframe, the frame lives in the coroutine */
	uint16_t type_name;	   /* PyTypeObject: tp_name, a C string */
	uint16_t type_members;	   /* tp_members, PyMemberDef[] (heap types: their __slots__) */
	uint16_t type_base;	   /* tp_base */
	uint16_t cfunc_self;	   /* PyCFunctionObject: m_self */
	uint16_t wrapper_task;	   /* _asyncio TaskStepMethWrapper.sw_task, TaskWakeupMethWrapper.ww_task */
	uint16_t task_coro;	   /* _asyncio TaskObj (private, Modules/_asynciomodule.c) */
	uint16_t task_name;
	uint16_t long_size;	   /* PyLongObject: ob_size (3.8-3.11) or lv_tag (3.12+) */
	uint16_t long_digit;	   /* ob_digit[0] */
	bool long_tagged;	   /* 3.12+: lv_tag = digits << 3 | sign */
};

#define DEBUG_FIELD(pos, member)                                                                                       \
	{                                                                                                              \
		pos, offsetof(struct py_layout, member)                                                                \
	}

/* Positions in 3.13's _Py_DebugOffsets (Include/internal/pycore_runtime.h). */
static const struct py_debug_field py_debug_313[] = {
	DEBUG_FIELD(40, runtime_interp_head),	   /* runtime_state.interpreters_head */
	DEBUG_FIELD(64, interp_next),		   /* interpreter_state.next */
	DEBUG_FIELD(72, interp_threads_head),	   /* interpreter_state.threads_head */
	DEBUG_FIELD(168, tstate_next),		   /* thread_state.next */
	DEBUG_FIELD(184, tstate_frame),		   /* thread_state.current_frame */
	DEBUG_FIELD(200, tstate_native_thread_id), /* thread_state.native_thread_id */
	DEBUG_FIELD(232, frame_previous),	   /* interpreter_frame.previous */
	DEBUG_FIELD(240, frame_code),		   /* interpreter_frame.executable */
	DEBUG_FIELD(248, frame_instr),		   /* interpreter_frame.instr_ptr */
	DEBUG_FIELD(264, frame_owner),		   /* interpreter_frame.owner */
	DEBUG_FIELD(280, code_filename),	   /* code_object.filename */
	DEBUG_FIELD(288, code_name),		   /* code_object.name */
	DEBUG_FIELD(296, code_qualname),	   /* code_object.qualname */
	DEBUG_FIELD(304, code_linetable),	   /* code_object.linetable */
	DEBUG_FIELD(312, code_firstlineno),	   /* code_object.firstlineno */
	DEBUG_FIELD(344, code_adaptive),	   /* code_object.co_code_adaptive */
	DEBUG_FIELD(520, bytes_size),		   /* bytes_object.ob_size */
	DEBUG_FIELD(528, bytes_data),		   /* bytes_object.ob_sval */
	DEBUG_FIELD(544, unicode_state),	   /* unicode_object.state */
	DEBUG_FIELD(552, unicode_length),	   /* unicode_object.length */
	DEBUG_FIELD(560, unicode_ascii_data),	   /* unicode_object.asciiobject_size */
};

#define DEBUG_COOKIE	    "xdebugpy"
#define DEBUG_VERSION	    8	/* u64 PY_VERSION_HEX */
#define DEBUG_FREE_THREADED 16	/* u64, 1 in --disable-gil builds (other layouts) */
#define DEBUG_SIZE	    584 /* sizeof(_Py_DebugOffsets) in 3.13 */

static const struct py_layout py_layouts[] = {
	{
		.major = 3,
		.minor = 8,
		.frames = PY_FRAME_OBJECT,
		.lines = PY_LINES_LNOTAB,
		.owner_generator = -1,
		.owner_cstack = -1,
		.runtime_interp_head = 32,
		.runtime_main_thread = 72,
		.interp_next = 0,
		.interp_threads_head = 8,
		.runtime_gil = 1152,
		.gil_last_holder = 8,
		.gil_locked = 16,
		.gil_switch_number = 24,
		.tstate_next = 8,
		.tstate_thread_id = 176,
		.tstate_frame = 24,
		.cframe_current_frame = -1,
		.frame_code = 32,
		.frame_previous = 24,
		.frame_lasti = 104,
		.code_flags = 36,
		.code_firstlineno = 40,
		.code_filename = 104,
		.code_name = 112,
		.code_linetable = 120,
		.unicode_length = 16,
		.unicode_state = 32,
		.unicode_ascii_data = 48,
		.unicode_compact_data = 72,
		.bytes_size = 16,
		.bytes_data = 32,
		.frame_gen = 96,
		.frame_localsplus = 360,
		.type_name = 24,
		.type_members = 240,
		.type_base = 256,
		.cfunc_self = 24,
		.wrapper_task = 16,
		/*
		 * private TaskObj, Modules/_asynciomodule.c of v3.8.18 (checked on that build):
		 * HEAD 16, 7 pointers, state/log_tb/blocking, dict, weakreflist; task_fut_waiter 104
		 */
		.task_coro = 112,
		.task_name = 120,
		.long_size = 16,
		.long_digit = 24,
	},
	{
		.major = 3,
		.minor = 9,
		.frames = PY_FRAME_OBJECT,
		.lines = PY_LINES_LNOTAB,
		.owner_generator = -1,
		.owner_cstack = -1,
		.runtime_interp_head = 32,
		.runtime_main_thread = 72,
		.interp_next = 0,
		.interp_threads_head = 8,
		.runtime_gil = 352,
		.gil_last_holder = 8,
		.gil_locked = 16,
		.gil_switch_number = 24,
		.tstate_next = 8,
		.tstate_thread_id = 176,
		.tstate_frame = 24,
		.cframe_current_frame = -1,
		.frame_code = 32,
		.frame_previous = 24,
		.frame_lasti = 104,
		.code_flags = 36,
		.code_firstlineno = 40,
		.code_filename = 104,
		.code_name = 112,
		.code_linetable = 120,
		.unicode_length = 16,
		.unicode_state = 32,
		.unicode_ascii_data = 48,
		.unicode_compact_data = 72,
		.bytes_size = 16,
		.bytes_data = 32,
		.frame_gen = 96,
		.frame_localsplus = 360,
		.type_name = 24,
		.type_members = 240,
		.type_base = 256,
		.cfunc_self = 24,
		.wrapper_task = 16,
		/*
		 * private TaskObj, Modules/_asynciomodule.c of v3.9.18 (checked on that build):
		 * + cancel_msg, _PyErr_StackItem cancelled_exc_state (32); task_fut_waiter 144
		 */
		.task_coro = 152,
		.task_name = 160,
		.long_size = 16,
		.long_digit = 24,
	},
	{
		.major = 3,
		.minor = 10,
		.frames = PY_FRAME_OBJECT,
		.lines = PY_LINES_310,
		.owner_generator = -1,
		.owner_cstack = -1,
		.runtime_interp_head = 32,
		.runtime_main_thread = 72,
		.interp_next = 0,
		.interp_threads_head = 8,
		.runtime_gil = 352,
		.gil_last_holder = 8,
		.gil_locked = 16,
		.gil_switch_number = 24,
		.tstate_next = 8,
		.tstate_thread_id = 176,
		.tstate_frame = 24,
		.cframe_current_frame = -1,
		.frame_code = 32,
		.frame_previous = 24,
		.frame_lasti = 96,
		.code_flags = 36,
		.code_firstlineno = 40,
		.code_filename = 104,
		.code_name = 112,
		.code_linetable = 120,
		.unicode_length = 16,
		.unicode_state = 32,
		.unicode_ascii_data = 48,
		.unicode_compact_data = 72,
		.bytes_size = 16,
		.bytes_data = 32,
		.frame_gen = 88,
		.frame_localsplus = 352,
		.type_name = 24,
		.type_members = 240,
		.type_base = 256,
		.cfunc_self = 24,
		.wrapper_task = 16,
		/*
		 * private TaskObj, Modules/_asynciomodule.c of v3.10.13 (checked on that build):
		 * + fut_exception_tb; task_fut_waiter 152
		 */
		.task_coro = 160,
		.task_name = 168,
		.long_size = 16,
		.long_digit = 24,
	},
	{
		.major = 3,
		.minor = 11,
		.frames = PY_INTERP_FRAME,
		.lines = PY_LINES_LOCATIONS,
		.owner_generator = 1,
		.owner_cstack = -1,
		.runtime_interp_head = 40,
		.interp_next = 0,
		.interp_threads_head = 16,
		.runtime_gil = 360,
		.gil_last_holder = 8,
		.gil_locked = 16,
		.gil_switch_number = 24,
		.tstate_next = 8,
		.tstate_native_thread_id = 160,
		.tstate_frame = 56,
		.cframe_current_frame = 8,
		.frame_code = 32,
		.frame_previous = 48,
		.frame_instr = 56,
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
		.frame_localsplus = 72,
		.gen_iframe = 80,
		.type_name = 24,
		.type_members = 240,
		.type_base = 256,
		.cfunc_self = 24,
		.wrapper_task = 16,
		/*
		 * private TaskObj, Modules/_asynciomodule.c of v3.11.2 (checked on that build):
		 * PyObject *cancelled_exc instead of the stack item; task_fut_waiter 128
		 */
		.task_coro = 136,
		.task_name = 144,
		.long_size = 16,
		.long_digit = 24,
	},
	{
		.major = 3,
		.minor = 12,
		.frames = PY_INTERP_FRAME,
		.lines = PY_LINES_LOCATIONS,
		.owner_generator = 1,
		.owner_cstack = 3,
		.runtime_interp_head = 40,
		.interp_next = 0,
		.interp_threads_head = 72,
		.runtime_interp_main = 48,
		.interp_gil = 384,
		.gil_last_holder = 8,
		.gil_locked = 16,
		.gil_switch_number = 24,
		.tstate_next = 8,
		.tstate_native_thread_id = 144,
		.tstate_frame = 56,
		.cframe_current_frame = 0,
		.frame_code = 0,
		.frame_previous = 8,
		.frame_instr = 56,
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
		.frame_localsplus = 72,
		.gen_iframe = 72,
		.type_name = 24,
		.type_members = 240,
		.type_base = 256,
		.cfunc_self = 24,
		.wrapper_task = 16,
		/*
		 * private TaskObj, Modules/_asynciomodule.c of v3.12.1 (checked on that build):
		 * same as 3.11
		 */
		.task_coro = 136,
		.task_name = 144,
		.long_size = 16,
		.long_digit = 24,
		.long_tagged = true,
	},
	{
		.major = 3,
		.minor = 13,
		.frames = PY_INTERP_FRAME,
		.lines = PY_LINES_LOCATIONS,
		.owner_generator = 1,
		.owner_cstack = 3,
		.debug = py_debug_313,
		.n_debug = ARRAY_SIZE(py_debug_313),
		.runtime_interp_head = 632,
		.interp_next = 7264,
		.interp_threads_head = 7344,
		.runtime_interp_main = 640,
		.interp_gil = 16,
		.gil_last_holder = 8,
		.gil_locked = 16,
		.gil_switch_number = 24,
		.tstate_next = 8,
		.tstate_native_thread_id = 160,
		.tstate_frame = 72,
		.cframe_current_frame = -1,
		.frame_code = 0,
		.frame_previous = 8,
		.frame_instr = 56,
		.frame_owner = 70,
		.code_flags = 48,
		.code_firstlineno = 68,
		.code_filename = 112,
		.code_name = 120,
		.code_qualname = 128,
		.code_linetable = 136,
		.code_firsttraceable = 184,
		.code_adaptive = 200,
		.unicode_length = 16,
		.unicode_state = 32,
		.unicode_ascii_data = 40,
		.unicode_compact_data = 56,
		.bytes_size = 16,
		.bytes_data = 32,
		.frame_localsplus = 72,
		.gen_iframe = 72,
		.type_name = 24,
		.type_members = 240,
		.type_base = 256,
		.cfunc_self = 24,
		.wrapper_task = 16,
		/*
		 * private TaskObj, Modules/_asynciomodule.c of v3.13.0 (checked on that build):
		 * no dict/weakreflist, bitfields, int num_cancels_requested; task_fut_waiter 112
		 */
		.task_coro = 120,
		.task_name = 128,
		.long_size = 16,
		.long_digit = 24,
		.long_tagged = true,
	},
};

struct py_process {
	pid_t pid;
	const struct py_layout *layout;
	uint64_t runtime_addr;
	int pthread_tid_offset; /* 3.8-3.10, -1 if unknown */
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
		case 15: /* no location */ has_line = false; break;
		case 14: /* long form: line, end line, column, end column */
			if (lt_svarint(table, len, &pos, &delta) || lt_varint(table, len, &pos, &skip) ||
			    lt_varint(table, len, &pos, &skip) || lt_varint(table, len, &pos, &skip))
				return -1;
			break;
		case 13: /* no column info */
			if (lt_svarint(table, len, &pos, &delta))
				return -1;
			break;
		case 10:
		case 11:
		case 12: /* one line form: delta 0..2, two column bytes */
			delta = code - 10;
			pos += 2;
			break;
		default: /* short form 0-9: same line, one column byte */ pos += 1; break;
		}
		line += delta;
		end = start + ((b & 7) + 1) * 2;
		if (addr < end)
			return has_line && line > 0 && line <= INT32_MAX ? (int)line : -1;
		start = end;
	}
	return -1;
}

/*
 * 3.8, 3.9 co_lnotab: (byte offset increment, signed line increment) pairs,
 * like their PyCode_Addr2Line(). addr is a byte offset.
 */
static int lnotab_line(const uint8_t *t, size_t len, int firstlineno, int64_t addr)
{
	int64_t line = firstlineno, start = 0;
	size_t pos;

	for (pos = 0; pos + 1 < len; pos += 2) {
		start += t[pos];
		if (start > addr)
			break;
		line += (int8_t)t[pos + 1];
	}
	return line > 0 && line <= INT32_MAX ? (int)line : -1;
}

/*
 * 3.10 co_linetable (PEP 626): (byte length, signed line delta) pairs, a
 * delta of -128 meaning "no line", like its PyCode_Addr2Line(). addr is a
 * byte offset.
 */
static int linetable310_line(const uint8_t *t, size_t len, int firstlineno, int64_t addr)
{
	int64_t line = firstlineno, start = 0;
	size_t pos;

	if (addr < 0)
		return firstlineno;
	for (pos = 0; pos + 1 < len; pos += 2) {
		int8_t delta = (int8_t)t[pos + 1];
		int64_t end = start + t[pos];

		if (delta != -128)
			line += delta;
		if (addr < end)
			return delta != -128 && line > 0 && line <= INT32_MAX ? (int)line : -1;
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
static int read_str(const struct mem_reader *m, const struct py_layout *L, uint64_t obj, char *dst, size_t cap)
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

	if (!valid_ptr(ci->linetable, 8) || addr > INT32_MAX || L->bytes_data > sizeof(hdr))
		return 0;
	if (read_mem(m, ci->linetable, hdr, L->bytes_data))
		return 0;
	size = (int64_t)get_u64(hdr, L->bytes_size);
	if (size <= 0)
		return 0;
	if (size > MAX_LINETABLE)
		size = MAX_LINETABLE;
	buf = malloc(size);
	if (!buf)
		return 0;
	if (!read_mem(m, ci->linetable + L->bytes_data, buf, size)) {
		switch (L->lines) {
		case PY_LINES_LNOTAB: line = lnotab_line(buf, size, ci->firstlineno, addr); break;
		case PY_LINES_310: line = linetable310_line(buf, size, ci->firstlineno, addr); break;
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

	if (!valid_ptr(code, 8) || len > sizeof(buf))
		return -EFAULT;
	err = read_mem(m, code, buf, len);
	if (err)
		return err;
	memset(out, 0, sizeof(*out));
	/* 3.8-3.10 code objects have no co_qualname: co_name it is */
	if (!L->code_qualname || read_str(m, L, get_u64(buf, L->code_qualname), out->function, sizeof(out->function)) ||
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
	ci->linetable = get_u64(buf, L->code_linetable);
	ci->firstlineno = get_i32(buf, L->code_firstlineno);
	ci->firsttraceable = L->code_firsttraceable ? get_i32(buf, L->code_firsttraceable) : 0;
	return 0;
}

/* ---- asyncio task names ------------------------------------------------ */

#define OB_TYPE		   8  /* PyObject.ob_type */
#define MEMBER_SIZE	   40 /* sizeof(PyMemberDef): name, type, offset, flags, doc (stable ABI) */
#define MEMBER_TYPE	   8
#define MEMBER_OFFSET	   16
#define T_OBJECT_EX	   16 /* what __slots__ members are */
#define MAX_MEMBERS	   64 /* PyMemberDef entries looked at per type */
#define MAX_BASES	   8  /* types looked at up the tp_base chain */
#define MAX_SLOT_OFFSET	   4096
#define PAGE_SIZE_MIN	   4096
#define HANDLE_RUN_FILE	   "asyncio/events.py"

/*
 * Whether the C string at addr is want. Read in two pieces split at a page
 * boundary, so a short string at the end of a mapping can still be read.
 */
static bool cstr_is(const struct mem_reader *m, uint64_t addr, const char *want)
{
	size_t len = strlen(want) + 1, first;
	char buf[64];

	if (!addr || len > sizeof(buf))
		return false;
	first = PAGE_SIZE_MIN - (addr & (PAGE_SIZE_MIN - 1));
	if (first > len)
		first = len;
	if (read_mem(m, addr, buf, first) || (first < len && read_mem(m, addr + first, buf + first, len - first)))
		return false;
	return !memcmp(buf, want, len);
}

/* Reads obj->ob_type and checks its tp_name; *type gets the type if asked. */
static bool type_is(const struct mem_reader *m, const struct py_layout *L, uint64_t obj, const char *name,
		    uint64_t *type)
{
	uint64_t t, tp_name;

	if (!valid_ptr(obj, 8) || read_ptr(m, obj + OB_TYPE, &t) || !valid_ptr(t, 8) ||
	    read_ptr(m, t + L->type_name, &tp_name))
		return false;
	if (type)
		*type = t;
	return !name || cstr_is(m, tp_name, name);
}

/*
 * Offset of the __slots__ member called name in instances of type: from the
 * tp_members of type or one of its bases, so the slot order of the stdlib
 * version does not matter. 0 or -errno.
 */
static int slot_offset(const struct mem_reader *m, const struct py_layout *L, uint64_t type, const char *name,
		       uint64_t *off)
{
	uint8_t def[MEMBER_SIZE];
	int depth, i;

	for (depth = 0; depth < MAX_BASES && valid_ptr(type, 8); depth++) {
		uint64_t members;

		if (read_ptr(m, type + L->type_members, &members))
			return -EFAULT;
		for (i = 0; valid_ptr(members, 8) && i < MAX_MEMBERS; i++) {
			if (read_mem(m, members + (uint64_t)i * MEMBER_SIZE, def, sizeof(def)))
				return -EFAULT;
			if (!get_u64(def, 0))
				break; /* the terminating entry */
			if (!cstr_is(m, get_u64(def, 0), name))
				continue;
			*off = get_u64(def, MEMBER_OFFSET);
			if (get_i32(def, MEMBER_TYPE) != T_OBJECT_EX || !*off || *off >= MAX_SLOT_OFFSET || (*off & 7))
				return -EINVAL;
			return 0;
		}
		if (read_ptr(m, type + L->type_base, &type))
			return -EFAULT;
	}
	return -ENOENT;
}

/*
 * Task names not given by the user are "Task-N"; 3.12+ keep just N, an int,
 * until asked. Formats small non-negative ints (two 30-bit digits).
 */
static int read_counter_name(const struct mem_reader *m, const struct py_layout *L, uint64_t obj, char *dst,
			     size_t cap)
{
	uint8_t buf[40];
	uint64_t v, size;
	uint32_t d[2];
	int ndigits;

	if (L->long_digit + 8u > sizeof(buf) || read_mem(m, obj, buf, L->long_digit + 8))
		return -EFAULT;
	size = get_u64(buf, L->long_size);
	if (L->long_tagged) {
		if ((size & 3) == 2 || (size >> 3) > 2)
			return -EINVAL; /* negative, or too big to be a task counter */
		ndigits = (size & 3) == 1 ? 0 : (int)(size >> 3);
	} else {
		if ((int64_t)size < 0 || size > 2)
			return -EINVAL;
		ndigits = (int)size;
	}
	memcpy(d, buf + L->long_digit, sizeof(d));
	v = ndigits > 0 ? d[0] & 0x3fffffff : 0;
	if (ndigits > 1)
		v |= (uint64_t)(d[1] & 0x3fffffff) << 30;
	snprintf(dst, cap, "Task-%llu", (unsigned long long)v);
	return 0;
}

/*
 * Name of the _asyncio.Task whose step Handle._run (frame handle_frame) is
 * running, if that task's coroutine is coro: self->_callback is the task's
 * TaskStepMethWrapper (a heap type named "_asyncio.TaskStepMethWrapper" in
 * 3.12+), TaskWakeupMethWrapper (3.8-3.10) or bound task_wakeup (3.11+),
 * each of which holds the task. Anything unexpected: -errno and "".
 */
static int task_name(const struct mem_reader *m, const struct py_layout *L, uint64_t handle_frame, uint64_t coro,
		     char *dst, size_t cap)
{
	uint64_t self, type, off, cb, task, tcoro, name;
	uint8_t buf[256];

	dst[0] = '\0';
	if (!L->task_name || !valid_ptr(coro, 8) || L->task_name + 8u > sizeof(buf) || L->task_coro + 8u > sizeof(buf))
		return -EPROTONOSUPPORT;
	if (read_ptr(m, handle_frame + L->frame_localsplus, &self) || !type_is(m, L, self, NULL, &type))
		return -EFAULT;
	if (slot_offset(m, L, type, "_callback", &off) || read_ptr(m, self + off, &cb))
		return -ENOENT;
	if (type_is(m, L, cb, "TaskStepMethWrapper", NULL) || type_is(m, L, cb, "_asyncio.TaskStepMethWrapper", NULL) ||
	    type_is(m, L, cb, "TaskWakeupMethWrapper", NULL)) {
		if (read_ptr(m, cb + L->wrapper_task, &task))
			return -EFAULT;
	} else if (type_is(m, L, cb, "builtin_function_or_method", NULL)) {
		if (read_ptr(m, cb + L->cfunc_self, &task))
			return -EFAULT;
	} else {
		return -ENOENT; /* a callback that is not a task's */
	}
	if (!type_is(m, L, task, "_asyncio.Task", NULL))
		return -ENOENT;
	if (read_mem(m, task, buf, (L->task_name > L->task_coro ? L->task_name : L->task_coro) + 8))
		return -EFAULT;
	tcoro = get_u64(buf, L->task_coro);
	name = get_u64(buf, L->task_name);
	if (tcoro != coro)
		return -ENOENT; /* not the task running this coroutine */
	if (type_is(m, L, name, "str", NULL))
		return read_str(m, L, name, dst, cap);
	if (type_is(m, L, name, "int", NULL))
		return read_counter_name(m, L, name, dst, cap);
	return -EINVAL;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

/* Handle._run of asyncio/events.py (3.8-3.10 know only co_name "_run"). */
static bool is_handle_run(const struct py_frame *f)
{
	return (!strcmp(f->function, "Handle._run") || !strcmp(f->function, "_run")) &&
	       ends_with(f->file, HANDLE_RUN_FILE);
}

/* The coroutine object a coroutine frame belongs to, or 0. */
static uint64_t frame_coroutine(const struct mem_reader *m, const struct py_layout *L, uint64_t frame, int owner)
{
	uint64_t gen;

	if (L->frames == PY_INTERP_FRAME)
		return owner == L->owner_generator && frame > L->gen_iframe ? frame - L->gen_iframe : 0;
	if (read_ptr(m, frame + L->frame_gen, &gen))
		return 0;
	return gen;
}

/*
 * What the walkers keep beside the frames: their addresses, and one frame
 * past max (peek), so the outermost coroutine frame still sees its caller.
 */
struct walk {
	struct py_frame *frames;
	int max;
	struct py_frame peek;
	uint64_t addr[MAX_FRAME_STEPS + 1];
	int8_t owner[MAX_FRAME_STEPS + 1];
};

static struct py_frame *walk_slot(struct walk *w, int n)
{
	return n < w->max ? &w->frames[n] : &w->peek;
}

/* Names the task on each coroutine frame called by Handle._run; n frames walked (peek included). */
static void name_tasks(const struct mem_reader *m, const struct py_layout *L, struct walk *w, int n)
{
	int i;

	for (i = 0; i + 1 < n && i < w->max; i++) {
		struct py_frame *f = &w->frames[i];

		if (!f->coroutine || !is_handle_run(walk_slot(w, i + 1)))
			continue;
		task_name(m, L, w->addr[i + 1], frame_coroutine(m, L, w->addr[i], w->owner[i]), f->task,
			  sizeof(f->task));
	}
}

/* Linked frames can form a cycle in torn or garbage memory. */
static bool seen_before(const uint64_t *seen, int n, uint64_t frame)
{
	int i;

	for (i = 0; i < n; i++)
		if (seen[i] == frame)
			return true;
	return false;
}

/* 3.8-3.10: tstate->frame, then PyFrameObject.f_back; all are Python frames. */
static int walk_frame_objects(const struct mem_reader *m, const struct py_layout *L, uint64_t tstate, struct walk *w)
{
	uint64_t frame, seen[MAX_FRAME_STEPS];
	uint8_t buf[128];
	int n = 0, steps, err;

	if (L->frame_lasti + 4u > sizeof(buf))
		return -EINVAL;
	err = read_ptr(m, tstate + L->tstate_frame, &frame);
	if (err)
		return err;

	for (steps = 0; frame && n <= w->max && steps < MAX_FRAME_STEPS; steps++) {
		struct py_frame *out = walk_slot(w, n);
		struct code_info ci;
		int64_t lasti;

		if (!valid_ptr(frame, 8)) {
			err = -EFAULT;
			break;
		}
		if (seen_before(seen, steps, frame)) {
			err = -ELOOP;
			break;
		}
		seen[steps] = frame;
		err = read_mem(m, frame, buf, L->frame_lasti + 4);
		if (err)
			break;
		err = read_code(m, L, get_u64(buf, L->frame_code), out, &ci);
		if (err)
			break;
		/* f_lasti: last instruction started, -1 before the first */
		lasti = get_i32(buf, L->frame_lasti);
		if (L->lines == PY_LINES_310)
			lasti *= 2; /* 3.10 counts 2-byte code units */
		out->line = code_line(m, L, &ci, lasti);
		w->addr[n] = frame;
		w->owner[n] = -1;
		n++;
		frame = get_u64(buf, L->frame_previous);
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
	err = read_ptr(m, tstate + L->tstate_frame, &frame);
	if (err)
		return err;
	if (L->cframe_current_frame >= 0 && frame) {
		if (!valid_ptr(frame, 8))
			return -EFAULT;
		err = read_ptr(m, frame + L->cframe_current_frame, &frame);
		if (err)
			return err;
	}

	for (steps = 0; frame && n <= w->max && steps < MAX_FRAME_STEPS; steps++) {
		struct py_frame *out = walk_slot(w, n);
		uint64_t code, instr, addr = frame;
		struct code_info ci;
		int64_t lasti;
		int owner;

		if (!valid_ptr(frame, 8)) {
			err = -EFAULT;
			break;
		}
		if (seen_before(seen, steps, frame)) {
			err = -ELOOP;
			break;
		}
		seen[steps] = frame;
		err = read_mem(m, frame, buf, L->frame_owner + 1);
		if (err)
			break;
		code = get_u64(buf, L->frame_code);
		instr = get_u64(buf, L->frame_instr);
		owner = (int8_t)buf[L->frame_owner];
		frame = get_u64(buf, L->frame_previous);
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
static int tstate_tid(const struct mem_reader *m, const struct py_layout *L, uint64_t ts, int pthread_tid_offset,
		      pid_t *tid)
{
	uint64_t id;
	int32_t ktid;
	int err;

	if (L->tstate_native_thread_id) {
		err = read_ptr(m, ts + L->tstate_native_thread_id, &id);
		if (err)
			return err;
		if (!id || id > INT32_MAX)
			return -EINVAL;
		*tid = (pid_t)id;
		return 0;
	}
	err = read_ptr(m, ts + L->tstate_thread_id, &id);
	if (err)
		return err;
	if (!valid_ptr(id, 8))
		return -EFAULT;
	err = read_mem(m, id + pthread_tid_offset, &ktid, sizeof(ktid));
	if (err)
		return err;
	if (ktid <= 0)
		return -EINVAL; /* glibc zeroes it when the thread exits */
	*tid = ktid;
	return 0;
}

/* What find_tstate() looks for: a kernel tid, or a thread state's address. */
struct tstate_key {
	pid_t tid;
	uint64_t addr; /* nonzero: match this address, not tid */
	int pthread_tid_offset;
};

static bool tstate_matches(const struct mem_reader *m, const struct py_layout *L, uint64_t ts,
			   const struct tstate_key *key)
{
	pid_t tid;

	if (key->addr)
		return ts == key->addr;
	/* an exited thread's struct pthread may be gone: not this one, go on */
	return !tstate_tid(m, L, ts, key->pthread_tid_offset, &tid) && tid == key->tid;
}

/*
 * Finds a thread state in the thread lists of all interpreters: 1 found
 * (*out), 0 not, -errno.
 */
static int find_tstate(const struct mem_reader *m, const struct py_layout *L, uint64_t runtime,
		       const struct tstate_key *key, uint64_t *out)
{
	uint64_t interp, ts;
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
			if (tstate_matches(m, L, ts, key)) {
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

/*
 * 3.13+: checks the row against the _Py_DebugOffsets that CPython keeps at
 * the start of _PyRuntime, so a build with another layout (a patch release
 * that moved a field, a free-threaded build) is refused rather than misread.
 */
static int check_debug_offsets(const struct mem_reader *m, const struct py_layout *L, uint64_t runtime)
{
	uint8_t buf[DEBUG_SIZE];
	uint64_t version;
	size_t i;

	if (!L->debug)
		return 0;
	if (read_mem(m, runtime, buf, sizeof(buf)) || memcmp(buf, DEBUG_COOKIE, 8))
		return -EPROTONOSUPPORT;
	version = get_u64(buf, DEBUG_VERSION);
	if (((version >> 24) & 0xff) != (uint64_t)L->major || ((version >> 16) & 0xff) != (uint64_t)L->minor ||
	    get_u64(buf, DEBUG_FREE_THREADED))
		return -EPROTONOSUPPORT;
	for (i = 0; i < L->n_debug; i++) {
		uint16_t want;

		memcpy(&want, (const uint8_t *)L + L->debug[i].field, sizeof(want));
		if (L->debug[i].pos + 8u > sizeof(buf) || get_u64(buf, L->debug[i].pos) != want)
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
	L = layout_by_name(version);
	if (!L)
		return -EPROTONOSUPPORT;
	if (!valid_ptr(runtime_addr, 8))
		return -EFAULT;
	if (!L->tstate_native_thread_id && (pthread_tid_offset < 0 || pthread_tid_offset >= PTHREAD_SCAN))
		return -ENOTSUP; /* 3.8-3.10 without the struct pthread layout */
	if (!max)
		return 0;
	r = check_debug_offsets(mem, L, runtime_addr);
	if (r)
		return r;
	key.tid = tid;
	key.pthread_tid_offset = pthread_tid_offset;
	r = find_tstate(mem, L, runtime_addr, &key, &tstate);
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
		name_tasks(mem, L, w, r);
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

/* ---- the GIL ------------------------------------------------------------ */

#define GIL_TRIES 4 /* reads of the GIL that changed under us before giving up */

/* The fields of struct _gil_runtime_state we use. */
struct gil_snapshot {
	uint64_t last_holder;
	uint64_t switch_number;
	int32_t locked;
};

/*
 * Address of the GIL: in _PyRuntime for 3.8-3.11; 3.12+ give each
 * interpreter a pointer to its own (or a shared) one: the main interpreter's.
 */
static int gil_addr(const struct mem_reader *m, const struct py_layout *L, uint64_t runtime, uint64_t *gil)
{
	uint64_t interp;
	int err;

	if (L->runtime_gil) {
		*gil = runtime + L->runtime_gil;
		return 0;
	}
	if (!L->interp_gil)
		return -EPROTONOSUPPORT;
	err = read_ptr(m, runtime + L->runtime_interp_main, &interp);
	if (err)
		return err;
	if (!interp)
		return -EAGAIN; /* not initialized yet */
	if (!valid_ptr(interp, 8))
		return -EFAULT;
	err = read_ptr(m, interp + L->interp_gil, gil);
	if (err)
		return err;
	if (!*gil)
		return -EAGAIN;
	return valid_ptr(*gil, 8) ? 0 : -EFAULT;
}

static int read_gil(const struct mem_reader *m, const struct py_layout *L, uint64_t gil, struct gil_snapshot *g)
{
	uint8_t buf[64];
	size_t len = L->gil_locked + 4;
	int err;

	if (L->gil_last_holder + 8u > len)
		len = L->gil_last_holder + 8;
	if (L->gil_switch_number + 8u > len)
		len = L->gil_switch_number + 8;
	if (len > sizeof(buf))
		return -EINVAL;
	err = read_mem(m, gil, buf, len);
	if (err)
		return err;
	g->last_holder = get_u64(buf, L->gil_last_holder);
	g->switch_number = get_u64(buf, L->gil_switch_number);
	g->locked = get_i32(buf, L->gil_locked);
	return 0;
}

/*
 * last_holder is set by take_gil() just after locked, and stays after the
 * GIL is dropped (it may then point to a freed thread state). So it names
 * the holder only while locked is 1, and only if it is in a thread list;
 * reading the GIL again afterwards catches a switch during the lookup.
 */
int py_gil_state_mem(const struct mem_reader *mem, const char *version, uint64_t runtime_addr, int pthread_tid_offset,
		     bool *locked, pid_t *holder_tid)
{
	struct tstate_key key = {0};
	struct gil_snapshot a, b;
	const struct py_layout *L;
	uint64_t gil, ts;
	int r, tries;

	if (!mem || !mem->read || !version || !locked || !holder_tid)
		return -EINVAL;
	*locked = false;
	*holder_tid = 0;
	L = layout_by_name(version);
	if (!L)
		return -EPROTONOSUPPORT;
	if (!valid_ptr(runtime_addr, 8))
		return -EFAULT;
	if (!L->tstate_native_thread_id && (pthread_tid_offset < 0 || pthread_tid_offset >= PTHREAD_SCAN))
		return -ENOTSUP; /* 3.8-3.10 without the struct pthread layout */
	r = check_debug_offsets(mem, L, runtime_addr);
	if (r)
		return r;
	r = gil_addr(mem, L, runtime_addr, &gil);
	if (r)
		return r;

	r = -EAGAIN;
	for (tries = 0; tries < GIL_TRIES; tries++) {
		pid_t tid = 0;
		int found;

		r = read_gil(mem, L, gil, &a);
		if (r)
			return r;
		if (a.locked == -1)
			return -EAGAIN; /* not created yet, or finalized */
		if (a.locked != 0 && a.locked != 1)
			return -EINVAL;
		if (!a.locked)
			return 0;
		key.addr = a.last_holder;
		found = valid_ptr(a.last_holder, 8) ? find_tstate(mem, L, runtime_addr, &key, &ts) : 0;
		if (found < 0) {
			r = found; /* a thread list changed under us: try again */
			continue;
		}
		if (found && tstate_tid(mem, L, a.last_holder, pthread_tid_offset, &tid))
			tid = 0;
		r = read_gil(mem, L, gil, &b);
		if (r)
			return r;
		if (a.locked == b.locked && a.last_holder == b.last_holder && a.switch_number == b.switch_number) {
			*locked = true;
			*holder_tid = tid;
			return 0;
		}
		r = -EAGAIN;
	}
	return r;
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

	if (read_ptr(m, runtime + L->runtime_main_thread, &main_thread))
		return -EFAULT;
	if (!valid_ptr(main_thread, 8))
		return -EAGAIN; /* not initialized yet */
	if (!py_elf_libc_symbol(pid, "_thread_db_pthread_tid", &addr) && !read_mem(m, addr, desc, sizeof(desc)) &&
	    desc[0] == 32 && desc[1] == 1 && desc[2] < PTHREAD_SCAN &&
	    !read_mem(m, main_thread + desc[2], &tid, sizeof(tid)) && tid == pid)
		return desc[2];
	if (read_mem(m, main_thread, pt, sizeof(pt)))
		return -EFAULT;
	for (off = 0; off + 4 <= PTHREAD_SCAN; off += 4) {
		if (get_i32(pt, off) != pid)
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
	L = find_layout(info->major, info->minor);
	if (!L) {
		err = -EPROTONOSUPPORT;
		goto out;
	}
	err = check_debug_offsets(&mem, L, info->runtime_addr);
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

// SPDX-License-Identifier: GPL-2.0
/*
 * The per-version layout table: py_layouts[], one row
 * per major.minor (3.8 to 3.13), and its lookup by version. struct
 * py_layout, which says what each offset is, is in layouts.h.
 */
#include <errno.h>
#include <stdio.h>

#include "runtimes/python/layouts.h"
#include "base/target_memory.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

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
		.code_localsnames = 72, /* co_varnames */
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
		.code_localsnames = 72, /* co_varnames */
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
		.code_localsnames = 72, /* co_varnames */
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
		.code_localsnames = 96, /* co_localsplusnames */
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
		.type_cached_keys = 872,
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
		.code_localsnames = 96, /* co_localsplusnames */
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
		.type_cached_keys = 880,
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
		.code_localsnames = 96, /* co_localsplusnames */
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
		.type_cached_keys = 880,
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

const struct py_layout *py_find_layout(int major, int minor)
{
	size_t i;

	for (i = 0; i < sizeof(py_layouts) / sizeof(py_layouts[0]); i++)
		if (py_layouts[i].major == major && py_layouts[i].minor == minor)
			return &py_layouts[i];
	return NULL;
}

const struct py_layout *py_layout_by_name(const char *version)
{
	int major, minor;
	char end;

	if (!version || sscanf(version, "%d.%d%c", &major, &minor, &end) != 2)
		return NULL;
	return py_find_layout(major, minor);
}

int py_layout_for_target(const char *version, uint64_t runtime_addr, int pthread_tid_offset,
			 const struct py_layout **out)
{
	const struct py_layout *L = py_layout_by_name(version);

	if (!L)
		return -EPROTONOSUPPORT;
	if (!mem_valid_ptr(runtime_addr, 8))
		return -EFAULT;
	if (!L->tstate_native_thread_id && (pthread_tid_offset < 0 || pthread_tid_offset >= PTHREAD_SCAN))
		return -ENOTSUP; /* 3.8-3.10 without the struct pthread layout */
	*out = L;
	return 0;
}

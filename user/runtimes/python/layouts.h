/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LOOPSTALL_PY_LAYOUTS_H
#define LOOPSTALL_PY_LAYOUTS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * All knowledge of CPython's private struct layouts: one row per
 * major.minor (3.8 to 3.13), in layouts.c. Nothing here reads memory.
 */

#define PTHREAD_SCAN 1024 /* bytes of struct pthread searched for the tid */

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
	uint16_t code_localsnames;    /* co_varnames (3.8-3.10), co_localsplusnames (3.11+): a tuple */
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
	uint16_t type_cached_keys; /* 3.11+ PyHeapTypeObject.ht_cached_keys: the keys instances share; 0 before */
	uint16_t cfunc_self;	   /* PyCFunctionObject: m_self */
	uint16_t wrapper_task;	   /* _asyncio TaskStepMethWrapper.sw_task, TaskWakeupMethWrapper.ww_task */
	uint16_t task_coro;	   /* _asyncio TaskObj (private, Modules/_asynciomodule.c) */
	uint16_t task_name;
	uint16_t long_size;  /* PyLongObject: ob_size (3.8-3.11) or lv_tag (3.12+) */
	uint16_t long_digit; /* ob_digit[0] */
	bool long_tagged;    /* 3.12+: lv_tag = digits << 3 | sign */
};

/* The row of major.minor, NULL if not supported. */
const struct py_layout *py_find_layout(int major, int minor);
/* The row of version "major.minor", NULL if not supported or malformed. */
const struct py_layout *py_layout_by_name(const char *version);
/*
 * The row for reading a target of `version` whose _PyRuntime is at
 * runtime_addr: 0, or -EPROTONOSUPPORT (no row), -EFAULT (implausible
 * address), -ENOTSUP (3.8-3.10 need the struct pthread tid offset).
 */
int py_layout_for_target(const char *version, uint64_t runtime_addr, int pthread_tid_offset,
			 const struct py_layout **out);

#endif

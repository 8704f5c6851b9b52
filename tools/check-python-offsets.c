// SPDX-License-Identifier: GPL-2.0
/*
 * Prints the CPython struct offsets that user/runtimes/python/layouts.c hard-codes in
 * its layout table, computed by the compiler from CPython's own headers, so
 * a table row can be checked (or written) for a new version.
 *
 * Build (needs pythonX.Y-dev or a pyenv build's include dir), e.g.:
 *   I=/root/.pyenv/versions/3.10.13/include/python3.10
 *   cc -I$I -I$I/internal -DPy_BUILD_CORE -o build/check-python-offsets \
 *      tools/check-python-offsets.c
 * Works with the headers of 3.8 to 3.13 (Debian: -I/usr/include/python3.11).
 */
#include <Python.h>
#include <stddef.h>
#include <stdio.h>
#include <frameobject.h>
#if PY_VERSION_HEX < 0x030b0000
#include <longintrepr.h> /* PyLongObject */
#endif
#include <structmember.h> /* PyMemberDef before 3.12 */
#if PY_VERSION_HEX < 0x03090000
#include <internal/pycore_pystate.h> /* _PyRuntimeState and struct _is */
#else
#include <internal/pycore_runtime.h>
#include <internal/pycore_interp.h>
#endif
#if PY_VERSION_HEX >= 0x030b0000
#include <internal/pycore_frame.h>
#endif
#if PY_VERSION_HEX >= 0x030d0000
#include <internal/pycore_genobject.h> /* 3.13 moved PyCoroObject here */
#endif

#define P(name, expr) printf("\t\t.%s = %zu,\n", name, (size_t)(expr))

int main(void)
{
	printf("\t{\n\t\t.major = %d, .minor = %d,\n", PY_MAJOR_VERSION, PY_MINOR_VERSION);
	P("runtime_interp_head", offsetof(_PyRuntimeState, interpreters.head));
	P("interp_next", offsetof(PyInterpreterState, next));
	P("tstate_next", offsetof(PyThreadState, next));
	/* the GIL: struct _gil_runtime_state, in _PyRuntime up to 3.11, per interpreter since */
#if PY_VERSION_HEX < 0x030c0000
	P("runtime_gil", offsetof(_PyRuntimeState, ceval.gil));
#else
	P("runtime_interp_main", offsetof(_PyRuntimeState, interpreters.main));
	P("interp_gil", offsetof(PyInterpreterState, ceval.gil));
#endif
	P("gil_last_holder", offsetof(struct _gil_runtime_state, last_holder));
	P("gil_locked", offsetof(struct _gil_runtime_state, locked));
	P("gil_switch_number", offsetof(struct _gil_runtime_state, switch_number));
#if PY_VERSION_HEX < 0x030b0000
	/* 3.8 - 3.10: PyFrameObject chain, threads known by pthread_self() */
	P("runtime_main_thread", offsetof(_PyRuntimeState, main_thread));
	P("interp_threads_head", offsetof(PyInterpreterState, tstate_head));
	P("tstate_thread_id", offsetof(PyThreadState, thread_id));
	P("tstate_frame", offsetof(PyThreadState, frame));
	P("frame_code", offsetof(PyFrameObject, f_code));
	P("frame_previous", offsetof(PyFrameObject, f_back));
	P("frame_lasti", offsetof(PyFrameObject, f_lasti));
#else
	P("interp_threads_head", offsetof(PyInterpreterState, threads.head));
	P("tstate_native_thread_id", offsetof(PyThreadState, native_thread_id));
	P("frame_previous", offsetof(_PyInterpreterFrame, previous));
	P("frame_owner", offsetof(_PyInterpreterFrame, owner));
	P("code_qualname", offsetof(PyCodeObject, co_qualname));
	P("code_firsttraceable", offsetof(PyCodeObject, _co_firsttraceable));
	P("code_adaptive", offsetof(PyCodeObject, co_code_adaptive));
#if PY_VERSION_HEX < 0x030d0000
	P("tstate_frame", offsetof(PyThreadState, cframe));
	P("cframe_current_frame", offsetof(_PyCFrame, current_frame));
	P("frame_code", offsetof(_PyInterpreterFrame, f_code));
	P("frame_instr", offsetof(_PyInterpreterFrame, prev_instr));
#else
	P("tstate_frame", offsetof(PyThreadState, current_frame));
	P("frame_code", offsetof(_PyInterpreterFrame, f_executable));
	P("frame_instr", offsetof(_PyInterpreterFrame, instr_ptr));
#endif
#endif
	P("code_flags", offsetof(PyCodeObject, co_flags));
	P("code_firstlineno", offsetof(PyCodeObject, co_firstlineno));
	P("code_filename", offsetof(PyCodeObject, co_filename));
	P("code_name", offsetof(PyCodeObject, co_name));
#if PY_VERSION_HEX < 0x030a0000
	P("code_linetable", offsetof(PyCodeObject, co_lnotab));
#else
	P("code_linetable", offsetof(PyCodeObject, co_linetable));
#endif
	P("unicode_length", offsetof(PyASCIIObject, length));
	P("unicode_state", offsetof(PyASCIIObject, state));
	P("unicode_ascii_data", sizeof(PyASCIIObject));
	P("unicode_compact_data", sizeof(PyCompactUnicodeObject));
	P("bytes_size", offsetof(PyVarObject, ob_size));
	P("bytes_data", offsetof(PyBytesObject, ob_sval));
	/* asyncio task names: objects met on the way from Handle._run to the Task */
#if PY_VERSION_HEX < 0x030b0000
	P("frame_gen", offsetof(PyFrameObject, f_gen));
	P("frame_localsplus", offsetof(PyFrameObject, f_localsplus));
#else
	P("frame_localsplus", offsetof(_PyInterpreterFrame, localsplus));
	P("gen_iframe", offsetof(PyCoroObject, cr_iframe));
#endif
	P("type_name", offsetof(PyTypeObject, tp_name));
	P("type_members", offsetof(PyTypeObject, tp_members));
	P("type_base", offsetof(PyTypeObject, tp_base));
	P("cfunc_self", offsetof(PyCFunctionObject, m_self));
#if PY_VERSION_HEX < 0x030c0000
	P("long_size", offsetof(PyVarObject, ob_size));
	P("long_digit", offsetof(PyLongObject, ob_digit));
#else
	P("long_size", offsetof(PyLongObject, long_value.lv_tag));
	P("long_digit", offsetof(PyLongObject, long_value.ob_digit));
#endif
	/* PyMemberDef is part of the stable ABI: python_stack.c uses it as is */
	printf("\t\t/* PyMemberDef: size %zu, name %zu, type %zu, offset %zu */\n", sizeof(PyMemberDef),
	       offsetof(PyMemberDef, name), offsetof(PyMemberDef, type), offsetof(PyMemberDef, offset));
	printf("\t},\n");
	return 0;
}

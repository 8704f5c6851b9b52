// SPDX-License-Identifier: GPL-2.0
/*
 * Prints the CPython struct offsets that user/python_stack.c hard-codes in
 * its layout table, computed by the compiler from CPython's own headers, so
 * a table row can be checked (or written) for a new version.
 *
 * Build (needs pythonX.Y-dev or a pyenv build's include dir):
 *   cc -I/usr/include/python3.11 -I/usr/include/python3.11/internal \
 *      -DPy_BUILD_CORE -o build/check-python-offsets tools/check-python-offsets.c
 * For 3.12 use -I/root/.pyenv/versions/3.12.1/include/python3.12 (and /internal).
 */
#include <Python.h>
#include <stddef.h>
#include <stdio.h>
#include <internal/pycore_frame.h>
#include <internal/pycore_runtime.h>
#include <internal/pycore_interp.h>

#define P(name, expr) printf("\t.%s = %zu,\n", name, (size_t)(expr))

int main(void)
{
	printf("/* %d.%d */\n", PY_MAJOR_VERSION, PY_MINOR_VERSION);
	P("runtime_interp_head", offsetof(_PyRuntimeState, interpreters.head));
	P("interp_next", offsetof(PyInterpreterState, next));
	P("interp_threads_head", offsetof(PyInterpreterState, threads.head));
	P("tstate_next", offsetof(PyThreadState, next));
	P("tstate_native_thread_id", offsetof(PyThreadState, native_thread_id));
	P("tstate_cframe", offsetof(PyThreadState, cframe));
	P("cframe_current_frame", offsetof(_PyCFrame, current_frame));
	P("frame_code", offsetof(_PyInterpreterFrame, f_code));
	P("frame_previous", offsetof(_PyInterpreterFrame, previous));
	P("frame_prev_instr", offsetof(_PyInterpreterFrame, prev_instr));
	P("frame_owner", offsetof(_PyInterpreterFrame, owner));
	P("code_flags", offsetof(PyCodeObject, co_flags));
	P("code_firstlineno", offsetof(PyCodeObject, co_firstlineno));
	P("code_filename", offsetof(PyCodeObject, co_filename));
	P("code_name", offsetof(PyCodeObject, co_name));
	P("code_qualname", offsetof(PyCodeObject, co_qualname));
	P("code_linetable", offsetof(PyCodeObject, co_linetable));
	P("code_firsttraceable", offsetof(PyCodeObject, _co_firsttraceable));
	P("code_adaptive", offsetof(PyCodeObject, co_code_adaptive));
	P("unicode_length", offsetof(PyASCIIObject, length));
	P("unicode_state", offsetof(PyASCIIObject, state));
	P("unicode_ascii_data", sizeof(PyASCIIObject));
	P("unicode_compact_data", sizeof(PyCompactUnicodeObject));
	P("bytes_size", offsetof(PyVarObject, ob_size));
	P("bytes_data", offsetof(PyBytesObject, ob_sval));
	return 0;
}

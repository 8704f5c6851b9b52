/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LOOPSTALL_PY_METHODS_H
#define LOOPSTALL_PY_METHODS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/proc.h"
#include "base/target_memory.h"

/*
 * CPython's C functions by their Python names ("time.sleep",
 * "_hashlib.pbkdf2_hmac", "list.append"), for the native frames of a
 * stripped interpreter or extension, where they are only MODULE+0xOFFSET.
 *
 * Every C function Python can call is in a method table: an array of
 * PyMethodDef {ml_name, ml_meth, ml_flags, ml_doc} in the data of the
 * interpreter or extension that defines it. The table hangs off the
 * module's PyModuleDef (m_name, then m_methods), a static type's
 * PyTypeObject (tp_name, tp_methods) or a heap type's PyType_Spec (name,
 * then a Py_tp_methods slot). Tables and their owners are found by their
 * shape in the writable data of the interpreter's and extensions'
 * mappings, read from the live process (so relocated), each pointer
 * checked to point into the same file; names are read when asked for.
 */
struct py_methods;

/* Whether the file at path may hold method tables: the interpreter, libpython, an extension. */
bool py_methods_module(const char *path);
/* Scans the data of pid's Python modules (maps): 0 and *out, or -errno. */
int py_methods_read(const struct mem_reader *m, const struct proc_maps *maps, struct py_methods **out);
void py_methods_free(struct py_methods *pm);
/*
 * Finds, for the methods read, the functions each jumps to (starts: the
 * sorted run-time starts of every function of the modules, which bound a
 * method's code): a method hands its call on to such a function when its
 * code jumps there (CPython's argument-clinic wrappers tail-jump into
 * their _impl, compilers the rest), so that function runs the method's
 * call and is named by it. A function two methods jump to is named by
 * neither. 0, or -errno.
 */
int py_methods_read_tails(struct py_methods *pm, const struct mem_reader *m, const uint64_t *starts, int nstarts);
/*
 * The Python name of the C function that starts at entry (0), or of the
 * method that jumps there (1) unless the frame's caller (its return
 * address, 0 if unknown) called entry directly; or -ENOENT.
 */
int py_methods_name(const struct py_methods *pm, const struct mem_reader *m, uint64_t entry, uint64_t caller,
		    char *buf, size_t len);
/* Tables found (tests). */
int py_methods_count(const struct py_methods *pm);

#endif

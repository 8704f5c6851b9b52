/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LOOPSTALL_PYTHON_ELF_H
#define LOOPSTALL_PYTHON_ELF_H
#include <stdint.h>
#include <stdbool.h>
#include <sys/types.h>

#include "base/proc.h"

/*
 * Whether a mapped file is a CPython (or PyPy) interpreter, by its name: the
 * one test of "is this Python" (recognizing a process, finding _PyRuntime,
 * telling the interpreter's native frames from the extension's).
 */
bool py_is_python_file(const char *path);

/* Where the CPython interpreter lives inside a process. */
struct py_elf_info {
	char path[4096];       /* module defining _PyRuntime, as named in /proc/PID/maps */
	uint64_t runtime_addr; /* address of _PyRuntime in the target */
	int major, minor;      /* e.g. 3, 11; 0, 0 if unknown */
};

/*
 * Finds the module of process pid (mapped as maps) that defines _PyRuntime (the python
 * executable or a libpython3.X.so) and the version of that interpreter.
 * Returns 0; -ENOENT if no mapped file defines _PyRuntime and none looks like
 * python; -EPROTONOSUPPORT if a python-looking module is mapped but has no
 * _PyRuntime (e.g. 2.7, 3.6); or another -errno.
 */
int py_elf_find(pid_t pid, const struct proc_maps *maps, struct py_elf_info *info);

/*
 * Run-time address in process pid of symbol name (.dynsym or .symtab) of its
 * mapped glibc (libc.so.6, libc-2.X.so). Returns 0, -ENOENT if no mapped libc
 * defines it, or another -errno.
 */
int py_elf_libc_symbol(pid_t pid, const struct proc_maps *maps, const char *name, uint64_t *addr);

#endif

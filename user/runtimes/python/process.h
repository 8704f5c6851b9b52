/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LOOPSTALL_PY_PROCESS_H
#define LOOPSTALL_PY_PROCESS_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/proc.h"
#include "record/stall_record.h"
#include "runtimes/python/frame.h"

struct py_process; /* opaque, per target process: version, layout row, address of _PyRuntime */

/*
 * Finds the interpreter in process pid, whose mappings are maps: returns 0,
 * -ENOENT if pid is not CPython, -EPROTONOSUPPORT if the version is not
 * supported, or another -errno.
 */
int py_process_open(pid_t pid, const struct proc_maps *maps, struct py_process **out);
void py_process_close(struct py_process *p);
/* "3.8" ... "3.13", valid for the life of p */
const char *py_process_version(const struct py_process *p);
/* The loop's library when the process's mappings name one ("gevent"), else "" */
const char *py_process_framework(const struct py_process *p);
/* Up to max frames of thread tid, innermost first: the count, or -errno (see py_stack_read_mem_ex()). */
int py_stack_read(struct py_process *p, pid_t tid, struct py_frame *frames, int max);
/* The same, and with request, the request its task serves, kept for py_process_last_request(). */
int py_stack_read_req(struct py_process *p, pid_t tid, struct py_frame *frames, int max, bool request);
/* The Python name of thread tid ("Thread-3 (worker)"): 0, -ENOENT (the main thread, none), or -errno. */
int py_thread_name(struct py_process *p, pid_t tid, char *buf, size_t len);
/* The request found by the last py_stack_read_req(request) of tid: 0, or -ENOENT. */
int py_process_last_request(struct py_process *p, pid_t tid, struct served_request *req);
/*
 * The GIL right now: *locked, and its holder's kernel tid (0 if unknown or
 * not locked). 0 or -errno (see py_gil_state_mem()).
 */
int py_gil_state(struct py_process *p, bool *locked, pid_t *holder_tid);
/* Whether a futex at futex_addr is the GIL's (known once py_gil_state() has run). */
bool py_waits_for_gil(const struct py_process *p, uint64_t futex_addr);

/*
 * The Python name ("time.sleep") of the C function that starts at entry,
 * or of the method that jumped there (caller: where its frame returns to,
 * 0 if unknown): 0, or -ENOENT.
 */
int py_process_c_function(struct py_process *p, uint64_t entry, uint64_t caller, char *buf, size_t len);
/* Reads the method tables now (3 ms for python3.11), ahead of a first stall. */
void py_process_warm_methods(struct py_process *p);

/* Address of _PyRuntime in the target (for fixture recording). */
uint64_t py_process_runtime_addr(const struct py_process *p);
/*
 * 3.8-3.10 thread states name their thread by pthread_self(), the address of
 * the C library's struct pthread; the kernel tid is a field of it. Returns
 * that field's offset in process p (see process.c for how it is found), 0
 * for 3.11+ (not needed), or -errno.
 */
int py_process_pthread_tid_offset(struct py_process *p);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LOOPSTALL_PYTHON_STACK_H
#define LOOPSTALL_PYTHON_STACK_H
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

struct py_frame {
	char function[128]; /* co_qualname (fallback co_name), NUL-terminated, raw bytes (caller escapes) */
	char file[256];	    /* co_filename */
	int line;	    /* current line, 0 if unknown */
	bool coroutine;	    /* code flags have CO_COROUTINE, CO_ITERABLE_COROUTINE or CO_ASYNC_GENERATOR */
	/*
	 * Name of the asyncio Task (C _asyncio.Task) whose coroutine this frame
	 * runs, set only on the task's outermost coroutine frame (the one called
	 * by Handle._run), "" elsewhere or when unknown. Raw UTF-8, may be cut.
	 */
	char task[64];
};

/* Memory access indirection so unit tests can replay recorded memory. read() returns 0 or -errno, must fill len bytes. */
struct mem_reader {
	int (*read)(void *ctx, uint64_t addr, void *buf, size_t len);
	void *ctx;
};

struct py_process; /* opaque, per target process: version, layout row, address of _PyRuntime */

/* Finds the interpreter in process pid: returns 0, -ENOENT if pid is not CPython, -EPROTONOSUPPORT if the version is not supported, or another -errno. */
int py_process_open(pid_t pid, struct py_process **out);
/* "3.8" ... "3.13", valid for the life of p */
const char *py_process_version(const struct py_process *p);
/* Fills up to max frames of thread tid (the kernel TID), innermost first. Returns count (0 if that thread has no Python frames or no thread state) or -errno. Must never loop forever or crash on garbage memory: bound the number of threads/frames walked, validate pointers, cap string lengths. */
int py_stack_read(struct py_process *p, pid_t tid, struct py_frame *frames, int max);
void py_process_close(struct py_process *p);

/* Same walk against an arbitrary memory reader (used by unit tests with recorded memory): */
int py_stack_read_mem(const struct mem_reader *mem, const char *version, uint64_t runtime_addr, pid_t tid,
		      struct py_frame *frames, int max);

/* Address of _PyRuntime in the target (for fixture recording). */
uint64_t py_process_runtime_addr(const struct py_process *p);

/*
 * 3.8-3.10 thread states name their thread by pthread_self(), the address of
 * the C library's struct pthread; the kernel tid is a field of it. Returns
 * that field's offset in process p (see python_stack.c for how it is found),
 * 0 for 3.11+ (not needed), or -errno.
 */
int py_process_pthread_tid_offset(struct py_process *p);

/*
 * py_stack_read_mem() with that offset, which 3.8-3.10 need (for them
 * py_stack_read_mem() returns -ENOTSUP); 3.11+ ignore it.
 */
int py_stack_read_mem_ex(const struct mem_reader *mem, const char *version, uint64_t runtime_addr,
			 int pthread_tid_offset, pid_t tid, struct py_frame *frames, int max);

/*
 * The GIL right now: *locked, and the kernel tid of the thread that holds it
 * (last_holder's native thread id), or 0 if unknown or not locked. 0 or
 * -errno (-EPROTONOSUPPORT where the version's layout is unknown, -EAGAIN if
 * the GIL does not exist yet or kept changing while read). 3.12+: the main
 * interpreter's GIL. The holder's stack: py_stack_read(p, holder_tid, ...).
 */
int py_gil_state(struct py_process *p, bool *locked, pid_t *holder_tid);

/*
 * Same against a memory reader, for unit tests; pthread_tid_offset as for
 * py_stack_read_mem_ex() (3.8-3.10 need it: -ENOTSUP without).
 */
int py_gil_state_mem(const struct mem_reader *mem, const char *version, uint64_t runtime_addr, int pthread_tid_offset,
		     bool *locked, pid_t *holder_tid);

/*
 * Line of the code unit at byte offset addr in a 3.11+ location table
 * (co_linetable, see CPython's Objects/locations.md), like PyCode_Addr2Line():
 * firstlineno for addr < 0, -1 if the instruction has no line or addr is
 * beyond the table.
 */
int py_location_table_line(const uint8_t *table, size_t len, int firstlineno, int addr);
#endif

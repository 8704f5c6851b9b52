/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LOOPSTALL_PY_STACK_H
#define LOOPSTALL_PY_STACK_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "record/stall_record.h"
#include "runtimes/python/frame.h"
#include "base/target_memory.h"

/*
 * Fills up to max frames of thread tid (the kernel TID) of a target of
 * `version` ("3.11") whose _PyRuntime is at runtime_addr, innermost first.
 * Returns the count (0 if that thread has no Python frames or no thread
 * state) or -errno. Never loops forever or crashes on garbage memory: the
 * threads and frames walked are bounded, pointers checked, strings capped.
 * 3.8-3.10 need pthread_tid_offset (process.h): -ENOTSUP without (-1).
 */
int py_stack_read_mem_ex(const struct mem_reader *mem, const char *version, uint64_t runtime_addr,
			 int pthread_tid_offset, pid_t tid, struct py_frame *frames, int max);
/* The same, and the request thread tid's task serves (request.h) in *req, empty when none. */
int py_stack_read_mem_req(const struct mem_reader *mem, const char *version, uint64_t runtime_addr,
			  int pthread_tid_offset, pid_t tid, struct py_frame *frames, int max, struct served_request *req);
/*
 * py_stack_read_mem_req (req may be NULL) with code objects named before
 * taken from codes (code_cache.h); *torn (may be NULL): the walk caught a
 * generator in passing and the stack is cut short (struct walk).
 */
int py_stack_read_cached(const struct mem_reader *mem, struct py_code_cache *codes, const char *version,
			 uint64_t runtime_addr, int pthread_tid_offset, pid_t tid, struct py_frame *frames, int max,
			 struct served_request *req, bool *torn);
/*
 * The Python name of thread tid (thread_name.h), read from its whole stack
 * up to THREAD_NAME_FRAMES deep: 0 and buf, -ENOENT, or -errno.
 */
#define THREAD_NAME_FRAMES 128
int py_thread_name_mem(const struct mem_reader *mem, struct py_code_cache *codes, const char *version,
		       uint64_t runtime_addr, int pthread_tid_offset, pid_t tid, char *buf, size_t len);
/* The same without the offset, enough for 3.11+. */
int py_stack_read_mem(const struct mem_reader *mem, const char *version, uint64_t runtime_addr, pid_t tid,
		      struct py_frame *frames, int max);

#endif

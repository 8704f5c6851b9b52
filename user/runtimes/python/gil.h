/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LOOPSTALL_PY_GIL_H
#define LOOPSTALL_PY_GIL_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/target_memory.h"

/*
 * The GIL of a target of `version` whose _PyRuntime is at runtime_addr:
 * *locked, and the kernel tid of the thread that holds it (last_holder's
 * native thread id), or 0 if unknown or not locked. 0 or -errno
 * (-EPROTONOSUPPORT where the version's layout is unknown, -EAGAIN if the
 * GIL does not exist yet or kept changing while read). 3.12+: the main
 * interpreter's GIL. pthread_tid_offset as for py_stack_read_mem_ex()
 * (3.8-3.10 need it: -ENOTSUP without).
 */
int py_gil_state_mem(const struct mem_reader *mem, const char *version, uint64_t runtime_addr, int pthread_tid_offset,
		     bool *locked, pid_t *holder_tid);
/*
 * Where a thread that waits for that GIL sleeps: [*from, *to), the GIL's
 * condition variable and mutex, the address its futex call names. 0 or
 * -errno as above.
 */
int py_gil_wait_range_mem(const struct mem_reader *mem, const char *version, uint64_t runtime_addr, uint64_t *from,
			  uint64_t *to);

#endif

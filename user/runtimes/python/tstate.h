/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LOOPSTALL_PY_TSTATE_H
#define LOOPSTALL_PY_TSTATE_H
#include <stdint.h>
#include <sys/types.h>

#include "runtimes/python/layouts.h"
#include "base/target_memory.h"

/* Finding thread states in the interpreters' lists, and checking a row against the target. */

/* What py_find_tstate() looks for: a kernel tid, or a thread state's address. */
struct tstate_key {
	pid_t tid;
	uint64_t addr; /* nonzero: match this address, not tid */
	int pthread_tid_offset;
};

/* Kernel tid of thread state ts: 0 or -errno. */
int py_tstate_tid(const struct mem_reader *m, const struct py_layout *L, uint64_t ts, int pthread_tid_offset,
		  pid_t *tid);
/* A thread state in the thread lists of all interpreters: 1 found (*out), 0 not, -errno. */
int py_find_tstate(const struct mem_reader *m, const struct py_layout *L, uint64_t runtime,
		   const struct tstate_key *key, uint64_t *out);
/* 3.13+: 0 if the row agrees with the target's _Py_DebugOffsets, else -EPROTONOSUPPORT. */
int py_check_debug_offsets(const struct mem_reader *m, const struct py_layout *L, uint64_t runtime);

#endif

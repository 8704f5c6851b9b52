// SPDX-License-Identifier: GPL-2.0
/*
 * Thread states: _PyRuntime.interpreters.head -> PyInterpreterState (->next
 * ...) -> thread states (->next ...), matched on the kernel tid (3.11+:
 * ->native_thread_id; 3.8-3.10: ->thread_id is pthread_self(), and the tid
 * is in struct pthread); and the check of a 3.13+ row against the target's
 * _Py_DebugOffsets.
 */
#include <errno.h>
#include <string.h>

#include "runtimes/python/tstate.h"

#define MAX_INTERPRETERS 64
#define MAX_THREADS	 4096 /* thread states visited, all interpreters together */

#define DEBUG_COOKIE	    "xdebugpy"
#define DEBUG_VERSION	    8	/* u64 PY_VERSION_HEX */
#define DEBUG_FREE_THREADED 16	/* u64, 1 in --disable-gil builds (other layouts) */
#define DEBUG_SIZE	    584 /* sizeof(_Py_DebugOffsets) in 3.13 */

/*
 * Kernel tid of thread state ts: 0 or -errno. 3.8-3.10 only know
 * pthread_self(), the address of the C library's struct pthread, which holds
 * the tid at pthread_tid_offset.
 */
int py_tstate_tid(const struct mem_reader *m, const struct py_layout *L, uint64_t ts, int pthread_tid_offset,
		  pid_t *tid)
{
	uint64_t id;
	int32_t ktid;
	int err;

	if (L->tstate_native_thread_id) {
		err = mem_read_ptr(m, ts + L->tstate_native_thread_id, &id);
		if (err)
			return err;
		if (!id || id > INT32_MAX)
			return -EINVAL;
		*tid = (pid_t)id;
		return 0;
	}
	err = mem_read_ptr(m, ts + L->tstate_thread_id, &id);
	if (err)
		return err;
	if (!mem_valid_ptr(id, 8))
		return -EFAULT;
	err = mem_read(m, id + pthread_tid_offset, &ktid, sizeof(ktid));
	if (err)
		return err;
	if (ktid <= 0)
		return -EINVAL; /* glibc zeroes it when the thread exits */
	*tid = ktid;
	return 0;
}

static bool tstate_matches(const struct mem_reader *m, const struct py_layout *L, uint64_t ts,
			   const struct tstate_key *key)
{
	pid_t tid;

	if (key->addr)
		return ts == key->addr;
	/* an exited thread's struct pthread may be gone: not this one, go on */
	return !py_tstate_tid(m, L, ts, key->pthread_tid_offset, &tid) && tid == key->tid;
}

/*
 * Finds a thread state in the thread lists of all interpreters: 1 found
 * (*out), 0 not, -errno.
 */
int py_find_tstate(const struct mem_reader *m, const struct py_layout *L, uint64_t runtime,
		   const struct tstate_key *key, uint64_t *out)
{
	uint64_t interp, ts;
	int i, budget = MAX_THREADS, err;

	err = mem_read_ptr(m, runtime + L->runtime_interp_head, &interp);
	if (err)
		return err;
	for (i = 0; interp && i < MAX_INTERPRETERS; i++) {
		if (!mem_valid_ptr(interp, 8))
			return -EFAULT;
		err = mem_read_ptr(m, interp + L->interp_threads_head, &ts);
		if (err)
			return err;
		for (; ts && budget > 0; budget--) {
			if (!mem_valid_ptr(ts, 8))
				return -EFAULT;
			if (tstate_matches(m, L, ts, key)) {
				*out = ts;
				return 1;
			}
			err = mem_read_ptr(m, ts + L->tstate_next, &ts);
			if (err)
				return err;
		}
		err = mem_read_ptr(m, interp + L->interp_next, &interp);
		if (err)
			return err;
	}
	return 0;
}

/*
 * 3.13+: checks the row against the _Py_DebugOffsets that CPython keeps at
 * the start of _PyRuntime, so a build with another layout (a patch release
 * that moved a field, a free-threaded build) is refused rather than misread.
 */
int py_check_debug_offsets(const struct mem_reader *m, const struct py_layout *L, uint64_t runtime)
{
	uint8_t buf[DEBUG_SIZE];
	uint64_t version;
	size_t i;

	if (!L->debug)
		return 0;
	if (mem_read(m, runtime, buf, sizeof(buf)) || memcmp(buf, DEBUG_COOKIE, 8))
		return -EPROTONOSUPPORT;
	version = mem_get_u64(buf, DEBUG_VERSION);
	if (((version >> 24) & 0xff) != (uint64_t)L->major || ((version >> 16) & 0xff) != (uint64_t)L->minor ||
	    mem_get_u64(buf, DEBUG_FREE_THREADED))
		return -EPROTONOSUPPORT;
	for (i = 0; i < L->n_debug; i++) {
		uint16_t want;

		memcpy(&want, (const uint8_t *)L + L->debug[i].field, sizeof(want));
		if (L->debug[i].pos + 8u > sizeof(buf) || mem_get_u64(buf, L->debug[i].pos) != want)
			return -EPROTONOSUPPORT;
	}
	return 0;
}


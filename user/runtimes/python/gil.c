// SPDX-License-Identifier: GPL-2.0
/*
 * The GIL (py_gil_state_mem(), which process.c runs on a live process):
 * struct _gil_runtime_state, at _PyRuntime.ceval.gil (3.8-3.11) or through
 * the main interpreter's ceval.gil pointer (3.12+); while locked,
 * last_holder is the holder's thread state.
 */
#include <errno.h>
#include <pthread.h>

#include "runtimes/python/gil.h"
#include "runtimes/python/layouts.h"
#include "runtimes/python/tstate.h"

#define GIL_TRIES 4 /* reads of the GIL that changed under us before giving up */

/* The fields of struct _gil_runtime_state we use. */
struct gil_snapshot {
	uint64_t last_holder;
	uint64_t switch_number;
	int32_t locked;
};

/*
 * Address of the GIL: in _PyRuntime for 3.8-3.11; 3.12+ give each
 * interpreter a pointer to its own (or a shared) one: the main interpreter's.
 */
static int gil_addr(const struct mem_reader *m, const struct py_layout *L, uint64_t runtime, uint64_t *gil)
{
	uint64_t interp;
	int err;

	if (L->runtime_gil) {
		*gil = runtime + L->runtime_gil;
		return 0;
	}
	if (!L->interp_gil)
		return -EPROTONOSUPPORT;
	err = mem_read_ptr(m, runtime + L->runtime_interp_main, &interp);
	if (err)
		return err;
	if (!interp)
		return -EAGAIN; /* not initialized yet */
	if (!mem_valid_ptr(interp, 8))
		return -EFAULT;
	err = mem_read_ptr(m, interp + L->interp_gil, gil);
	if (err)
		return err;
	if (!*gil)
		return -EAGAIN;
	return mem_valid_ptr(*gil, 8) ? 0 : -EFAULT;
}

static int read_gil(const struct mem_reader *m, const struct py_layout *L, uint64_t gil, struct gil_snapshot *g)
{
	uint8_t buf[64];
	size_t len = L->gil_locked + 4;
	int err;

	if (L->gil_last_holder + 8u > len)
		len = L->gil_last_holder + 8;
	if (L->gil_switch_number + 8u > len)
		len = L->gil_switch_number + 8;
	if (len > sizeof(buf))
		return -EINVAL;
	err = mem_read(m, gil, buf, len);
	if (err)
		return err;
	g->last_holder = mem_get_u64(buf, L->gil_last_holder);
	g->switch_number = mem_get_u64(buf, L->gil_switch_number);
	g->locked = mem_get_i32(buf, L->gil_locked);
	return 0;
}

/*
 * last_holder is set by take_gil() just after locked, and stays after the
 * GIL is dropped (it may then point to a freed thread state). So it names
 * the holder only while locked is 1, and only if it is in a thread list;
 * reading the GIL again afterwards catches a switch during the lookup.
 */
int py_gil_state_mem(const struct mem_reader *mem, const char *version, uint64_t runtime_addr, int pthread_tid_offset,
		     bool *locked, pid_t *holder_tid)
{
	struct tstate_key key = {0};
	struct gil_snapshot a, b;
	const struct py_layout *L;
	uint64_t gil, ts;
	int r, tries;

	if (!mem || !mem->read || !version || !locked || !holder_tid)
		return -EINVAL;
	*locked = false;
	*holder_tid = 0;
	r = py_layout_for_target(version, runtime_addr, pthread_tid_offset, &L);
	if (r)
		return r;
	r = py_check_debug_offsets(mem, L, runtime_addr);
	if (r)
		return r;
	r = gil_addr(mem, L, runtime_addr, &gil);
	if (r)
		return r;

	r = -EAGAIN;
	for (tries = 0; tries < GIL_TRIES; tries++) {
		pid_t tid = 0;
		int found;

		r = read_gil(mem, L, gil, &a);
		if (r)
			return r;
		if (a.locked == -1)
			return -EAGAIN; /* not created yet, or finalized */
		if (a.locked != 0 && a.locked != 1)
			return -EINVAL;
		if (!a.locked)
			return 0;
		key.addr = a.last_holder;
		found = mem_valid_ptr(a.last_holder, 8) ? py_find_tstate(mem, L, runtime_addr, &key, &ts) : 0;
		if (found < 0) {
			r = found; /* a thread list changed under us: try again */
			continue;
		}
		if (found && py_tstate_tid(mem, L, a.last_holder, pthread_tid_offset, &tid))
			tid = 0;
		r = read_gil(mem, L, gil, &b);
		if (r)
			return r;
		if (a.locked == b.locked && a.last_holder == b.last_holder && a.switch_number == b.switch_number) {
			*locked = true;
			*holder_tid = tid;
			return 0;
		}
		r = -EAGAIN;
	}
	return r;
}

/*
 * cond and mutex follow switch_number in every version (3.8-3.13); their
 * sizes are the C library's, the same for the target as for us on one
 * architecture (glibc and musl agree on 64-bit).
 */
int py_gil_wait_range_mem(const struct mem_reader *mem, const char *version, uint64_t runtime_addr, uint64_t *from,
			  uint64_t *to)
{
	const struct py_layout *L;
	uint64_t gil;
	int r;

	if (!mem || !mem->read || !version || !from || !to)
		return -EINVAL;
	L = py_layout_by_name(version);
	if (!L)
		return -EPROTONOSUPPORT;
	if (!mem_valid_ptr(runtime_addr, 8))
		return -EFAULT;
	r = gil_addr(mem, L, runtime_addr, &gil);
	if (r)
		return r;
	*from = gil + L->gil_switch_number + 8;
	*to = *from + sizeof(pthread_cond_t) + sizeof(pthread_mutex_t);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * asyncio task names (py_name_tasks): the coroutine frame called by
 * Handle._run gets the name of the task being stepped: Handle._run's self
 * ->_callback (slot offset from its type's tp_members) -> the C Task, whose
 * task_coro must be that frame's coroutine.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "runtimes/python/objects.h"
#include "runtimes/python/strings.h"
#include "runtimes/python/task.h"

#define HANDLE_RUN_FILE "asyncio/events.py"

/*
 * Task names not given by the user are "Task-N"; 3.12+ keep just N, an int,
 * until asked. Formats small non-negative ints (two 30-bit digits).
 */
static int read_counter_name(const struct mem_reader *m, const struct py_layout *L, uint64_t obj, char *dst, size_t cap)
{
	uint8_t buf[40];
	uint64_t v, size;
	uint32_t d[2];
	int ndigits;

	if (L->long_digit + 8u > sizeof(buf) || mem_read(m, obj, buf, L->long_digit + 8))
		return -EFAULT;
	size = mem_get_u64(buf, L->long_size);
	if (L->long_tagged) {
		if ((size & 3) == 2 || (size >> 3) > 2)
			return -EINVAL; /* negative, or too big to be a task counter */
		ndigits = (size & 3) == 1 ? 0 : (int)(size >> 3);
	} else {
		if ((int64_t)size < 0 || size > 2)
			return -EINVAL;
		ndigits = (int)size;
	}
	memcpy(d, buf + L->long_digit, sizeof(d));
	v = ndigits > 0 ? d[0] & 0x3fffffff : 0;
	if (ndigits > 1)
		v |= (uint64_t)(d[1] & 0x3fffffff) << 30;
	snprintf(dst, cap, "Task-%llu", (unsigned long long)v);
	return 0;
}

/*
 * Name of the _asyncio.Task whose step Handle._run (frame handle_frame) is
 * running, if that task's coroutine is coro: self->_callback is the task's
 * TaskStepMethWrapper (a heap type named "_asyncio.TaskStepMethWrapper" in
 * 3.12+), TaskWakeupMethWrapper (3.8-3.10) or bound task_wakeup (3.11+),
 * each of which holds the task. Anything unexpected: -errno and "".
 */
static int task_name(const struct mem_reader *m, const struct py_layout *L, uint64_t handle_frame, uint64_t coro,
		     char *dst, size_t cap)
{
	uint64_t self, type, off, cb, task, tcoro, name;
	uint8_t buf[256];

	dst[0] = '\0';
	if (!L->task_name || !mem_valid_ptr(coro, 8) || L->task_name + 8u > sizeof(buf) ||
	    L->task_coro + 8u > sizeof(buf))
		return -EPROTONOSUPPORT;
	if (mem_read_ptr(m, handle_frame + L->frame_localsplus, &self) || !py_type_is(m, L, self, NULL, &type))
		return -EFAULT;
	if (py_member_offset(m, L, type, "_callback", true, &off) || mem_read_ptr(m, self + off, &cb))
		return -ENOENT;
	if (py_type_is(m, L, cb, "TaskStepMethWrapper", NULL) || py_type_is(m, L, cb, "_asyncio.TaskStepMethWrapper", NULL) ||
	    py_type_is(m, L, cb, "TaskWakeupMethWrapper", NULL)) {
		if (mem_read_ptr(m, cb + L->wrapper_task, &task))
			return -EFAULT;
	} else if (py_type_is(m, L, cb, "builtin_function_or_method", NULL)) {
		if (mem_read_ptr(m, cb + L->cfunc_self, &task))
			return -EFAULT;
	} else {
		return -ENOENT; /* a callback that is not a task's */
	}
	if (!py_type_is(m, L, task, "_asyncio.Task", NULL))
		return -ENOENT;
	if (mem_read(m, task, buf, (L->task_name > L->task_coro ? L->task_name : L->task_coro) + 8))
		return -EFAULT;
	tcoro = mem_get_u64(buf, L->task_coro);
	name = mem_get_u64(buf, L->task_name);
	if (tcoro != coro)
		return -ENOENT; /* not the task running this coroutine */
	if (py_type_is(m, L, name, "str", NULL))
		return py_read_str(m, L, name, dst, cap);
	if (py_type_is(m, L, name, "int", NULL))
		return read_counter_name(m, L, name, dst, cap);
	return -EINVAL;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

/* Handle._run of asyncio/events.py (3.8-3.10 know only co_name "_run"). */
static bool is_handle_run(const struct py_frame *f)
{
	return (!strcmp(f->function, "Handle._run") || !strcmp(f->function, "_run")) &&
	       ends_with(f->file, HANDLE_RUN_FILE);
}

/* The coroutine object a coroutine frame belongs to, or 0. */
static uint64_t frame_coroutine(const struct mem_reader *m, const struct py_layout *L, uint64_t frame, int owner)
{
	uint64_t gen;

	if (L->frames == PY_INTERP_FRAME)
		return owner == L->owner_generator && frame > L->gen_iframe ? frame - L->gen_iframe : 0;
	if (mem_read_ptr(m, frame + L->frame_gen, &gen))
		return 0;
	return gen;
}

/* Names the task on each coroutine frame called by Handle._run; n frames walked (peek included). */
void py_name_tasks(const struct mem_reader *m, const struct py_layout *L, struct walk *w, int n)
{
	int i;

	for (i = 0; i + 1 < n && i < w->max; i++) {
		struct py_frame *f = &w->frames[i];

		if (!f->coroutine || !is_handle_run(walk_slot(w, i + 1)))
			continue;
		task_name(m, L, w->addr[i + 1], frame_coroutine(m, L, w->addr[i], w->owner[i]), f->task,
			  sizeof(f->task));
	}
}

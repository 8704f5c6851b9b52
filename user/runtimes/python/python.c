// SPDX-License-Identifier: GPL-2.0
/* CPython behind the runtime interface. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include "runtimes/python/elf.h"
#include "runtimes/python/methods.h"
#include "runtimes/python/process.h"
#include "runtimes/python/python.h"

#define MAX_PY_FRAMES 64

_Static_assert(sizeof(((struct py_frame *)0)->function) == sizeof(((struct stall_frame *)0)->function),
	       "python and stall frames hold the same function names");
_Static_assert(sizeof(((struct py_frame *)0)->file) == sizeof(((struct stall_frame *)0)->file),
	       "python and stall frames hold the same file names");
_Static_assert(sizeof(((struct py_frame *)0)->task) == sizeof(((struct stall_frame *)0)->task),
	       "python and stall frames hold the same task names");

static bool recognize(const struct proc_maps *maps, const char *exe)
{
	int i;

	if (py_is_python_file(exe))
		return true;
	/* An interpreter embedded in another program (uwsgi, a C server) shows in its mappings. */
	for (i = 0; i < maps->n; i++)
		if (maps->v[i].path[0] == '/' && py_is_python_file(maps->v[i].path))
			return true;
	return false;
}

static int open_process(pid_t pid, const struct proc_maps *maps, void **state)
{
	return py_process_open(pid, maps, (struct py_process **)state);
}

static void close_process(void *state)
{
	py_process_close(state);
}

static void status(void *state, int err, char *buf, size_t len)
{
	if (err)
		snprintf(buf, len, "unreadable: %s", strerror(-err));
	else
		snprintf(buf, len, "%s", py_process_version(state));
}

static void to_stall_frame(const struct py_frame *p, struct stall_frame *f)
{
	memset(f, 0, sizeof(*f));
	f->kind = FRAME_PYTHON;
	f->coroutine = p->coroutine;
	f->line = p->line;
	memcpy(f->function, p->function, sizeof(f->function));
	memcpy(f->file, p->file, sizeof(f->file));
	memcpy(f->task, p->task, sizeof(f->task));
	f->function[sizeof(f->function) - 1] = 0;
	f->file[sizeof(f->file) - 1] = 0;
	f->task[sizeof(f->task) - 1] = 0;
}

/*
 * A running thread's frames change while we read them: a read can stop
 * early. Read it a few times and keep the deepest stack; a blocked
 * thread's is stable and read once.
 */
static int read_stack(void *state, pid_t tid, bool running, struct stall_frame *out, int max)
{
	struct py_frame frames[MAX_PY_FRAMES], again[MAX_PY_FRAMES];
	int n, m, i, tries;

	if (max > MAX_PY_FRAMES)
		max = MAX_PY_FRAMES;
	n = py_stack_read_req(state, tid, frames, max, true); /* and the request, for read_request */
	for (tries = running ? 2 : 0; tries > 0; tries--) {
		m = py_stack_read(state, tid, again, max);
		if (m > n) {
			memcpy(frames, again, m * sizeof(again[0]));
			n = m;
		}
	}
	for (i = 0; i < n; i++)
		to_stall_frame(&frames[i], &out[i]);
	return n;
}

/* Who holds the GIL, and its Python stack. */
static int lock_holder(void *state, pid_t tid, struct lock_holder *out)
{
	struct py_frame frames[HOLDER_MAX_FRAMES];
	bool locked;
	pid_t holder;
	int err = py_gil_state(state, &locked, &holder), n, i;

	if (err)
		return err;
	memset(out, 0, sizeof(*out));
	snprintf(out->lock, sizeof(out->lock), "gil");
	out->held = locked;
	out->tid = locked ? holder : 0;
	if (!locked || holder <= 0 || holder == tid)
		return 0;
	n = py_stack_read(state, holder, frames, HOLDER_MAX_FRAMES);
	for (i = 0; i < n; i++)
		to_stall_frame(&frames[i], &out->frames[i]);
	out->nframes = n > 0 ? n : 0;
	if (out->nframes)
		out->frame = out->frames[0];
	return 0;
}

static bool has_frame(const struct stall_frame *frames, int n, const char *function)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(frames[i].function, function) == 0)
			return true;
	return false;
}

/*
 * A futex wait is for the GIL when its address is the GIL's condition
 * variable or mutex. Where that address is not known yet, when the loop
 * waits in a condition variable (threading locks go through
 * PyThread_acquire_lock_timed and semaphores instead) while another thread
 * holds the GIL.
 */
static void refine(void *state, struct stall_record *r, const struct stall_frame *native, int n)
{
	bool gil_futex = state && r->syscall_nr == SYS_futex && py_waits_for_gil(state, r->syscall_args[0]);
	bool gil_held = strcmp(r->holder.lock, "gil") == 0 && r->holder.held && r->holder.tid != r->tid;

	if (state)
		snprintf(r->framework, sizeof(r->framework), "%s", py_process_framework(state));
	if (r->cause == CAUSE_LOCK &&
	    (gil_futex || (gil_held && (has_frame(native, n, "pthread_cond_timedwait") ||
					has_frame(native, n, "pthread_cond_wait")) &&
			   !has_frame(native, n, "PyThread_acquire_lock_timed"))))
		r->cause = CAUSE_GIL;
}

/*
 * Functions that run an event loop, by their file's ending: a thread with
 * one of them on its stack (or a coroutine frame, which only a loop runs)
 * runs a loop. Any other Python thread does not.
 */
static const struct {
	const char *file;
	const char *function;
	const char *how;
} loop_runners[] = {
	{"asyncio/base_events.py", "run_forever", "python: asyncio's run_forever on its stack"},
	{"asyncio/base_events.py", "run_until_complete", "python: asyncio's run_until_complete on its stack"},
	{"asyncio/runners.py", "run", "python: asyncio.run on its stack"},
	{"uvloop/__init__.py", "run", "python: uvloop.run on its stack"},
	{"trio/_core/_run.py", "run", "python: trio.run on its stack"},
	{"twisted/internet/base.py", "mainLoop", "python: Twisted's reactor on its stack"},
	{"gevent/hub.py", "run", "python: gevent's hub on its stack"},
	{"gevent/greenlet.py", "run", "python: a gevent greenlet on its stack"},
	{"tornado/ioloop.py", "start", "python: Tornado's IOLoop on its stack"},
};

static bool ends_with(const char *s, const char *end)
{
	size_t n = strlen(s), m = strlen(end);

	return n >= m && strcmp(s + n - m, end) == 0;
}

static int loop_of_thread(void *state, pid_t pid, pid_t tid, bool running, char *how, size_t len)
{
	struct stall_frame frames[MAX_PY_FRAMES];
	int n = read_stack(state, tid, running, frames, MAX_PY_FRAMES), i;
	size_t r;

	(void)pid;
	if (n <= 0)
		return -ENOENT; /* no Python frames: not a thread of the interpreter's, or unreadable */
	/* In the selector asyncio's _run_once waits in: the loop idles (a PollSelector's one fd and timeout). */
	if (n >= 2 && !strcmp(frames[0].function, "select") && ends_with(frames[0].file, "/selectors.py") &&
	    !strcmp(frames[1].function, "_run_once") && ends_with(frames[1].file, "asyncio/base_events.py")) {
		snprintf(how, len, "python: asyncio's selector waits");
		return THREAD_WAITING;
	}
	for (i = 0; i < n; i++) {
		if (frames[i].coroutine) {
			snprintf(how, len, "python: a coroutine on its stack (%s)", frames[i].function);
			return THREAD_IN_ITERATION;
		}
		for (r = 0; r < sizeof(loop_runners) / sizeof(loop_runners[0]); r++) {
			if (strcmp(frames[i].function, loop_runners[r].function) == 0 &&
			    ends_with(frames[i].file, loop_runners[r].file)) {
				snprintf(how, len, "%s", loop_runners[r].how);
				return THREAD_IN_ITERATION;
			}
		}
	}
	/* Cut at the bound, the loop's frames may be past it. */
	return n < MAX_PY_FRAMES ? THREAD_NO_LOOP : -ENOENT;
}

static int read_request(void *state, pid_t tid, struct served_request *out)
{
	return py_process_last_request(state, tid, out);
}

static int thread_name(void *state, pid_t tid, char *buf, size_t len)
{
	return py_thread_name(state, tid, buf, len);
}

static int name_native(void *state, const struct stall_frame *f, uint64_t caller, char *buf, size_t len)
{
	if (!py_methods_module(f->module))
		return -ENOENT; /* libc, libcrypto: no method tables there */
	return py_process_c_function(state, f->entry, caller, buf, len);
}

static void warm_names(void *state)
{
	py_process_warm_methods(state);
}

/* 3.6 to 3.13 run every Python frame here; the frames between it and a blocking call are one call's. */
static bool is_eval_loop(const char *function)
{
	return strcmp(function, "_PyEval_EvalFrameDefault") == 0;
}

static bool is_interpreter(void *state, const char *module)
{
	(void)state;
	return py_is_python_file(module);
}

const struct runtime_ops python_runtime = {
	.name = "python",
	.recognize = recognize,
	.open = open_process,
	.close = close_process,
	.status = status,
	.read_stack = read_stack,
	.read_request = read_request,
	.thread_name = thread_name,
	.lock_holder = lock_holder,
	.is_interpreter = is_interpreter,
	.is_eval_loop = is_eval_loop,
	.name_native = name_native,
	.warm_names = warm_names,
	.loop_of_thread = loop_of_thread,
	.refine = refine,
};

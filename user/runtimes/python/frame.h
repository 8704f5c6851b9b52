/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LOOPSTALL_PY_FRAME_H
#define LOOPSTALL_PY_FRAME_H
#include <stdbool.h>
#include <stdint.h>

/* A Python frame as read from the target, and what a stack walk keeps beside it. */

#define MAX_FRAME_STEPS 1024 /* frames visited, including skipped shim frames */

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

/*
 * What the walkers keep beside the frames: their addresses, and one frame
 * past max (peek), so the outermost coroutine frame still sees its caller.
 */
struct py_code_cache;

struct walk {
	struct py_frame *frames;
	int max;
	struct py_code_cache *codes; /* NULL: every code object read in full */
	struct py_frame peek;
	uint64_t addr[MAX_FRAME_STEPS + 1];
	int8_t owner[MAX_FRAME_STEPS + 1];
	/*
	 * The walk ended at a generator's frame with no caller: a thread never
	 * starts in one, so the read caught a generator being resumed or
	 * suspended (its previous not set yet): the stack is cut short.
	 */
	bool torn;
};

static inline struct py_frame *walk_slot(struct walk *w, int n)
{
	return n < w->max ? &w->frames[n] : &w->peek;
}

#endif

// SPDX-License-Identifier: GPL-2.0
/*
 * The second half of attribution, on the reporter thread: captured native
 * addresses and CPU samples become named frames and hot frames, and what
 * the names tell refines the cause (a futex wait for the GIL is "gil").
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include "perf_map.h"
#include "resolve.h"

static bool is_interpreter_module(const char *module)
{
	const char *base = strrchr(module, '/');

	base = base ? base + 1 : module;
	return strncmp(base, "python", 6) == 0 || strncmp(base, "libpython", 9) == 0;
}

static bool hotter_on_tie(const struct hot_frame *c, int c_depth, const struct hot_frame *b, int b_depth)
{
	bool c_js = c->frame.kind == FRAME_JS, b_js = b->frame.kind == FRAME_JS;

	if (c_js != b_js)
		return c_js;
	if (c->self != b->self)
		return c->self > b->self;
	return c_depth < b_depth;
}

/*
 * The native (and JS) functions most often on CPU: each sample counts once
 * for every distinct function among its innermost frames.
 */
static void count_native_samples(struct symbolizer *s, struct stall_record *r)
{
	struct hot_frame counted[64];
	int depth[64]; /* the innermost position each was seen at */
	int ncounted = 0, i, j, k;

	for (i = 0; i < r->n_samples; i++) {
		int seen[STALL_SAMPLE_DEPTH], nseen = 0;

		for (j = 0; j < r->sample_depth[i] && j < STALL_SAMPLE_DEPTH; j++) {
			struct stall_frame f;

			memset(&f, 0, sizeof(f));
			symbolize_ip(s, r->pid, r->sample_ips[i][j], j > 0, &f);
			if (!f.module[0] && f.kind != FRAME_JS)
				break;
			f.function[strcspn(f.function, "@")] = 0;
			f.line = 0;
			f.file[0] = 0;
			f.ip = 0;
			for (k = 0; k < ncounted; k++)
				if (strcmp(counted[k].frame.function, f.function) == 0 &&
				    strcmp(counted[k].frame.module, f.module) == 0)
					break;
			if (k == ncounted) {
				if (ncounted == 64)
					continue;
				counted[ncounted].frame = f;
				counted[ncounted].samples = 0;
				counted[ncounted].self = 0;
				counted[ncounted].python = false;
				depth[ncounted++] = j;
			}
			if (j < depth[k])
				depth[k] = j;
			if (j == 0)
				counted[k].self++;
			for (int m = 0; m < nseen; m++)
				if (seen[m] == k)
					goto next;
			seen[nseen++] = k;
			counted[k].samples++;
		next:;
		}
	}
	/*
	 * Most samples first; on a tie, JS code (the app's), then the most
	 * samples on CPU in the function itself, then the innermost: frames
	 * every sample shares (main, the event loop) come last.
	 */
	for (i = 0; i < ncounted && r->nhot < STALL_MAX_HOT; i++) {
		int best = -1;

		for (j = 0; j < ncounted; j++) {
			const struct hot_frame *c = &counted[j], *b = best < 0 ? NULL : &counted[best];

			if (!c->samples)
				continue;
			if (!b || c->samples > b->samples ||
			    (c->samples == b->samples && hotter_on_tie(c, depth[j], b, depth[best])))
				best = j;
		}
		if (best < 0)
			break;
		r->hot[r->nhot++] = counted[best];
		counted[best].samples = 0;
	}
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
 * A futex wait is a lock, unless a CPython loop waits in the interpreter's
 * GIL condition variable while another thread holds the GIL. Threading
 * locks go through PyThread_acquire_lock_timed and semaphores instead.
 */
static void refine_futex_cause(struct stall_record *r, const struct stall_frame *native, int n)
{
	if (r->cause != CAUSE_SYSCALL || r->syscall_nr != SYS_futex)
		return;
	r->cause = CAUSE_LOCK;
	if (r->gil_locked && r->gil_holder_tid != r->tid &&
	    (has_frame(native, n, "pthread_cond_timedwait") || has_frame(native, n, "pthread_cond_wait")) &&
	    !has_frame(native, n, "PyThread_acquire_lock_timed"))
		r->cause = CAUSE_GIL;
}

static bool is_node(const struct stall_record *r, const struct stall_frame *frames, int n)
{
	int i;

	if (strcmp(r->comm, "node") == 0)
		return true;
	for (i = 0; i < n; i++) {
		const char *base = strrchr(frames[i].module, '/');

		if (base && strcmp(base + 1, "node") == 0)
			return true;
	}
	return false;
}

/*
 * Native frames first, innermost first, then the Python frames already in
 * r->frames. A frame-pointer walk through code built without frame pointers
 * yields garbage after a frame or two: stop at the first address in no module.
 */
void resolve_record(struct symbolizer *s, struct stall_record *r)
{
	struct stall_frame native[STALL_MAX_NATIVE];
	int n = 0, i, keep;

	for (i = 0; i < r->n_native_ips; i++) {
		struct stall_frame *f = &native[n];

		memset(f, 0, sizeof(*f));
		symbolize_ip(s, r->pid, r->native_ips[i], i > 0, f);
		if (!f->module[0] && f->kind != FRAME_JS)
			break;
		/* "clock_nanosleep@GLIBC_2.2.5": the symbol version is noise here. */
		f->function[strcspn(f->function, "@")] = 0;
		n++;
		if (r->native_to_interpreter && is_interpreter_module(f->module))
			break;
	}
	r->n_native_ips = 0;
	if (r->n_samples > 0)
		count_native_samples(s, r);
	/* On CPU with no blocking point and no Python stack: show the deepest sample. */
	if (n == 0 && r->nframes == 0 && r->n_samples > 0) {
		int last = 0;

		for (i = 1; i < r->n_samples; i++)
			if (r->sample_depth[i] >= r->sample_depth[last])
				last = i;
		for (i = 0; i < r->sample_depth[last] && n < STALL_MAX_NATIVE; i++) {
			struct stall_frame *f = &native[n];

			memset(f, 0, sizeof(*f));
			symbolize_ip(s, r->pid, r->sample_ips[last][i], i > 0, f);
			if (!f->module[0] && f->kind != FRAME_JS)
				break;
			f->function[strcspn(f->function, "@")] = 0;
			n++;
		}
	}
	refine_futex_cause(r, native, n);
	if (is_node(r, native, n) && !perf_map_exists(r->pid))
		snprintf(r->note, sizeof(r->note),
			 "JavaScript frames are unnamed: start node with "
			 "--perf-basic-prof-only-functions (it writes /tmp/perf-%d.map)",
			 r->pid);
	keep = r->nframes + n > STALL_MAX_FRAMES ? STALL_MAX_FRAMES - n : r->nframes;
	memmove(&r->frames[n], &r->frames[0], keep * sizeof(r->frames[0]));
	memcpy(&r->frames[0], native, n * sizeof(native[0]));
	r->nframes = keep + n;
}

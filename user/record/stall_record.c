// SPDX-License-Identifier: GPL-2.0
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "base/syscalls.h"
#include "record/stall_record.h"

const char *stall_cause_name(enum stall_cause cause)
{
	switch (cause) {
	case CAUSE_CPU: return "cpu";
	case CAUSE_SYSCALL: return "syscall";
	case CAUSE_RUNQUEUE: return "runqueue";
	case CAUSE_OTHER: return "other";
	case CAUSE_LOCK: return "lock";
	case CAUSE_GIL: return "gil";
	case CAUSE_STOPPED: return "stopped";
	}
	return "unknown";
}

const char *frame_kind_name(enum frame_kind kind)
{
	return kind == FRAME_PYTHON ? "python" : kind == FRAME_JS ? "js" : kind == FRAME_JIT ? "jit" : "native";
}

void stall_record_clear(struct stall_record *r)
{
	memset(r, 0, offsetof(struct stall_record, native_ips));
}

/* n entries of array (at most max), from src to dst. */
#define COPY_USED(dst, src, array, n, max) \
	memcpy((dst)->array, (src)->array, (size_t)((n) < 0 ? 0 : (n) > (max) ? (max) : (n)) * sizeof((src)->array[0]))

void stall_record_copy(struct stall_record *dst, const struct stall_record *src)
{
	memcpy(dst, src, offsetof(struct stall_record, native_ips));
	COPY_USED(dst, src, native_ips, src->n_native_ips, STALL_MAX_NATIVE);
	COPY_USED(dst, src, frames, src->nframes, STALL_MAX_FRAMES);
	COPY_USED(dst, src, sample_depth, src->n_samples, STALL_MAX_SAMPLES);
	COPY_USED(dst, src, sample_ips, src->n_samples, STALL_MAX_SAMPLES);
	COPY_USED(dst, src, hot, src->nhot, STALL_MAX_HOT);
	COPY_USED(dst, src, code, src->ncode, STALL_MAX_CODE);
	COPY_USED(dst, src, phases, src->nphases, STALL_MAX_PHASES);
}

int code_table_add(struct stall_frame *table, int *n, int max, const struct stall_frame *f)
{
	int i;

	for (i = 0; i < *n; i++)
		if (table[i].line == f->line && strcmp(table[i].function, f->function) == 0 &&
		    strcmp(table[i].file, f->file) == 0)
			return i;
	if (*n == max)
		return -1;
	table[*n] = *f;
	return (*n)++;
}

static bool keep_query;

void served_request_keep_query(bool keep)
{
	keep_query = keep;
}

void served_request_hide_query(struct served_request *r)
{
	char *q = strchr(r->path, '?');

	if (!keep_query && q && q[1])
		snprintf(q + 1, sizeof(r->path) - (size_t)(q + 1 - r->path), "%s", "\xe2\x80\xa6"); /* … */
}

const char *phase_name(const struct stall_phase *p)
{
	const char *name = p->syscall_nr < 0 ? "cpu" : syscall_name(p->syscall_nr);

	return name ? name : "syscall";
}

void frame_mark_app_root(struct stall_frame *f, const char *root)
{
	static const char *const libraries[] = {"/site-packages/", "/dist-packages/", "/node_modules/"};
	size_t n = strlen(root), i;

	f->app_root_len = 0;
	if (n < 2 || n >= sizeof(f->file) || strncmp(f->file, root, n) != 0 || f->file[n] != '/' || !f->file[n + 1])
		return;
	for (i = 0; i < sizeof(libraries) / sizeof(libraries[0]); i++)
		if (strstr(f->file + n, libraries[i]))
			return; /* a virtualenv or node_modules inside the application's directory */
	f->app_root_len = (unsigned short)(n + 1);
}

void stall_record_mark_app_root(struct stall_record *r)
{
	const char *root = r->container.app_root;
	int i;

	for (i = 0; i < r->nframes && i < STALL_MAX_FRAMES; i++)
		frame_mark_app_root(&r->frames[i], root);
	for (i = 0; i < r->nhot && i < STALL_MAX_HOT; i++)
		frame_mark_app_root(&r->hot[i].frame, root);
	for (i = 0; i < r->nphases && i < STALL_MAX_PHASES; i++)
		frame_mark_app_root(&r->phases[i].culprit, root);
	for (i = 0; i < r->waited.nthreads && i < WAIT_MAX_THREADS; i++)
		frame_mark_app_root(&r->waited.threads[i].frame, root);
	frame_mark_app_root(&r->holder.frame, root);
	for (i = 0; i < r->holder.nframes && i < HOLDER_MAX_FRAMES; i++)
		frame_mark_app_root(&r->holder.frames[i], root);
}

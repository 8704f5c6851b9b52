// SPDX-License-Identifier: GPL-2.0
/* The culprit rule and the frame format. */
#include <string.h>

#include "base/proc.h"
#include "base/syscalls.h"
#include "record/culprit.h"

/* The libc wrapper of the syscall the loop blocked in ("__GI___clock_nanosleep" for clock_nanosleep). */
static bool is_syscall_wrapper(const struct stall_record *r, const struct stall_frame *f)
{
	const char *name = syscall_name(r->syscall_nr);

	return f->kind == FRAME_NATIVE && r->syscall_nr >= 0 && name && strstr(f->function, name);
}

struct culprit culprit_of(const struct stall_record *r)
{
	struct culprit c = {0};
	int i;

	for (i = 0; i < r->nframes && !c.at; i++)
		if (r->frames[i].kind == FRAME_PYTHON)
			c.at = &r->frames[i];
	for (; c.at && i <= r->nframes; i++) {
		const struct stall_frame *f = &r->frames[i - 1];

		if (f->kind == FRAME_PYTHON && f->coroutine) {
			c.coroutine = f == c.at ? NULL : f;
			break;
		}
	}
	for (i = 0; i < r->nframes && !c.at; i++)
		if (r->frames[i].kind == FRAME_JS && !strstr(r->frames[i].function, " node:"))
			c.at = &r->frames[i];
	for (i = 0; i < r->nframes && !c.at; i++)
		if (!is_syscall_wrapper(r, &r->frames[i]))
			c.at = &r->frames[i];
	if (!c.at && r->nframes)
		c.at = &r->frames[0];
	return c;
}

void frame_put(FILE *out, const struct stall_frame *f, unsigned int form, escape_fn escape)
{
	const char *where = NULL;

	escape(out, f->function[0] ? f->function : "?");
	if (f->kind == FRAME_PYTHON || f->file[0])
		where = f->file;
	else if (f->module[0])
		where = f->module;
	if (where) {
		fputs(" (", out);
		escape(out, form & FRAME_SHORT ? base_name(where) : where);
		if (where == f->file && f->line)
			fprintf(out, ":%d", f->line);
		fputc(')', out);
	}
	if (!(form & FRAME_TAGS))
		return;
	if (f->coroutine)
		fputs(" [coroutine]", out);
	if (f->task[0]) {
		fputs(" [task ", out);
		escape(out, f->task);
		fputc(']', out);
	}
}

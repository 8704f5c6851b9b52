// SPDX-License-Identifier: GPL-2.0
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

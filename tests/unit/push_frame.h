#ifndef LOOPSTALL_TEST_PUSH_FRAME_H
#define LOOPSTALL_TEST_PUSH_FRAME_H
/* Unit tests' records: a frame appended to r's stack, outermost last. */
#include <stdio.h>

#include "record/stall_record.h"

static inline struct stall_frame *push(struct stall_record *r, enum frame_kind kind, const char *function,
				       const char *where, int line)
{
	struct stall_frame *f = &r->frames[r->nframes++];

	f->kind = kind;
	snprintf(f->function, sizeof(f->function), "%s", function);
	if (kind == FRAME_PYTHON)
		snprintf(f->file, sizeof(f->file), "%s", where);
	else if (where)
		snprintf(f->module, sizeof(f->module), "%s", where);
	f->line = line;
	return f;
}

#endif

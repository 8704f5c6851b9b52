#ifndef LOOPSTALL_CULPRIT_H
#define LOOPSTALL_CULPRIT_H
#include <stdbool.h>
#include <stdio.h>

#include "base/escape.h"
#include "record/stall_record.h"

/*
 * Which frame a stall is blamed on, and how a frame is written: one rule
 * and one format for the text line, top, syslog and hooks alike.
 */
struct culprit {
	const struct stall_frame *at;	     /* NULL when the stall has no frames */
	const struct stall_frame *coroutine; /* the coroutine at runs in, when at is not one itself */
};

/*
 * The innermost frame of the runtime (Python, then the application's
 * JavaScript: not node's own "node:" scripts), else the innermost native
 * frame that is not the blocking syscall's own wrapper, else the first.
 */
struct culprit culprit_of(const struct stall_record *r);

/* How frame_put writes a frame. */
enum frame_form {
	FRAME_SHORT = 1, /* files and modules by their base names */
	FRAME_TAGS = 2,	 /* " [coroutine]", " [task NAME]" */
};

/* "function (file:line)" or "function (module)", every string through escape. */
void frame_put(FILE *out, const struct stall_frame *f, unsigned int form, escape_fn escape);

#endif

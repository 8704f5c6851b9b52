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
	const struct stall_frame *via;	     /* the library call under it, on the way to the blocking point */
	const struct stall_frame *coroutine; /* the coroutine at runs in, when at is not one itself */
};

/*
 * The innermost frame of the application: Python code outside the standard
 * library and installed packages, JavaScript outside node's own scripts and
 * node_modules, and for a native server (no runtime) its executable's own
 * functions. Where the stack has none: the innermost Python frame, else
 * JavaScript of the application, else the innermost named native frame
 * that is not the blocking syscall's own wrapper.
 */
struct culprit culprit_of(const struct stall_record *r);
/* Whether f is the application's code, not a library's (the rule above). r: NULL for a runtime's frames. */
bool frame_is_application(const struct stall_record *r, const struct stall_frame *f);

/* Where f is: its file (Python, JavaScript, native with debug info), else its module. */
const char *frame_where(const struct stall_frame *f);
/* The same, short: a library's file from its package on, the application's from its root, else the base name. */
const char *frame_short_where(const struct stall_frame *f);

/* How frame_put writes a frame. */
enum frame_form {
	FRAME_SHORT = 1, /* files and modules as frame_short_where() */
	FRAME_TAGS = 2,	 /* " [coroutine]", " [task NAME]" */
};

/* "function (file:line)" or "function (module)", every string through escape. */
void frame_put(FILE *out, const struct stall_frame *f, unsigned int form, escape_fn escape);

#endif

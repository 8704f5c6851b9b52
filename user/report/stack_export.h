#ifndef LOOPSTALL_STACK_EXPORT_H
#define LOOPSTALL_STACK_EXPORT_H
#include <stdio.h>

#include "record/stall_record.h"

/*
 * Stacks of stalls as flame graphs read them, weighted by stall
 * milliseconds, the process's name at the root and the innermost frame
 * last; the interpreter's own frames between Python frames are left out.
 */

/* One folded line for r ("python3;main;handler (app.py:9);time.sleep 1500"), for flamegraph.pl, inferno, speedscope. */
void folded_write(FILE *out, const struct stall_record *r);

/*
 * speedscope's file format (https://www.speedscope.app/file-format-schema.json),
 * as py-spy writes it: one sampled profile per process, identical stacks
 * counted once with their weights summed; memory grows with distinct frames
 * and stacks, not with the log.
 */
struct speedscope;

struct speedscope *speedscope_new(void);
/* 0, or -ENOSPC: the limits on distinct frames or stacks reached (r left out), -ENOMEM. */
int speedscope_add(struct speedscope *s, const struct stall_record *r);
/* 0 or -errno of the write. */
int speedscope_write(struct speedscope *s, FILE *out, const char *name);
void speedscope_free(struct speedscope *s);

#endif

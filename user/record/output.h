#ifndef LOOPSTALL_OUTPUT_H
#define LOOPSTALL_OUTPUT_H
#include <stdbool.h>
#include <stdio.h>

#include "record/stall_record.h"

/* Two renderings of one stall record: a human line (plus its stack) and a JSON line. */
void output_text(FILE *out, const struct stall_record *r);
/* The cause part of the human line: "blocked in read 1.20s on fd 7 (pipe:[123])". */
void output_cause(FILE *out, const struct stall_record *r);
void output_json(FILE *out, const struct stall_record *r);
/*
 * --stack-depth N: frames shown of a stack (the rest counted). 0, the
 * default: all of them in JSON, in text down to the culprit and 5 more.
 * Set once, before records are rendered.
 */
void output_set_stack_depth(int frames);
/* How many of r's frames a rendering shows (text or JSON). */
int output_shown_frames(const struct stall_record *r, bool text);

void output_summary_text(FILE *out, const struct loop_summary *s);
void output_summary_json(FILE *out, const struct loop_summary *s);
void output_kill_text(FILE *out, const struct kill_record *k);
void output_kill_json(FILE *out, const struct kill_record *k);
void output_loss_text(FILE *out, const struct loss_record *l);
void output_loss_json(FILE *out, const struct loss_record *l);

#endif

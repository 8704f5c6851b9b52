#ifndef LOOPSTALL_OUTPUT_H
#define LOOPSTALL_OUTPUT_H
#include <stdio.h>

#include "stall_record.h"

/* Two renderings of one stall record: a human line (plus its stack) and a JSON line. */
void output_text(FILE *out, const struct stall_record *r);
void output_json(FILE *out, const struct stall_record *r);

#endif

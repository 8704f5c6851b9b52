#ifndef LOOPSTALL_OUTPUT_H
#define LOOPSTALL_OUTPUT_H
#include <stdio.h>

#include <linux/types.h>

#include "loopstall.h"
#include "stall_record.h"

/* Two renderings of one stall record: a human line (plus its stack) and a JSON line. */
void output_text(FILE *out, const struct stall_record *r);
void output_json(FILE *out, const struct stall_record *r);

/* One loop's iterations while watched, from the kernel's histogram; printed at exit. */
struct loop_summary {
	pid_t pid;
	pid_t tid;
	char comm[16];
	uint64_t stalls;
	struct ls_hist hist;
};

void output_summary_text(FILE *out, const struct loop_summary *s);
void output_summary_json(FILE *out, const struct loop_summary *s);

#endif

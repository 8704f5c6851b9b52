// SPDX-License-Identifier: GPL-2.0
/*
 * The human rendering of a stall record:
 *   STALL pid 4161 tid 4161 python3 3.00s blocked in clock_nanosleep 3.00s at f (main.py:9) [coroutine]
 * followed, for a stall that begins, by its stack, innermost first.
 */
#include <string.h>

#include "base/duration.h"
#include "base/escape.h"
#include "base/histogram.h"
#include "record/culprit.h"
#include "record/output.h"
#include "base/syscalls.h"

static void put_duration(FILE *out, uint64_t ns)
{
	char buf[32];

	duration_format(ns, buf, sizeof(buf));
	fputs(buf, out);
}

static void put_frame(FILE *out, const struct stall_frame *f, bool short_file)
{
	frame_put(out, f, FRAME_TAGS | (short_file ? FRAME_SHORT : 0), term_escape);
}

/* What the loop was doing, in a few words. */
void output_cause(FILE *out, const struct stall_record *r)
{
	const char *name = syscall_name(r->syscall_nr);

	switch (r->cause) {
	case CAUSE_SYSCALL:
		fprintf(out, "blocked in %s ", name ? name : "syscall");
		put_duration(out, r->syscall_ns);
		if (r->fd >= 0) {
			fprintf(out, " on fd %d", r->fd);
			if (r->fd_desc[0]) {
				fputs(" (", out);
				term_escape(out, r->fd_desc);
				fputc(')', out);
			}
		}
		break;
	case CAUSE_CPU:
		fputs("on CPU ", out);
		put_duration(out, r->cpu_ns);
		break;
	case CAUSE_RUNQUEUE:
		fputs("waiting for a CPU ", out);
		put_duration(out, r->runq_ns);
		break;
	case CAUSE_OTHER:
		fputs("off CPU outside syscalls ", out);
		put_duration(out, r->other_ns);
		break;
	case CAUSE_STOPPED:
		fputs("stopped (SIGSTOP or a debugger) ", out);
		put_duration(out, r->stopped_ns);
		break;
	case CAUSE_LOCK:
		fputs("waiting on a lock (futex) ", out);
		put_duration(out, r->syscall_ns);
		break;
	case CAUSE_GIL:
		fputs("waiting for the GIL ", out);
		put_duration(out, r->syscall_ns);
		if (r->holder.tid > 0) {
			fprintf(out, " held by tid %d", r->holder.tid);
			if (r->holder.frame.function[0]) {
				fputs(" running ", out);
				put_frame(out, &r->holder.frame, true);
			}
		}
		break;
	}
	if (r->cause == CAUSE_RUNQUEUE && r->throttled_ns) {
		fputs(" (cgroup CPU limit: throttled ", out);
		put_duration(out, r->throttled_ns);
		fputc(')', out);
	}
}

/* Where: the culprit, and the coroutine around it if that is not one. */
static void put_location(FILE *out, const struct stall_record *r)
{
	struct culprit c = culprit_of(r);

	if (!c.at)
		return;
	fputs(" at ", out);
	put_frame(out, c.at, true);
	if (c.coroutine) {
		fputs(" in coroutine ", out);
		put_frame(out, c.coroutine, true);
	}
}

/*
 * "    hot: f (app.py:3) 40/50 python samples, g (libc.so.6) 12/50 native samples",
 * for stalls at least a tenth on CPU: samples of one mostly blocked name what
 * ran in passing (JSON has them all the same).
 */
static void put_hot(FILE *out, const struct stall_record *r)
{
	int i;

	if (!r->nhot || r->cpu_ns * 10 < r->duration_ns)
		return;
	fputs("    hot:", out);
	for (i = 0; i < r->nhot; i++) {
		fputs(i ? ", " : " ", out);
		put_frame(out, &r->hot[i].frame, true);
		fprintf(out, " %u/%d %s samples", r->hot[i].samples,
			r->hot[i].of_runtime ? r->n_runtime_samples : r->n_samples, r->hot[i].of_runtime ? r->runtime : "native");
	}
	fputc('\n', out);
}

void output_text(FILE *out, const struct stall_record *r)
{
	int i;

	fprintf(out, "STALL%s pid %d tid %d ", r->ended ? " END" : "", r->pid, r->tid);
	term_escape(out, r->comm);
	fputc(' ', out);
	put_duration(out, r->duration_ns);
	fputc(' ', out);
	output_cause(out, r);
	put_location(out, r);
	if (r->ended) {
		fputs(" (cpu ", out);
		put_duration(out, r->cpu_ns);
		fputs(", syscall ", out);
		put_duration(out, r->blocked_sys_ns);
		fputs(", runqueue ", out);
		put_duration(out, r->runq_ns);
		fputs(", other ", out);
		put_duration(out, r->other_ns);
		if (r->stopped_ns) {
			fputs(", stopped ", out);
			put_duration(out, r->stopped_ns);
		}
		fputc(')', out);
		if (r->exited)
			fputs(" thread exited", out);
		fputc('\n', out);
		put_hot(out, r);
		return;
	}
	fputc('\n', out);
	for (i = 0; i < r->nframes; i++) {
		fprintf(out, "    #%-2d %-6s ", i, frame_kind_name(r->frames[i].kind));
		put_frame(out, &r->frames[i], false);
		fputc('\n', out);
	}
	put_hot(out, r);
	if (r->runtime_error) {
		fprintf(out, "    %s: ", r->runtime);
		term_escape(out, r->runtime_status);
		fputc('\n', out);
	}
	if (r->note[0]) {
		fputs("    note: ", out);
		term_escape(out, r->note);
		fputc('\n', out);
	}
}

void output_summary_text(FILE *out, const struct loop_summary *s)
{
	fprintf(out, "SUMMARY pid %d tid %d ", s->pid, s->tid);
	term_escape(out, s->comm);
	fprintf(out, " %llu iterations, p50 <", (unsigned long long)hist_count(&s->hist));
	put_duration(out, hist_quantile_ns(&s->hist, 0.5));
	fputs(", p99 <", out);
	put_duration(out, hist_quantile_ns(&s->hist, 0.99));
	fputs(", max <", out);
	put_duration(out, hist_quantile_ns(&s->hist, 1.0));
	fprintf(out, ", %llu stall%s\n", (unsigned long long)s->stalls, s->stalls == 1 ? "" : "s");
}

void output_kill_text(FILE *out, const struct kill_record *k)
{
	const char *name = sigabbrev_np(k->signal);

	fprintf(out, "KILL pid %d tid %d ", k->pid, k->tid);
	term_escape(out, k->comm);
	fprintf(out, " SIG%s after ", name ? name : "?");
	put_duration(out, k->stall.duration_ns);
	fputs(" stalled", out);
	if (k->escalated)
		fputs(", still alive after the grace period", out);
	if (k->dry_run)
		fputs(" (dry run: not sent)", out);
	if (k->error)
		fprintf(out, " failed: %s", strerror(k->error));
	fputc('\n', out);
}

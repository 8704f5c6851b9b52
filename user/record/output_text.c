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
#include "base/proc.h"
#include "record/culprit.h"
#include "record/hint.h"
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

/* " held by tid 812 (cache-rebuild) running rebuild_cache (app.py:20)" */
static void put_holder(FILE *out, const struct lock_holder *h)
{
	if (h->tid <= 0)
		return;
	fprintf(out, " held by tid %d", h->tid);
	if (h->thread[0]) {
		fputs(" (", out);
		term_escape(out, h->thread);
		fputc(')', out);
	}
	if (h->frame.function[0]) {
		fputs(" running ", out);
		put_frame(out, &h->frame, true);
	}
}

/* What the call waited for: " on /tmp/fifo", " on fd 5 (tcp ...)", " for child 1234 (sleep 1)". */
static void put_waited(FILE *out, const struct stall_record *r)
{
	const struct waited *w = &r->waited;
	int i;

	if (w->path[0]) {
		fputs(" on ", out);
		term_escape(out, w->path);
	}
	if (w->to_path[0]) {
		fputs(" -> ", out);
		term_escape(out, w->to_path);
	}
	if (w->peer[0]) {
		fputs(" to ", out);
		term_escape(out, w->peer);
	}
	if (w->child) {
		fprintf(out, " for child %d", w->child);
		if (w->child_cmd[0]) {
			fputs(" (", out);
			term_escape(out, w->child_cmd);
			fputc(')', out);
		}
	}
	if (w->lock_holder) {
		fprintf(out, " held by pid %d", w->lock_holder);
		if (w->lock_holder_cmd[0]) {
			fputs(" (", out);
			term_escape(out, w->lock_holder_cmd);
			fputc(')', out);
		}
	}
	for (i = 0; i < w->nfds; i++) {
		fprintf(out, "%s%d", i ? ", " : w->nfds > 1 ? " on fds " : " on fd ", w->fds[i].fd);
		if (w->fds[i].target[0]) {
			fputs(" (", out);
			term_escape(out, w->fds[i].target);
			fputc(')', out);
		}
	}
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
		put_waited(out, r);
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
		if (strcmp(r->holder.lock, "mutex") == 0)
			put_holder(out, &r->holder);
		break;
	case CAUSE_GIL:
		fputs("waiting for the GIL ", out);
		put_duration(out, r->syscall_ns);
		put_holder(out, &r->holder);
		break;
	}
	if (r->cause == CAUSE_RUNQUEUE && r->throttled_ns) {
		fputs(" (cgroup CPU limit: throttled ", out);
		put_duration(out, r->throttled_ns);
		fputc(')', out);
	}
}

/* Where: the culprit, the library call under it, and the coroutine around it if that is not one. */
static void put_location(FILE *out, const struct stall_record *r)
{
	struct culprit c = culprit_of(r);

	if (!c.at)
		return;
	fputs(" at ", out);
	put_frame(out, c.at, true);
	if (c.via) {
		fputs(" via ", out);
		frame_put(out, c.via, FRAME_SHORT, term_escape);
	}
	if (c.coroutine) {
		fputs(" in coroutine ", out);
		put_frame(out, c.coroutine, true);
	}
	if (r->request.method[0]) {
		fputs(" serving ", out);
		term_escape(out, r->request.method);
		fputc(' ', out);
		term_escape(out, r->request.path);
	}
}

/*
 * "    hot: f (app.py:3) 40/40 of 50 python samples, deflate (libz.so.1) 30/31 of 50 native samples":
 * samples in the function itself / in it or what it called, of all taken,
 * for stalls at least a tenth on CPU: samples of one mostly blocked name what
 * ran in passing (JSON has them all the same).
 */
/* "    phases: cpu 250ms at build_payload (app.py:5); clock_nanosleep 1.50s at call_backend (app.py:9)" */
static void put_phases(FILE *out, const struct stall_record *r)
{
	int i;

	if (r->nphases < 2)
		return; /* one phase: the line above says it all */
	fputs("    phases:", out);
	for (i = 0; i < r->nphases; i++) {
		const struct stall_phase *p = &r->phases[i];

		fprintf(out, "%s %s ", i ? ";" : "", phase_name(p));
		put_duration(out, p->ns);
		if (p->culprit.function[0]) {
			fputs(" at ", out);
			put_frame(out, &p->culprit, true);
		}
	}
	fputc('\n', out);
}

static void put_hot(FILE *out, const struct stall_record *r)
{
	int i;

	if (!r->nhot || r->cpu_ns * 10 < r->duration_ns)
		return;
	fputs("    hot:", out);
	for (i = 0; i < r->nhot; i++) {
		fputs(i ? ", " : " ", out);
		put_frame(out, &r->hot[i].frame, true);
		fprintf(out, " %u/%u of %d %s samples", r->hot[i].self, r->hot[i].samples,
			r->hot[i].of_runtime ? r->n_runtime_samples : r->n_samples,
			r->hot[i].of_runtime ? r->runtime : "native");
	}
	fputc('\n', out);
}

/* "    hint: time.sleep blocks the event loop; use await asyncio.sleep()": how to stop it, when known. */
static void put_hint(FILE *out, const struct stall_record *r)
{
	struct culprit c = culprit_of(r);
	const struct hint_rule *h = hint_match(r, &c);
	char text[512];

	if (!h)
		return;
	hint_text(h, r, &c, text, sizeof(text));
	fputs("    hint: ", out);
	term_escape(out, text);
	fputc('\n', out);
}

/* The systemd service a process runs as, where its service's name is not the unit's: "" when none. */
static const char *unit_of(const struct container_info *c)
{
	size_t n = strlen(c->id);

	if (strcmp(c->runtime, "systemd") != 0 || n < 8 || strcmp(c->id + n - 8, ".service") != 0 ||
	    strcmp(c->service, c->id) == 0)
		return "";
	return c->id;
}

/*
 * "pid 42 (gunicorn app:app) tid 43 python3 [pod shop/web-1 container app]",
 * "pid 42 (gunicorn app:app) tid 43 python3 [unit api.service]": the
 * process with its service (unless the thread's name says it already), the
 * thread, and the container, pod or systemd service it runs in.
 */
static void put_process(FILE *out, pid_t pid, pid_t tid, const char *comm, const struct container_info *c)
{
	char label[512];

	fprintf(out, "pid %d ", pid);
	if (c->service[0] && strcmp(c->service, comm) != 0) {
		fputc('(', out);
		term_escape(out, c->service);
		fputs(") ", out);
	}
	fprintf(out, "tid %d ", tid);
	term_escape(out, comm);
	container_label(c, label, sizeof(label));
	if (!label[0] && unit_of(c)[0])
		snprintf(label, sizeof(label), "unit %s", unit_of(c));
	if (!label[0])
		return;
	fputs(" [", out);
	term_escape(out, label);
	fputc(']', out);
}

static int stack_depth; /* --stack-depth, 0: the defaults */

void output_set_stack_depth(int frames)
{
	stack_depth = frames;
}

int output_shown_frames(const struct stall_record *r, bool text)
{
	struct culprit c = culprit_of(r);
	int n = stack_depth;

	if (!n)
		n = text && c.at ? (int)(c.at - r->frames) + 1 + 5 : r->nframes;
	return n < r->nframes ? n : r->nframes;
}

/* " by SIGABRT from pid 42 (gunicorn: master [app])": who ended a stall whose thread died. */
static void put_ended_by(FILE *out, const struct stall_record *r)
{
	const char *name = sigabbrev_np(r->ended_by.signal);

	if (!r->ended_by.signal)
		return;
	fprintf(out, " by SIG%s %s pid %d", name ? name : "?", r->ended_by.by_kernel ? "from the kernel in" : "from",
		r->ended_by.sender);
	if (r->ended_by.command[0]) {
		fputs(" (", out);
		term_escape(out, r->ended_by.command);
		fputc(')', out);
	}
}

/* A loop found inside its stall by a scan: the stall began before loopstall saw it. */
static void put_found(FILE *out, const struct stall_record *r)
{
	if (!r->found_by[0])
		return;
	fputs(" (stalled before loopstall saw it: at least that long; ", out);
	term_escape(out, r->found_by);
	fputc(')', out);
}

/* The process's other threads, when a lock's holder is not known: begin and end records alike. */
static void put_threads(FILE *out, const struct stall_record *r)
{
	int i;

	for (i = 0; i < r->waited.nthreads; i++) {
		const struct other_thread *t = &r->waited.threads[i];
		const char *sc = t->syscall_nr >= 0 ? syscall_name(t->syscall_nr) : NULL;

		fprintf(out, "    thread %d ", t->tid);
		term_escape(out, t->name);
		fprintf(out, " %c", t->state);
		if (sc)
			fprintf(out, " in %s", sc);
		if (t->frame.function[0]) {
			fputs(" at ", out);
			put_frame(out, &t->frame, true);
		}
		fputc('\n', out);
	}
	if (r->waited.unlisted)
		fprintf(out, "    and %d more thread%s, not listed\n", r->waited.unlisted, r->waited.unlisted == 1 ? "" : "s");
	if (r->waited.co_waiters)
		fprintf(out, "    and %d other thread%s waiting for the same lock\n", r->waited.co_waiters,
			r->waited.co_waiters == 1 ? "" : "s");
}

void output_text(FILE *out, const struct stall_record *r)
{
	int i, shown;

	fprintf(out, "STALL%s ", r->ended ? " END" : "");
	put_process(out, r->pid, r->tid, r->comm, &r->container);
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
		put_ended_by(out, r);
		if (r->unfinished)
			fputs(" still going on when loopstall stopped", out);
		if (r->exiting)
			fputs(" exiting: its loop had closed (a shutdown, not a stall)", out);
		put_found(out, r);
		fputc('\n', out);
		put_phases(out, r);
		put_threads(out, r);
		put_hot(out, r);
		put_hint(out, r);
		return;
	}
	put_found(out, r);
	fputc('\n', out);
	shown = output_shown_frames(r, true);
	for (i = 0; i < shown; i++) {
		int plumbing = 0;

		/* The interpreter's own frames between a C function and the Python code that called it: one line. */
		while (i + plumbing < shown && r->frames[i + plumbing].interpreter)
			plumbing++;
		if (plumbing) {
			fprintf(out, "    #%-2d %-6s %d interpreter frame%s (%s)\n", i, "native", plumbing,
				plumbing == 1 ? "" : "s", base_name(r->frames[i].module));
			i += plumbing - 1;
			continue;
		}
		fprintf(out, "    #%-2d %-6s ", i, frame_kind_name(r->frames[i].kind));
		put_frame(out, &r->frames[i], false);
		fputc('\n', out);
	}
	if (shown < r->nframes)
		fprintf(out, "    ... %d more frame%s\n", r->nframes - shown, r->nframes - shown == 1 ? "" : "s");
	put_threads(out, r);
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
	put_hint(out, r);
}

void output_summary_text(FILE *out, const struct loop_summary *s)
{
	fputs("SUMMARY ", out);
	put_process(out, s->pid, s->tid, s->comm, &s->container);
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

	fputs("KILL ", out);
	put_process(out, k->pid, k->tid, k->comm, &k->stall.container);
	fprintf(out, " SIG%s after ", name ? name : "?");
	put_duration(out, k->stall.duration_ns);
	fputs(" stalled", out);
	if (!k->escalated) {
		/* What it was killed for: the headline of its stall. */
		fputs(": ", out);
		output_cause(out, &k->stall);
		put_location(out, &k->stall);
	} else {
		fputs(", still alive after the grace period", out);
	}
	if (k->dry_run)
		fputs(" (dry run: not sent)", out);
	if (k->error)
		fprintf(out, " failed: %s", strerror(k->error));
	fputc('\n', out);
}

void output_loss_text(FILE *out, const struct loss_record *l)
{
	char since[16], until[16];
	struct tm tm;

	localtime_r(&l->since.tv_sec, &tm);
	strftime(since, sizeof(since), "%H:%M:%S", &tm);
	localtime_r(&l->until.tv_sec, &tm);
	strftime(until, sizeof(until), "%H:%M:%S", &tm);
	fprintf(out, "LOST %llu kernel event%s and %llu report%s between %s and %s: loopstall could not keep up, "
		     "stalls of then may be missing\n",
		(unsigned long long)l->kernel_events, l->kernel_events == 1 ? "" : "s",
		(unsigned long long)l->reports_dropped, l->reports_dropped == 1 ? "" : "s", since, until);
}

// SPDX-License-Identifier: GPL-2.0
/* The JSON rendering of a stall record: one object per line, schema in the man page (JSON RECORDS). */
#include <string.h>
#include <time.h>

#include "base/duration.h"
#include "base/escape.h"
#include "base/histogram.h"
#include "record/culprit.h"
#include "record/hint.h"
#include "record/output.h"
#include "base/syscalls.h"

static void put_string(FILE *out, const char *key, const char *value)
{
	fprintf(out, ",\"%s\":\"", key);
	json_escape(out, value);
	fputc('"', out);
}

static double ms(uint64_t ns)
{
	return (double)ns / NSEC_PER_MSEC;
}

static void put_time_as(FILE *out, const char *key, const struct timespec *ts)
{
	struct tm tm;
	char buf[32];

	gmtime_r(&ts->tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(out, ",\"%s\":\"%s.%03ldZ\"", key, buf, ts->tv_nsec / 1000000);
}

static void put_time(FILE *out, const struct timespec *ts)
{
	put_time_as(out, "start", ts);
}

static void put_frame_fields(FILE *out, const struct stall_frame *f)
{
	fprintf(out, "{\"kind\":\"%s\"", frame_kind_name(f->kind));
	put_string(out, "function", f->function);
	if (f->file[0])
		put_string(out, "file", f->file);
	if (f->line)
		fprintf(out, ",\"line\":%d", f->line);
	if (f->module[0])
		put_string(out, "module", f->module);
	if (f->kind == FRAME_PYTHON)
		fprintf(out, ",\"coroutine\":%s", f->coroutine ? "true" : "false");
	if (f->interpreter)
		fputs(",\"interpreter\":true", out);
	if (f->task[0])
		put_string(out, "task", f->task);
	else if (f->ip)
		fprintf(out, ",\"addr\":\"0x%llx\"", (unsigned long long)f->ip);
	if (f->build_id[0])
		fprintf(out, ",\"build_id\":\"%s\"", f->build_id);
}

static void put_frame(FILE *out, const struct stall_frame *f)
{
	put_frame_fields(out, f);
	fputc('}', out);
}

/* "gil_holder" (its key since the first version) or "lock_holder": tid, thread, frame (its culprit), stack. */
static void put_holder(FILE *out, const struct lock_holder *h)
{
	int i;

	fprintf(out, ",\"%s\":{\"tid\":%d", strcmp(h->lock, "gil") == 0 ? "gil_holder" : "lock_holder", h->tid);
	if (h->lock[0])
		put_string(out, "lock", h->lock);
	if (h->thread[0])
		put_string(out, "thread", h->thread);
	if (h->frame.function[0]) {
		fputs(",\"frame\":", out);
		put_frame(out, &h->frame);
	}
	if (h->nframes) {
		fputs(",\"stack\":[", out);
		for (i = 0; i < h->nframes && i < HOLDER_MAX_FRAMES; i++) {
			fputs(i ? "," : "", out);
			put_frame(out, &h->frames[i]);
		}
		fputc(']', out);
	}
	fputc('}', out);
}

/* "waited_for": what the blocked call waited for, the fields that apply. */
static void put_waited(FILE *out, const struct stall_record *r)
{
	const struct waited *w = &r->waited;
	const char *sep = "";
	int i;

	if (!w->path[0] && !w->peer[0] && !w->child && !w->lock_holder && !w->nfds && !w->futex && !w->nthreads &&
	    !w->co_waiters && !w->unlisted)
		return;
	fputs(",\"waited_for\":{", out);
	if (w->path[0]) {
		fputs("\"path\":\"", out);
		json_escape(out, w->path);
		fputc('"', out);
		sep = ",";
	}
	if (w->to_path[0]) {
		fprintf(out, "%s\"to_path\":\"", sep);
		json_escape(out, w->to_path);
		fputc('"', out);
		sep = ",";
	}
	if (w->peer[0]) {
		fprintf(out, "%s\"peer\":\"", sep);
		json_escape(out, w->peer);
		fputc('"', out);
		sep = ",";
	}
	if (w->child) {
		fprintf(out, "%s\"child\":{\"pid\":%d", sep, w->child);
		put_string(out, "command", w->child_cmd);
		fputc('}', out);
		sep = ",";
	}
	if (w->lock_holder) {
		fprintf(out, "%s\"lock_holder\":{\"pid\":%d", sep, w->lock_holder);
		put_string(out, "command", w->lock_holder_cmd);
		fputc('}', out);
		sep = ",";
	}
	if (w->nfds) {
		fprintf(out, "%s\"fds\":[", sep);
		for (i = 0; i < w->nfds; i++) {
			fprintf(out, "%s{\"fd\":%d", i ? "," : "", w->fds[i].fd);
			if (w->fds[i].target[0])
				put_string(out, "target", w->fds[i].target);
			fputc('}', out);
		}
		fputc(']', out);
		sep = ",";
	}
	if (w->futex) {
		fprintf(out, "%s\"futex\":\"0x%llx\"", sep, (unsigned long long)w->futex);
		sep = ",";
	}
	if (w->nthreads) {
		fprintf(out, "%s\"threads\":[", sep);
		for (i = 0; i < w->nthreads; i++) {
			const struct other_thread *t = &w->threads[i];
			const char *sc = t->syscall_nr >= 0 ? syscall_name(t->syscall_nr) : NULL;

			fprintf(out, "%s{\"tid\":%d", i ? "," : "", t->tid);
			put_string(out, "name", t->name);
			fprintf(out, ",\"state\":\"%c\"", t->state >= 0x20 && t->state < 0x7f ? t->state : '?');
			if (sc)
				fprintf(out, ",\"syscall\":\"%s\"", sc);
			if (t->frame.function[0]) {
				fputs(",\"frame\":", out);
				put_frame(out, &t->frame);
			}
			fputc('}', out);
		}
		fputc(']', out);
		sep = ",";
	}
	if (w->unlisted) {
		fprintf(out, "%s\"threads_unlisted\":%d", sep, w->unlisted);
		sep = ",";
	}
	if (w->co_waiters)
		fprintf(out, "%s\"co_waiters\":%d", sep, w->co_waiters);
	fputc('}', out);
}

/* "hint": how to stop the stall, when a rule of record/hints.rules matches. */
static void put_hint(FILE *out, const struct stall_record *r, const struct culprit *c)
{
	const struct hint_rule *h = hint_match(r, c);
	char text[512];

	if (!h)
		return;
	hint_text(h, r, c, text, sizeof(text));
	fprintf(out, ",\"hint\":{\"id\":\"%s\"", h->id);
	put_string(out, "text", text);
	if (h->link)
		put_string(out, "link", h->link);
	fputc('}', out);
}

/*
 * "service": which service the process is, when its command line says;
 * "container": where it runs, the fields known; absent when it runs in none.
 */
static void put_container(FILE *out, const struct container_info *c)
{
	if (c->service[0])
		put_string(out, "service", c->service);
	if (c->app_root[0])
		put_string(out, "app_root", c->app_root);
	if (!container_known(c))
		return;
	fputs(",\"container\":{", out);
	fprintf(out, "\"pid_in_container\":%d", c->pid_in_container);
	if (c->runtime[0])
		put_string(out, "runtime", c->runtime);
	if (c->id[0])
		put_string(out, "id", c->id);
	if (c->name[0])
		put_string(out, "name", c->name);
	if (c->pod_uid[0])
		put_string(out, "pod_uid", c->pod_uid);
	if (c->qos[0])
		put_string(out, "qos", c->qos);
	if (c->pod[0])
		put_string(out, "pod", c->pod);
	if (c->namespace[0])
		put_string(out, "namespace", c->namespace);
	fputc('}', out);
}

static void put_stall_object(FILE *out, const struct stall_record *r)
{
	const char *name = syscall_name(r->syscall_nr);
	struct culprit c;
	int i, shown;

	fprintf(out, "{\"event\":\"stall\",\"phase\":\"%s\"", r->ended ? "end" : "begin");
	put_time(out, &r->start_wall);
	fprintf(out, ",\"pid\":%d,\"tid\":%d", r->pid, r->tid);
	put_string(out, "comm", r->comm);
	put_container(out, &r->container);
	fprintf(out, ",\"duration_ms\":%.3f,\"threshold_ms\":%.3f", ms(r->duration_ns), ms(r->threshold_ns));
	fprintf(out, ",\"cause\":\"%s\"", stall_cause_name(r->cause));
	if (r->syscall_nr >= 0) {
		if (name)
			fprintf(out, ",\"syscall\":\"%s\"", name);
		else
			fprintf(out, ",\"syscall\":\"syscall_%d\"", r->syscall_nr);
		fprintf(out, ",\"syscall_ms\":%.3f,\"syscall_args\":[", ms(r->syscall_ns));
		for (i = 0; i < 6; i++)
			fprintf(out, "%s%llu", i ? "," : "", (unsigned long long)r->syscall_args[i]);
		fputc(']', out);
		if (r->fd >= 0) {
			fprintf(out, ",\"fd\":%d", r->fd);
			if (r->fd_desc[0])
				put_string(out, "fd_target", r->fd_desc);
		}
	}
	fprintf(out,
		",\"breakdown_ms\":{\"cpu\":%.3f,\"syscall\":%.3f,\"runqueue\":%.3f,\"other\":%.3f,\"stopped\":%.3f}",
		ms(r->cpu_ns), ms(r->blocked_sys_ns), ms(r->runq_ns), ms(r->other_ns), ms(r->stopped_ns));
	if (r->runtime[0])
		put_string(out, "runtime", r->runtime);
	/* "python": the CPython version, or why its stack is missing (the key older records had). */
	if (r->runtime_status[0])
		put_string(out, strcmp(r->runtime, "python") == 0 ? "python" : "runtime_status", r->runtime_status);
	if (r->framework[0])
		put_string(out, "framework", r->framework);
	if (r->holder.tid > 0)
		put_holder(out, &r->holder);
	put_waited(out, r);
	if (r->throttled_ns)
		fprintf(out, ",\"throttled_ms\":%.3f", ms(r->throttled_ns));
	c = culprit_of(r);
	if (c.at) {
		fputs(",\"culprit\":", out);
		put_frame(out, c.at);
	}
	if (c.via) {
		fputs(",\"via\":", out);
		put_frame(out, c.via);
	}
	if (c.coroutine) {
		fputs(",\"coroutine\":", out);
		put_frame(out, c.coroutine);
	}
	if (r->request.method[0]) {
		fputs(",\"request\":{\"method\":\"", out);
		json_escape(out, r->request.method);
		fputc('"', out);
		put_string(out, "path", r->request.path);
		if (r->request.client[0])
			put_string(out, "client", r->request.client);
		fputc('}', out);
	}
	put_hint(out, r, &c);
	if (r->nphases) {
		fputs(",\"phases\":[", out);
		for (i = 0; i < r->nphases; i++) {
			const struct stall_phase *p = &r->phases[i];

			fprintf(out, "%s{\"what\":\"%s\",\"ms\":%.3f", i ? "," : "", phase_name(p), ms(p->ns));
			if (p->culprit.function[0]) {
				fputs(",\"culprit\":", out);
				put_frame(out, &p->culprit);
			}
			fputc('}', out);
		}
		fputc(']', out);
	}
	if (r->unfinished)
		fputs(",\"unfinished\":true", out);
	if (r->exiting)
		fputs(",\"exiting\":true", out);
	if (r->ended_by.signal) {
		const char *name = sigabbrev_np(r->ended_by.signal);

		fprintf(out, ",\"ended_by\":{\"signal\":\"%s\",\"signal_number\":%d", name ? name : "?",
			r->ended_by.signal);
		if (r->ended_by.by_kernel)
			fputs(",\"by_kernel\":true", out);
		fprintf(out, ",\"sender\":{\"pid\":%d", r->ended_by.sender);
		if (r->ended_by.command[0])
			put_string(out, "command", r->ended_by.command);
		fputs("}}", out);
	}
	if (r->found_by[0])
		put_string(out, "found_by", r->found_by);
	fprintf(out, ",\"exited\":%s,\"stack\":[", r->exited ? "true" : "false");
	shown = output_shown_frames(r, false);
	for (i = 0; i < shown; i++) {
		if (i)
			fputc(',', out);
		put_frame(out, &r->frames[i]);
	}
	fputc(']', out);
	if (shown < r->nframes)
		fprintf(out, ",\"stack_more\":%d", r->nframes - shown);
	fprintf(out, ",\"samples\":{\"native\":%d,\"python\":%d},\"hot\":[", r->n_samples, r->n_runtime_samples);
	for (i = 0; i < r->nhot; i++) {
		fputs(i ? "," : "", out);
		put_frame_fields(out, &r->hot[i].frame);
		fprintf(out, ",\"samples\":%u,\"self\":%u,\"of\":\"%s\"}", r->hot[i].samples, r->hot[i].self,
			!r->hot[i].of_runtime ? "native" : r->runtime[0] ? r->runtime : "python");
	}
	fputc(']', out);
	if (r->note[0])
		put_string(out, "note", r->note);
	fputc('}', out);
}

void output_json(FILE *out, const struct stall_record *r)
{
	put_stall_object(out, r);
	fputc('\n', out);
}

void output_kill_json(FILE *out, const struct kill_record *k)
{
	const char *name = sigabbrev_np(k->signal);

	fprintf(out, "{\"event\":\"kill\",\"pid\":%d,\"tid\":%d", k->pid, k->tid);
	put_string(out, "comm", k->comm);
	fprintf(out, ",\"signal\":\"%s\",\"signal_number\":%d,\"dry_run\":%s,\"escalated\":%s", name ? name : "?",
		k->signal, k->dry_run ? "true" : "false", k->escalated ? "true" : "false");
	if (k->error)
		put_string(out, "error", strerror(k->error));
	fputs(",\"stall\":", out);
	put_stall_object(out, &k->stall);
	fputs("}\n", out);
}

void output_summary_json(FILE *out, const struct loop_summary *s)
{
	bool first = true;
	int i;

	fprintf(out, "{\"event\":\"summary\",\"pid\":%d,\"tid\":%d", s->pid, s->tid);
	put_string(out, "comm", s->comm);
	put_container(out, &s->container);
	fprintf(out, ",\"iterations\":%llu,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,\"stalls\":%llu",
		(unsigned long long)hist_count(&s->hist), ms(hist_quantile_ns(&s->hist, 0.5)),
		ms(hist_quantile_ns(&s->hist, 0.99)), ms(hist_quantile_ns(&s->hist, 1.0)),
		(unsigned long long)s->stalls);
	/* Non-empty buckets keyed by their upper bound in microseconds. */
	fputs(",\"histogram_us\":{", out);
	for (i = 0; i < LS_HIST_BUCKETS; i++) {
		if (!s->hist.slots[i])
			continue;
		fprintf(out, "%s\"%llu\":%llu", first ? "" : ",",
			(unsigned long long)(hist_bucket_upper_ns(i) / NSEC_PER_USEC),
			(unsigned long long)s->hist.slots[i]);
		first = false;
	}
	fputs("}}\n", out);
}

void output_loss_json(FILE *out, const struct loss_record *l)
{
	fprintf(out, "{\"event\":\"lost\",\"kernel_events\":%llu,\"reports_dropped\":%llu",
		(unsigned long long)l->kernel_events, (unsigned long long)l->reports_dropped);
	put_time_as(out, "since", &l->since);
	put_time_as(out, "until", &l->until);
	fputs("}\n", out);
}

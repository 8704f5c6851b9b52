// SPDX-License-Identifier: GPL-2.0
/* The JSON rendering of a stall record: one object per line, schema in README. */
#include <string.h>
#include <time.h>

#include "base/duration.h"
#include "base/escape.h"
#include "base/histogram.h"
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

static void put_time(FILE *out, const struct timespec *ts)
{
	struct tm tm;
	char buf[32];

	gmtime_r(&ts->tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(out, ",\"start\":\"%s.%03ldZ\"", buf, ts->tv_nsec / 1000000);
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
	if (f->task[0])
		put_string(out, "task", f->task);
	else if (f->ip)
		fprintf(out, ",\"addr\":\"0x%llx\"", (unsigned long long)f->ip);
}

static void put_frame(FILE *out, const struct stall_frame *f)
{
	put_frame_fields(out, f);
	fputc('}', out);
}

static void put_stall_object(FILE *out, const struct stall_record *r)
{
	const char *name = syscall_name(r->syscall_nr);
	int i;

	fprintf(out, "{\"event\":\"stall\",\"phase\":\"%s\"", r->ended ? "end" : "begin");
	put_time(out, &r->start_wall);
	fprintf(out, ",\"pid\":%d,\"tid\":%d", r->pid, r->tid);
	put_string(out, "comm", r->comm);
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
	fprintf(out, ",\"breakdown_ms\":{\"cpu\":%.3f,\"syscall\":%.3f,\"runqueue\":%.3f,\"other\":%.3f,\"stopped\":%.3f}",
		ms(r->cpu_ns), ms(r->blocked_sys_ns), ms(r->runq_ns), ms(r->other_ns), ms(r->stopped_ns));
	if (r->runtime[0])
		put_string(out, "runtime", r->runtime);
	/* "python": the CPython version, or why its stack is missing (the key older records had). */
	if (r->runtime_status[0])
		put_string(out, strcmp(r->runtime, "python") == 0 ? "python" : "runtime_status", r->runtime_status);
	if (strcmp(r->holder.lock, "gil") == 0 && r->holder.tid > 0) {
		fprintf(out, ",\"gil_holder\":{\"tid\":%d", r->holder.tid);
		if (r->holder.frame.function[0]) {
			fputs(",\"frame\":", out);
			put_frame(out, &r->holder.frame);
		}
		fputc('}', out);
	}
	if (r->throttled_ns)
		fprintf(out, ",\"throttled_ms\":%.3f", ms(r->throttled_ns));
	fprintf(out, ",\"exited\":%s,\"stack\":[", r->exited ? "true" : "false");
	for (i = 0; i < r->nframes; i++) {
		if (i)
			fputc(',', out);
		put_frame(out, &r->frames[i]);
	}
	fputc(']', out);
	fprintf(out, ",\"samples\":{\"native\":%d,\"python\":%d},\"hot\":[", r->n_samples, r->n_runtime_samples);
	for (i = 0; i < r->nhot; i++) {
		fputs(i ? "," : "", out);
		put_frame_fields(out, &r->hot[i].frame);
		fprintf(out, ",\"samples\":%u,\"self\":%u,\"of\":\"%s\"}", r->hot[i].samples, r->hot[i].self,
			r->hot[i].of_runtime ? "python" : "native");
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

// SPDX-License-Identifier: GPL-2.0
/*
 * --syslog: one structured line per stall begin, stall end and kill, e.g.
 *   stall phase=begin pid=7 tid=7 comm="python3" duration_ms=103 cause=syscall
 *   syscall=clock_nanosleep at="async_func (app.py:22)"
 * with service="gunicorn app:app" after comm when known, and container="app"
 * pod="web-1" namespace="shop" for a process in a container.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "base/escape.h"
#include "record/culprit.h"
#include "sinks/sink.h"
#include "base/syscalls.h"

/* key="value" with the value escaped as in JSON: no newline or quote breaks the line. */
static void put_quoted(FILE *f, const char *key, const char *value)
{
	fprintf(f, " %s=\"", key);
	json_escape(f, value);
	fputc('"', f);
}

static void put_stall_fields(FILE *f, const struct stall_record *r)
{
	struct culprit c = culprit_of(r);
	const char *sc = syscall_name(r->syscall_nr);

	fprintf(f, " pid=%d tid=%d", r->pid, r->tid);
	put_quoted(f, "comm", r->comm);
	if (r->container.service[0])
		put_quoted(f, "service", r->container.service);
	/* Where it runs, as the metrics label it: container="app" pod="web-1" namespace="shop". */
	if (r->container.id[0] || r->container.name[0]) {
		char id[sizeof(r->container.id)];

		put_quoted(f, "container", container_metric_name(&r->container, id, sizeof(id)));
	}
	if (r->container.pod[0])
		put_quoted(f, "pod", r->container.pod);
	if (r->container.namespace[0])
		put_quoted(f, "namespace", r->container.namespace);
	fprintf(f, " duration_ms=%llu cause=%s", (unsigned long long)(r->duration_ns / 1000000),
		stall_cause_name(r->cause));
	if (sc && r->cause == CAUSE_SYSCALL)
		fprintf(f, " syscall=%s", sc);
	if (c.at) {
		fputs(" at=\"", f);
		frame_put(f, c.at, 0, json_escape);
		fputc('"', f);
	}
	if (c.via) {
		fputs(" via=\"", f);
		frame_put(f, c.via, FRAME_SHORT, json_escape);
		fputc('"', f);
	}
}

static void log_line(int priority, void (*fill)(FILE *, const void *), const void *rec)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (!m)
		return;
	fill(m, rec);
	if (fclose(m) == 0)
		syslog(priority, "%s", buf);
	free(buf);
}

static void fill_stall(FILE *f, const void *rec)
{
	const struct stall_record *r = rec;

	fprintf(f, "stall phase=%s", r->ended ? "end" : "begin");
	put_stall_fields(f, r);
}

static void fill_kill(FILE *f, const void *rec)
{
	const struct kill_record *k = rec;
	const char *name = sigabbrev_np(k->signal);

	fprintf(f, "kill signal=%s dry_run=%s escalated=%s", name ? name : "?", k->dry_run ? "true" : "false",
		k->escalated ? "true" : "false");
	if (k->error)
		put_quoted(f, "error", strerror(k->error));
	put_stall_fields(f, &k->stall);
}

static void on_stall(struct sink *s, const struct stall_record *r)
{
	(void)s;
	log_line(r->ended ? LOG_NOTICE : LOG_WARNING, fill_stall, r);
}

static void on_kill(struct sink *s, const struct kill_record *k)
{
	(void)s;
	log_line(LOG_WARNING, fill_kill, k);
}

static void fill_loss(FILE *f, const void *rec)
{
	const struct loss_record *l = rec;

	fprintf(f, "lost kernel_events=%llu reports_dropped=%llu", (unsigned long long)l->kernel_events,
		(unsigned long long)l->reports_dropped);
}

static void on_loss(struct sink *s, const struct loss_record *l)
{
	(void)s;
	log_line(LOG_WARNING, fill_loss, l);
}

static void destroy(struct sink *s)
{
	closelog();
	free(s);
}

static const struct sink_ops syslog_ops = {
	.name = "syslog",
	.stall = on_stall,
	.kill = on_kill,
	.loss = on_loss,
	.destroy = destroy,
};

int sink_syslog_new(struct sink **out)
{
	struct sink *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->ops = &syslog_ops;
	openlog("loopstall", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	*out = s;
	return 0;
}

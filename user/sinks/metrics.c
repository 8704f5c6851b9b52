// SPDX-License-Identifier: GPL-2.0
/* Prometheus metrics over libmicrohttpd. */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/duration.h"
#include "base/histogram.h"
#include "base/escape.h"
#include "sinks/metrics.h"
#include "trace/loops.h"

#define MAX_SERIES	    4096
#define MAX_CONNECTIONS	    64 /* scrapers at once: loopstall's own fds stay free */
#define CONNECTION_TIMEOUT_S 3 /* an idle connection is closed after this */
#define LISTEN_BACKLOG	    16 /* connections waiting beyond the limit: a scrape is not queued behind thousands */

/* The labels service (empty when not known), container, pod, namespace (empty when the process runs in none). */
struct container_labels {
	char service[sizeof(((struct container_info *)0)->service)];
	char container[sizeof(((struct container_info *)0)->id)];
	char pod[sizeof(((struct container_info *)0)->pod)];
	char namespace[sizeof(((struct container_info *)0)->namespace)];
};

/* loopstall_stalls_total{pid,comm,service,container,pod,namespace,cause} */
struct stall_series {
	pid_t pid;
	char comm[16];
	struct container_labels where;
	enum stall_cause cause;
	uint64_t count;
};

struct metrics {
	struct sink sink; /* first: the sink is the metrics object */
	struct MHD_Daemon *daemon;
	struct metrics_sources src;
	pthread_mutex_t lock; /* guards series and reporter */
	struct stall_series series[MAX_SERIES];
	int nseries;
};

/* Label values are untrusted: escaped as base/escape.h says. */
static void put_label(FILE *f, const char *key, const char *value, bool first)
{
	fprintf(f, "%s%s=\"", first ? "" : ",", key);
	label_escape(f, value);
	fputc('"', f);
}

static void labels_of(const struct container_info *c, struct container_labels *out)
{
	char id[sizeof(c->id)];

	memset(out, 0, sizeof(*out));
	if (c->id[0] || c->name[0])
		snprintf(out->container, sizeof(out->container), "%s", container_metric_name(c, id, sizeof(id)));
	memcpy(out->service, c->service, sizeof(out->service));
	memcpy(out->pod, c->pod, sizeof(out->pod));
	memcpy(out->namespace, c->namespace, sizeof(out->namespace));
}

static void put_container_labels(FILE *f, const struct container_labels *w)
{
	put_label(f, "service", w->service, false);
	put_label(f, "container", w->container, false);
	put_label(f, "pod", w->pod, false);
	put_label(f, "namespace", w->namespace, false);
}

static void put_loop_labels(FILE *f, const struct ls_loop *l, const struct container_labels *w)
{
	char comm[LS_COMM_LEN + 1];

	memcpy(comm, l->comm, LS_COMM_LEN);
	comm[LS_COMM_LEN] = 0;
	fprintf(f, "pid=\"%u\",tid=\"%u\"", l->pid, l->tid);
	put_label(f, "comm", comm, false);
	put_container_labels(f, w);
}

static void put_loops(struct metrics *m, FILE *f)
{
	struct loops_snapshot snap = {0};
	struct container_labels *where;
	struct container_info c;
	struct ls_loop *loops;
	int n, i, b;

	if (loops_read(m->src.tracer, &snap))
		return;
	loops = snap.v;
	n = snap.n;
	/* Each loop's container as the reporter thread read it: looked up, never read here. */
	where = calloc(n ? n : 1, sizeof(*where));
	if (!where) {
		loops_snapshot_free(&snap);
		return;
	}
	for (i = 0; i < n; i++) {
		containers_peek(m->src.containers, loops[i].pid, &c);
		labels_of(&c, &where[i]);
	}
	fputs("# HELP loopstall_iteration_seconds Busy time of event-loop iterations (from the kernel's log2 "
	      "histogram).\n"
	      "# TYPE loopstall_iteration_seconds histogram\n",
	      f);
	for (i = 0; i < n; i++) {
		const struct ls_hist *h = &loops[i].hist;
		uint64_t cumulative = 0;

		for (b = 0; b < LS_HIST_BUCKETS; b++) {
			cumulative += h->slots[b];
			fputs("loopstall_iteration_seconds_bucket{", f);
			put_loop_labels(f, &loops[i], &where[i]);
			fprintf(f, ",le=\"%g\"} %llu\n", (double)hist_bucket_upper_ns(b) / 1e9,
				(unsigned long long)cumulative);
		}
		fputs("loopstall_iteration_seconds_bucket{", f);
		put_loop_labels(f, &loops[i], &where[i]);
		fprintf(f, ",le=\"+Inf\"} %llu\n", (unsigned long long)cumulative);
		fputs("loopstall_iteration_seconds_sum{", f);
		put_loop_labels(f, &loops[i], &where[i]);
		fprintf(f, "} %.9f\n", (double)h->sum_ns / 1e9);
		fputs("loopstall_iteration_seconds_count{", f);
		put_loop_labels(f, &loops[i], &where[i]);
		fprintf(f, "} %llu\n", (unsigned long long)cumulative);
	}
	fputs("# HELP loopstall_stalled Whether the loop is stalled right now.\n"
	      "# TYPE loopstall_stalled gauge\n",
	      f);
	for (i = 0; i < n; i++) {
		bool stalled = loop_is_stalled(&loops[i], snap.now_ns, m->src.threshold_ns);

		fputs("loopstall_stalled{", f);
		put_loop_labels(f, &loops[i], &where[i]);
		fprintf(f, "} %d\n", stalled);
	}
	free(where);
	loops_snapshot_free(&snap);
}

static void put_counter(FILE *f, const char *name, const char *help, uint64_t value)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name, (unsigned long long)value);
}

static void put_counters(struct metrics *m, FILE *f)
{
	int i;

	fputs("# HELP loopstall_stalls_total Stalls that ended, by process and cause.\n"
	      "# TYPE loopstall_stalls_total counter\n",
	      f);
	pthread_mutex_lock(&m->lock);
	for (i = 0; i < m->nseries; i++) {
		fprintf(f, "loopstall_stalls_total{pid=\"%d\"", m->series[i].pid);
		put_label(f, "comm", m->series[i].comm, false);
		put_container_labels(f, &m->series[i].where);
		fprintf(f, ",cause=\"%s\"} %llu\n", stall_cause_name(m->series[i].cause),
			(unsigned long long)m->series[i].count);
	}
	pthread_mutex_unlock(&m->lock);
	put_counter(f, "loopstall_kills_total", "Signals sent to stalled processes.",
		    counter_get(&m->src.counters->kills));
	put_counter(f, "loopstall_lost_events_total", "Kernel records lost to a full ring buffer.",
		    tracer_lost_events(m->src.tracer));
	put_counter(f, "loopstall_loops_untracked_total", "Waits of loop threads not followed, the kernel's loop map being full.",
		    tracer_loops_untracked(m->src.tracer));
	put_counter(f, "loopstall_processes_unwatched_total",
		    "Processes not watched (targets, their children), the kernel's watched set being full.",
		    tracer_procs_unwatched(m->src.tracer));
	put_counter(f, "loopstall_reports_dropped_total", "Records dropped because the reporter queue was full.",
		    counter_get(&m->src.counters->reports_dropped));
	fputs("# HELP loopstall_report_cpu_seconds_total loopstall's own CPU time spent on stall reports, by thread.\n"
	      "# TYPE loopstall_report_cpu_seconds_total counter\n",
	      f);
	fprintf(f, "loopstall_report_cpu_seconds_total{thread=\"detector\"} %.6f\n",
		(double)counter_get(&m->src.counters->capture_ns) / 1e9);
	fprintf(f, "loopstall_report_cpu_seconds_total{thread=\"reporter\"} %.6f\n",
		(double)counter_get(&m->src.counters->symbolize_ns) / 1e9);
	fputs("# HELP loopstall_warm_cpu_seconds_total loopstall's own CPU time spent reading new processes' symbols ahead of their stalls.\n"
	      "# TYPE loopstall_warm_cpu_seconds_total counter\n",
	      f);
	fprintf(f, "loopstall_warm_cpu_seconds_total %.6f\n", (double)counter_get(&m->src.counters->warm_ns) / 1e9);
	put_counter(f, "loopstall_records_total", "Stall and kill records produced.",
		    counter_get(&m->src.counters->records));
	put_counter(f, "loopstall_hooks_run_total", "--exec hooks started.", counter_get(&m->src.counters->hooks_run));
	put_counter(f, "loopstall_hooks_failed_total", "--exec hooks that failed, timed out or could not start.",
		    counter_get(&m->src.counters->hooks_failed));
	put_counter(f, "loopstall_hooks_dropped_total", "--exec hooks not run: too many running or too frequent.",
		    counter_get(&m->src.counters->hooks_dropped));
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
			      const char *version, const char *upload, size_t *upload_size, void **state)
{
	struct metrics *m = cls;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char *body = NULL;
	size_t len = 0;
	unsigned int status = MHD_HTTP_OK;
	FILE *f;

	(void)version, (void)upload, (void)upload_size, (void)state;
	f = open_memstream(&body, &len);
	if (!f)
		return MHD_NO;
	if (strcmp(method, "GET") != 0) {
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
		fputs("only GET\n", f);
	} else if (strcmp(url, "/metrics") != 0) {
		status = MHD_HTTP_NOT_FOUND;
		fputs("loopstall serves /metrics\n", f);
	} else {
		put_loops(m, f);
		put_counters(m, f);
	}
	if (fclose(f)) {
		free(body);
		return MHD_NO;
	}
	resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void count_stall(struct sink *s, const struct stall_record *r)
{
	struct metrics *m = (struct metrics *)s;
	struct container_labels where;
	int i;

	if (!r->ended)
		return;
	labels_of(&r->container, &where);
	pthread_mutex_lock(&m->lock);
	for (i = 0; i < m->nseries; i++) {
		struct stall_series *x = &m->series[i];

		if (x->pid == r->pid && x->cause == r->cause && strcmp(x->comm, r->comm) == 0 &&
		    memcmp(&x->where, &where, sizeof(where)) == 0)
			break;
	}
	if (i == m->nseries && m->nseries < MAX_SERIES) {
		m->series[i].pid = r->pid;
		m->series[i].cause = r->cause;
		m->series[i].where = where;
		memcpy(m->series[i].comm, r->comm, sizeof(m->series[i].comm));
		m->series[i].count = 0;
		m->nseries++;
	}
	if (i < m->nseries)
		m->series[i].count++;
	pthread_mutex_unlock(&m->lock);
}

/* The sink list owns the metrics object; metrics_stop() has stopped its server by now. */
static void sink_destroy(struct sink *s)
{
	struct metrics *m = (struct metrics *)s;

	if (m->daemon)
		MHD_stop_daemon(m->daemon);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

static const struct sink_ops metrics_ops = {
	.name = "metrics",
	.stall = count_stall,
	.destroy = sink_destroy,
};

/* "HOST:PORT" or ":PORT" (127.0.0.1); IPv4 or [IPv6]. */
static int parse_addr(const char *text, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[256];
	const char *colon = strrchr(text, ':');
	char *end;
	long port;
	size_t hlen;

	if (!colon)
		return -EINVAL;
	port = strtol(colon + 1, &end, 10);
	if (*end || colon[1] == 0 || port <= 0 || port > 65535)
		return -EINVAL;
	hlen = colon - text;
	if (hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, text, hlen);
	host[hlen] = 0;
	if (hlen == 0)
		strcpy(host, "127.0.0.1");
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[' && hlen > 2 && host[hlen - 1] == ']') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

		host[hlen - 1] = 0;
		if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
			return -EINVAL;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		*len = sizeof(*a6);
		return 0;
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
			return -EINVAL;
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		*len = sizeof(*a4);
		return 0;
	}
}

static bool is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

int metrics_start(const char *addr, const struct metrics_sources *src, struct metrics **out)
{
	struct sockaddr_storage ss;
	/* epoll: past fd 1024, which select() cannot watch, connections still work. */
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
	struct metrics *m;
	socklen_t len;
	int err;

	err = parse_addr(addr, &ss, &len);
	if (err)
		return err;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->sink.ops = &metrics_ops;
	m->src = *src;
	pthread_mutex_init(&m->lock, NULL);
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	errno = 0;
	m->daemon = MHD_start_daemon(flags, 0, NULL, NULL, answer, m, MHD_OPTION_SOCK_ADDR, &ss,
				     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)MAX_CONNECTIONS,
				     MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)LISTEN_BACKLOG,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)CONNECTION_TIMEOUT_S, MHD_OPTION_END);
	if (!m->daemon) {
		err = errno ? -errno : -EADDRINUSE;
		sink_destroy(&m->sink);
		return err;
	}
	if (!is_loopback(&ss))
		fprintf(stderr, "loopstall: warning: --metrics %s is reachable from other hosts: process names, PIDs and "
				"stall causes are served to anyone who connects\n",
			addr);
	*out = m;
	return 0;
}

struct sink *metrics_sink(struct metrics *m)
{
	return &m->sink;
}

void metrics_stop(struct metrics *m)
{
	if (!m || !m->daemon)
		return;
	MHD_stop_daemon(m->daemon);
	m->daemon = NULL;
}

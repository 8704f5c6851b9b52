// SPDX-License-Identifier: GPL-2.0
/* A queue of records and one thread that symbolizes them and feeds the sinks. */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/counters.h"
#include "base/sched_priority.h"
#include "pipeline/reporter.h"
#include "attrib/resolve.h"

#define MAX_QUEUED 256
#define TICK_MS	   100
#define TRIM_AFTER 64 /* jobs: a burst of records, or of processes warmed */
#define NAMED_BEGINS 16
#define SPARE_JOBS 2
#define NAMED_BEGIN_FRAMES 64

enum job_type { JOB_STALL, JOB_KILL, JOB_SUMMARY, JOB_LOSS, JOB_WARM, JOB_FORGET, JOB_REOPEN };

struct job {
	enum job_type type;
	pid_t pid;
	struct job *next;
	union {
		struct stall_record stall;
		struct kill_record kill;
		struct loop_summary summary;
		struct loss_record loss;
	} u;
};

struct reporter {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_cond_t room; /* signalled when a job leaves a full queue */
	struct job *head, *tail;
	int queued;
	int max_queued; /* MAX_QUEUED, fewer when memory is short (reporter_set_queue_limit) */
	bool stopping;
	struct sink *sinks;
	struct counters *counters;
	struct resolver *resolver;	/* the reporter thread's own symbolizer and runtimes */
	struct detector_cache detector; /* the detecting thread's symbols and runtimes, warmed from here */
	struct containers *containers;	/* each process's container, read here (may be NULL) */
	bool realtime;			/* wanted: SCHED_FIFO 1 but for warming (under lock) */
	int since_trim;			/* jobs run since the heap was last trimmed */
	/* Stall jobs run, for the next: a new one is mapped, faulted in and unmapped (264 KB). */
	struct job *spare[SPARE_JOBS];
	int nspare;
	struct named_begin {
		pid_t tid;
		uint64_t iter_seq;
		int nframes; /* 0: none kept */
		bool cut;    /* its stack was deeper than kept: not used */
		struct stall_frame frames[NAMED_BEGIN_FRAMES];
	} begins[NAMED_BEGINS]; /* the last begins named, for their ends (keep_what_begin_named) */
	int next_begin;
};

/*
 * Queues a job; payload (of size bytes) is copied into it, a stall record
 * only as far as it is used. A full queue drops it (and counts it), unless
 * wait: then the caller waits for room (the summary at exit, where nothing
 * is left to detect).
 */
static void enqueue(struct reporter *rep, enum job_type type, pid_t pid, const void *payload, size_t size, bool wait)
{
	struct job *j;

	pthread_mutex_lock(&rep->lock);
	while (wait && rep->queued >= MAX_QUEUED && !rep->stopping)
		pthread_cond_wait(&rep->room, &rep->lock);
	if (rep->queued >= (wait ? MAX_QUEUED : rep->max_queued) || rep->stopping) {
		counter_inc(&rep->counters->reports_dropped);
		pthread_mutex_unlock(&rep->lock);
		return;
	}
	j = type == JOB_STALL && rep->nspare ? rep->spare[--rep->nspare] : NULL;
	pthread_mutex_unlock(&rep->lock);
	if (!j)
		j = malloc(offsetof(struct job, u) + size);
	if (!j) {
		counter_inc(&rep->counters->reports_dropped);
		return;
	}
	j->type = type;
	j->pid = pid;
	j->next = NULL;
	if (type == JOB_STALL)
		stall_record_copy(&j->u.stall, payload);
	else if (size)
		memcpy(&j->u, payload, size);
	pthread_mutex_lock(&rep->lock);
	if (rep->tail)
		rep->tail->next = j;
	else
		rep->head = j;
	rep->tail = j;
	rep->queued++;
	pthread_cond_signal(&rep->wake);
	pthread_mutex_unlock(&rep->lock);
}

/*
 * An end record whose thread exited is named when its process may be gone:
 * C functions its runtime named from the live process (time.sleep) are
 * then nameless. It keeps the frames its begin record was named with,
 * from a few begins remembered here.
 */
static void keep_what_begin_named(struct reporter *rep, struct stall_record *r)
{
	struct named_begin *b;
	int i, n;

	if (!r->ended) {
		b = &rep->begins[rep->next_begin++ % NAMED_BEGINS];
		n = r->nframes < NAMED_BEGIN_FRAMES ? r->nframes : NAMED_BEGIN_FRAMES;
		b->tid = r->tid;
		b->iter_seq = r->iter_seq;
		b->nframes = n;
		b->cut = n < r->nframes;
		memcpy(b->frames, r->frames, n * sizeof(b->frames[0]));
		return;
	}
	if (!r->exited)
		return;
	for (i = 0; i < NAMED_BEGINS; i++) {
		b = &rep->begins[i];
		if (b->tid != r->tid || b->iter_seq != r->iter_seq || !b->nframes || b->cut)
			continue;
		memcpy(r->frames, b->frames, b->nframes * sizeof(b->frames[0]));
		r->nframes = b->nframes;
		b->nframes = 0;
		return;
	}
}

static void run_job(struct reporter *rep, struct job *j, bool realtime)
{
	uint64_t cpu0 = thread_cpu_ns();

	/* Warming reads and parses binaries for tens of ms: not at realtime priority. */
	if (realtime && j->type == JOB_WARM)
		sched_set_realtime(false);
	switch (j->type) {
	case JOB_STALL:
		resolve_record(rep->resolver, &j->u.stall);
		keep_what_begin_named(rep, &j->u.stall);
		if (rep->containers)
			containers_get(rep->containers, j->pid, &j->u.stall.container);
		stall_record_mark_app_root(&j->u.stall);
		sinks_stall(rep->sinks, &j->u.stall);
		break;
	case JOB_KILL:
		resolve_record(rep->resolver, &j->u.kill.stall);
		if (rep->containers)
			containers_get(rep->containers, j->pid, &j->u.kill.stall.container);
		stall_record_mark_app_root(&j->u.kill.stall);
		sinks_kill(rep->sinks, &j->u.kill);
		break;
	case JOB_LOSS: sinks_loss(rep->sinks, &j->u.loss); break;
	case JOB_SUMMARY:
		if (rep->containers)
			containers_get(rep->containers, j->pid, &j->u.summary.container);
		sinks_summary(rep->sinks, &j->u.summary);
		break;
	case JOB_WARM:
		/* Its container too, for metrics and top to label the loop before any stall. */
		if (rep->containers) {
			struct container_info info;

			containers_get(rep->containers, j->pid, &info);
		}
		/* Both threads' symbols: the detector's first unwind of pid loads nothing. */
		resolver_warm(rep->resolver, j->pid);
		if (rep->detector.warm)
			rep->detector.warm(rep->detector.ctx, j->pid);
		break;
	case JOB_FORGET:
		resolver_forget(rep->resolver, j->pid);
		if (rep->containers)
			containers_forget(rep->containers, j->pid);
		if (rep->detector.forget)
			rep->detector.forget(rep->detector.ctx, j->pid);
		break;
	case JOB_REOPEN: sinks_reopen(rep->sinks); break;
	}
	if (realtime && j->type == JOB_WARM)
		sched_set_realtime(true);
	if (j->type == JOB_STALL || j->type == JOB_KILL)
		counter_inc(&rep->counters->records);
	if (j->type == JOB_STALL || j->type == JOB_KILL)
		counter_add(&rep->counters->symbolize_ns, thread_cpu_ns() - cpu0);
	else if (j->type == JOB_WARM)
		counter_add(&rep->counters->warm_ns, thread_cpu_ns() - cpu0);
}

static void *reporter_main(void *arg)
{
	struct reporter *rep = arg;
	bool ticks = sinks_tick_wanted(rep->sinks);
	bool realtime = false; /* this thread's priority now */
	struct timespec deadline;
	struct job *j;

	pthread_mutex_lock(&rep->lock);
	for (;;) {
		while (!rep->head && !rep->stopping) {
			if (rep->realtime && !realtime)
				realtime = !sched_set_realtime(true); /* woken at that priority */
			if (!ticks) {
				pthread_cond_wait(&rep->wake, &rep->lock);
				continue;
			}
			clock_gettime(CLOCK_MONOTONIC, &deadline);
			deadline.tv_nsec += TICK_MS * 1000000L;
			if (deadline.tv_nsec >= 1000000000L) {
				deadline.tv_sec++;
				deadline.tv_nsec -= 1000000000L;
			}
			if (pthread_cond_timedwait(&rep->wake, &rep->lock, &deadline) == ETIMEDOUT) {
				pthread_mutex_unlock(&rep->lock);
				sinks_tick(rep->sinks);
				pthread_mutex_lock(&rep->lock);
			}
		}
		j = rep->head;
		if (!j)
			break; /* stopping, and everything delivered */
		rep->head = j->next;
		if (!rep->head)
			rep->tail = NULL;
		rep->queued--;
		pthread_cond_signal(&rep->room);
		pthread_mutex_unlock(&rep->lock);
		run_job(rep, j, realtime);
		sinks_tick(rep->sinks);
		pthread_mutex_lock(&rep->lock);
		if (j->type == JOB_STALL && rep->nspare < SPARE_JOBS)
			rep->spare[rep->nspare++] = j;
		else
			free(j);
		/* A burst is over: what it took goes back to the system (glibc keeps freed heap otherwise). */
		if (!rep->head && ++rep->since_trim >= TRIM_AFTER) {
			rep->since_trim = 0;
			malloc_trim(0);
		}
	}
	pthread_mutex_unlock(&rep->lock);
	return NULL;
}

struct reporter *reporter_new(struct sink *sinks, struct counters *counters, const struct detector_cache *cache,
			      struct containers *containers)
{
	struct reporter *rep = calloc(1, sizeof(*rep));
	pthread_condattr_t attr;

	if (!rep) {
		sinks_destroy(sinks);
		return NULL;
	}
	rep->sinks = sinks;
	rep->counters = counters;
	rep->max_queued = MAX_QUEUED;
	rep->resolver = resolver_new();
	if (cache)
		rep->detector = *cache;
	rep->containers = containers;
	pthread_mutex_init(&rep->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&rep->wake, &attr);
	pthread_cond_init(&rep->room, NULL);
	pthread_condattr_destroy(&attr);
	if (!rep->resolver || pthread_create(&rep->thread, NULL, reporter_main, rep)) {
		resolver_free(rep->resolver);
		sinks_destroy(sinks);
		pthread_mutex_destroy(&rep->lock);
		pthread_cond_destroy(&rep->wake);
		pthread_cond_destroy(&rep->room);
		free(rep);
		return NULL;
	}
	return rep;
}

void reporter_free(struct reporter *rep)
{
	if (!rep)
		return;
	pthread_mutex_lock(&rep->lock);
	rep->stopping = true;
	pthread_cond_signal(&rep->wake);
	pthread_mutex_unlock(&rep->lock);
	pthread_join(rep->thread, NULL);
	while (rep->nspare)
		free(rep->spare[--rep->nspare]);
	sinks_flush(rep->sinks);
	sinks_destroy(rep->sinks);
	resolver_free(rep->resolver);
	pthread_mutex_destroy(&rep->lock);
	pthread_cond_destroy(&rep->wake);
	pthread_cond_destroy(&rep->room);
	free(rep);
}

void reporter_stall(struct reporter *rep, const struct stall_record *r)
{
	enqueue(rep, JOB_STALL, r->pid, r, sizeof(*r), false);
}

void reporter_kill(struct reporter *rep, const struct kill_record *k)
{
	enqueue(rep, JOB_KILL, k->pid, k, sizeof(*k), false);
}

void reporter_summary(struct reporter *rep, const struct loop_summary *ls)
{
	enqueue(rep, JOB_SUMMARY, ls->pid, ls, sizeof(*ls), true);
}

void reporter_loss(struct reporter *rep, const struct loss_record *l)
{
	enqueue(rep, JOB_LOSS, 0, l, sizeof(*l), true); /* never itself lost: it waits for room */
}

void reporter_warm(struct reporter *rep, pid_t pid)
{
	enqueue(rep, JOB_WARM, pid, NULL, 0, false);
}

void reporter_forget(struct reporter *rep, pid_t pid)
{
	enqueue(rep, JOB_FORGET, pid, NULL, 0, false);
}

void reporter_reopen(struct reporter *rep)
{
	enqueue(rep, JOB_REOPEN, 0, NULL, 0, false);
}

uint64_t reporter_dropped(struct reporter *rep)
{
	return counter_get(&rep->counters->reports_dropped);
}

void reporter_set_queue_limit(struct reporter *rep, int records)
{
	pthread_mutex_lock(&rep->lock);
	rep->max_queued = records > 0 && records < MAX_QUEUED ? records : MAX_QUEUED;
	pthread_mutex_unlock(&rep->lock);
}

pthread_t reporter_thread(const struct reporter *rep)
{
	return rep->thread;
}

void reporter_set_realtime(struct reporter *rep, bool realtime)
{
	pthread_mutex_lock(&rep->lock);
	rep->realtime = realtime;
	pthread_cond_signal(&rep->wake);
	pthread_mutex_unlock(&rep->lock);
}

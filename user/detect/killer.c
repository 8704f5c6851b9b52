// SPDX-License-Identifier: GPL-2.0
/* Ending stalled processes precisely: pidfds, a grace period, and a record of each signal. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <time.h>
#include <unistd.h>

#include "base/duration.h"
#include "base/proc.h"
#include "detect/killer.h"

#define MAX_PIDFDS  256
#define MAX_PENDING 32

struct held_pidfd {
	pid_t pid;
	int fd;
};

/* A process signalled and not yet gone: SIGKILL at the deadline. */
struct pending_kill {
	int pidfd;
	uint64_t deadline_ns;
	struct kill_record *record;
};

struct killer {
	struct killer_config cfg;
	struct tracer *tracer;
	struct counters *counters;
	struct held_pidfd held[MAX_PIDFDS];
	int nheld;
	struct pending_kill pending[MAX_PENDING];
	int npending;
};

struct killer *killer_new(const struct killer_config *cfg, struct tracer *t, struct counters *counters)
{
	struct killer *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	k->cfg = *cfg;
	k->tracer = t;
	k->counters = counters;
	return k;
}

void killer_free(struct killer *k)
{
	int i;

	if (!k)
		return;
	for (i = 0; i < k->nheld; i++)
		close(k->held[i].fd);
	for (i = 0; i < k->npending; i++) {
		close(k->pending[i].pidfd);
		free(k->pending[i].record);
	}
	free(k);
}

static struct held_pidfd *find_held(struct killer *k, pid_t pid)
{
	int i;

	for (i = 0; i < k->nheld; i++)
		if (k->held[i].pid == pid)
			return &k->held[i];
	return NULL;
}

static bool has_exited(int pidfd);

/* Closes the pidfds of processes that are gone (no exit record without a watched set). */
static void sweep_held(struct killer *k)
{
	int i;

	for (i = k->nheld - 1; i >= 0; i--) {
		if (has_exited(k->held[i].fd)) {
			close(k->held[i].fd);
			k->held[i] = k->held[--k->nheld];
		}
	}
}

void killer_stall_began(struct killer *k, pid_t pid)
{
	struct held_pidfd *h = find_held(k, pid);
	int fd;

	/* A pidfd of an earlier process with this PID (its exit unseen) is stale. */
	if (h && !has_exited(h->fd))
		return;
	if (h)
		killer_forget(k, pid);
	if (k->nheld == MAX_PIDFDS)
		sweep_held(k);
	if (k->nheld == MAX_PIDFDS)
		return;
	fd = pidfd_open(pid, 0);
	if (fd < 0)
		return;
	k->held[k->nheld].pid = pid;
	k->held[k->nheld++].fd = fd;
}

void killer_forget(struct killer *k, pid_t pid)
{
	struct held_pidfd *h = find_held(k, pid);

	if (!h)
		return;
	close(h->fd);
	*h = k->held[--k->nheld];
}

/*
 * Never loopstall itself, PID 1, or a process outside the watched set: the
 * process the pidfd holds must be the one watched under its PID, by start
 * time (read from /proc, then the pidfd asked whether it is still alive:
 * then /proc spoke of it, not of a process that took its PID since).
 */
static int refuse(struct killer *k, pid_t pid, int pidfd)
{
	struct proc_stat st;

	if (pid == getpid() || pid == 1)
		return EPERM;
	if (proc_stat_read(pid, &st) || has_exited(pidfd))
		return ESRCH;
	if (!k->cfg.watch_all && !tracer_is_watched(k->tracer, pid, st.start))
		return EPERM;
	return 0;
}

static bool has_exited(int pidfd)
{
	struct pollfd p = {.fd = pidfd, .events = POLLIN};

	return poll(&p, 1, 0) == 1;
}

void killer_kill(struct killer *k, const struct stall_record *r)
{
	struct held_pidfd *h = find_held(k, r->pid);
	struct kill_record *rec = malloc(sizeof(*rec));

	if (!rec)
		return;
	memset(rec, 0, offsetof(struct kill_record, stall));
	rec->pid = r->pid;
	rec->tid = r->tid;
	memcpy(rec->comm, r->comm, sizeof(rec->comm));
	rec->signal = k->cfg.signal;
	rec->dry_run = k->cfg.dry_run;
	stall_record_copy(&rec->stall, r);
	/* No pidfd: it was already gone when the stall began. */
	rec->error = h ? refuse(k, r->pid, h->fd) : ESRCH;
	if (!rec->error && !rec->dry_run && pidfd_send_signal(h->fd, rec->signal, NULL, 0))
		rec->error = errno;
	if (!rec->error && !rec->dry_run)
		counter_inc(&k->counters->kills);
	/* The report leaves in order before any later record; the signal is already sent. */
	k->cfg.report(k->cfg.ctx, rec);
	if (rec->error || rec->dry_run || rec->signal == SIGKILL || k->npending == MAX_PENDING) {
		free(rec);
		return;
	}
	/* Keep our own pidfd: the held one is closed when the process exits. */
	k->pending[k->npending].pidfd = dup(h->fd);
	if (k->pending[k->npending].pidfd < 0) {
		free(rec);
		return;
	}
	k->pending[k->npending].deadline_ns = monotonic_ns() + k->cfg.grace_ns;
	k->pending[k->npending++].record = rec;
}

bool killer_pending(const struct killer *k)
{
	return k->npending > 0;
}

void killer_tick(struct killer *k, uint64_t now_ns)
{
	int i;

	for (i = k->npending - 1; i >= 0; i--) {
		struct pending_kill *p = &k->pending[i];

		if (!has_exited(p->pidfd)) {
			if (now_ns < p->deadline_ns)
				continue;
			p->record->signal = SIGKILL;
			p->record->escalated = true;
			p->record->error = pidfd_send_signal(p->pidfd, SIGKILL, NULL, 0) ? errno : 0;
			if (!p->record->error)
				counter_inc(&k->counters->kills);
			k->cfg.report(k->cfg.ctx, p->record);
		}
		close(p->pidfd);
		free(p->record);
		*p = k->pending[--k->npending];
	}
}

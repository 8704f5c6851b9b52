// SPDX-License-Identifier: GPL-2.0
/* Finds loops in a scan of a process's threads: stuck inside an iteration, or parked. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/duration.h"
#include "base/escape.h"
#include "base/proc.h"
#include "base/syscalls.h"
#include "detect/discover.h"
#include "trace/loops.h"

#define RESCAN_NS      (1000 * NSEC_PER_MSEC)  /* a process with a new loop is scanned again after this */
#define NOTE_AFTER_NS  (5000 * NSEC_PER_MSEC) /* a watched process with no loop by then is said to have none */
#define ADOPT_TRIES    3		       /* a thread that moved between the scan and its adoption is scanned again */
#define MAX_PROCESSES  256

/* A process scanned: when to scan it again, whether to say it has no loop. */
struct scanned {
	pid_t pid;
	uint64_t rescan_ns; /* 0: none due */
	int rescans;	    /* left */
	bool parks;	    /* a thread of it parks (tokio): its loops learn their parks (LS_LOOP_LEARN_PARK) */
	uint64_t note_ns;   /* 0: nothing to say */
};

struct discover {
	struct tracer *tracer;
	struct attribution *attribution;
	struct detector *detector;
	struct scanned procs[MAX_PROCESSES];
	int nprocs;
};

struct discover *discover_new(struct tracer *t, struct attribution *a, struct detector *d)
{
	struct discover *dc = calloc(1, sizeof(*dc));

	if (!dc)
		return NULL;
	dc->tracer = t;
	dc->attribution = a;
	dc->detector = d;
	return dc;
}

void discover_free(struct discover *dc)
{
	free(dc);
}

static struct scanned *find(struct discover *dc, pid_t pid, bool add)
{
	int i;

	for (i = 0; i < dc->nprocs; i++)
		if (dc->procs[i].pid == pid)
			return &dc->procs[i];
	if (!add || dc->nprocs == MAX_PROCESSES)
		return NULL;
	memset(&dc->procs[dc->nprocs], 0, sizeof(dc->procs[0]));
	dc->procs[dc->nprocs].pid = pid;
	return &dc->procs[dc->nprocs++];
}

void discover_forget(struct discover *dc, pid_t pid)
{
	struct scanned *s = find(dc, pid, false);

	if (s)
		*s = dc->procs[--dc->nprocs];
}

/*
 * Whether a process may run a loop a scan can find: one a runtime reads,
 * or one that holds an epoll instance or an io_uring ring. A host-wide scan
 * asks this of each process, to unwind no thread of the others.
 */
static bool may_run_loops(struct attribution *a, pid_t pid)
{
	char path[64], link[64];
	struct dirent *e;
	int n = 0;
	DIR *dir;

	if (attribution_has_runtime(a, pid))
		return true;
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dir = opendir(path);
	if (!dir)
		return false;
	while ((e = readdir(dir)) && n++ < 4096) {
		char fd[PATH_MAX];
		ssize_t len;

		snprintf(fd, sizeof(fd), "%s/%s", path, e->d_name);
		len = readlink(fd, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = 0;
		if (!strcmp(link, "anon_inode:[eventpoll]") || !strcmp(link, "anon_inode:[io_uring]")) {
			closedir(dir);
			return true;
		}
	}
	closedir(dir);
	return false;
}

/* The scanned record of tid now, for a second try at adopting it: 0, or -ESRCH. */
static int scan_again(struct discover *dc, pid_t pid, pid_t tid, struct ls_thread *out)
{
	struct ls_thread *threads;
	int n = tracer_scan_threads(dc->tracer, pid, &threads), i, err = -ESRCH;

	for (i = 0; i < n; i++) {
		if ((pid_t)threads[i].tid == tid) {
			*out = threads[i];
			err = 0;
		}
	}
	free(threads);
	return err;
}

/* Makes thread t a loop inside an iteration (since it last left the CPU, or now) and follows it. */
static void adopt_in_iteration(struct discover *dc, struct ls_thread t, const char *how)
{
	struct ls_adopt req;
	struct ls_loop l;
	int tries;

	for (tries = 0; tries < ADOPT_TRIES; tries++) {
		if (t.wait_kind != LS_WAIT_NONE && !t.vague)
			return; /* back in its wait meanwhile: a loop from its next return, idle now */
		req = (struct ls_adopt){.pid = t.pid, .tid = t.tid, .switches = t.switches};
		req.iter_start_ns = t.state != LS_ON_CPU && t.since_ns ? t.since_ns : monotonic_ns();
		if (tracer_adopt_loop(dc->tracer, &req) != -ESRCH || scan_again(dc, t.pid, t.tid, &t))
			break;
	}
	if (req.result || loop_read(dc->tracer, t.tid, &l) || !(l.flags & LS_LOOP_FOUND))
		return;
	detector_follow_found(dc->detector, l.tid, l.iter_seq, l.iter_start_ns, -1, how);
}

/* Thread t waits in its runtime's park (futex word t.args[0]): an idle loop, or a loop of ours that learns its park. */
static void adopt_parked(struct discover *dc, const struct ls_thread *t)
{
	struct ls_adopt req = {.pid = t->pid, .tid = t->tid, .switches = t->switches, .park_futex = t->args[0]};
	struct ls_ctl ctl = {.tid = t->tid, .what = LS_CTL_PARK, .park_futex = t->args[0]};
	struct ls_loop l;

	if (t->nr != SYS_futex)
		return;
	if (loop_read(dc->tracer, t->tid, &l)) {
		tracer_adopt_loop(dc->tracer, &req);
		return;
	}
	/* A loop seen by its waits, parked inside what the kernel takes for an iteration: it idles. */
	if (l.iter_start_ns) {
		ctl.what |= LS_CTL_END_ITERATION;
		ctl.iter_seq = l.iter_seq;
	}
	tracer_loop_ctl(dc->tracer, &ctl);
}

/* The loops of a process that parks whose park is not known yet say their futex waits until it is. */
static void learn_parks(struct discover *dc, pid_t pid)
{
	struct loops_snapshot loops = {0};
	int i;

	if (loops_read(dc->tracer, &loops))
		return;
	for (i = 0; i < loops.n; i++) {
		struct ls_ctl ctl = {.tid = loops.v[i].tid, .what = LS_CTL_LEARN_PARK};

		if ((pid_t)loops.v[i].pid == pid && !loops.v[i].home.park_futex &&
		    !(loops.v[i].flags & LS_LOOP_LEARN_PARK))
			tracer_loop_ctl(dc->tracer, &ctl);
	}
	loops_snapshot_free(&loops);
}

void discover_futex(struct discover *dc, pid_t tid, uint64_t iter_seq)
{
	struct ls_stack stacks[2];
	struct ls_loop l;
	struct ls_ctl ctl = {.tid = tid, .what = LS_CTL_END_ITERATION | LS_CTL_PARK, .iter_seq = iter_seq};

	if (loop_read(dc->tracer, tid, &l) || l.iter_seq != iter_seq || l.home.park_futex)
		return;
	tracer_read_stacks(dc->tracer, tid, stacks);
	if (!attribution_parked(dc->attribution, &l, stacks))
		return; /* a lock, or it woke meanwhile: its next futex wait is looked at */
	ctl.park_futex = l.cur.args[0];
	tracer_loop_ctl(dc->tracer, &ctl);
}

/* One thread of a scan: a loop the kernel does not know yet, or one whose park it does not? */
static void look_at(struct discover *dc, const struct ls_thread *t, struct scanned *s)
{
	struct ls_loop l;
	char how[64] = "";
	bool known = loop_read(dc->tracer, t->tid, &l) == 0;
	int state;

	if ((t->wait_kind != LS_WAIT_NONE && !t->vague) || t->state == LS_STOPPED)
		return; /* idle in a wait: a loop from its next return; stopped: not running anything */
	if (known && (l.home.park_futex || t->nr != SYS_futex))
		return; /* followed by its waits, and its park known or not in question */
	state = attribution_loop_of_thread(dc->attribution, t, how, sizeof(how));
	if (state == THREAD_PARKED) {
		if (s)
			s->parks = true;
		adopt_parked(dc, t);
	} else if (state == THREAD_IN_ITERATION && !known) {
		adopt_in_iteration(dc, *t, how);
	}
}

/* The waits the threads of a process are in, for saying why no loop is seen ("pselect6, futex"). */
static void waits_of(const struct ls_thread *threads, int n, pid_t pid, char *buf, size_t len)
{
	const char *seen[4];
	int nseen = 0, i, j;
	size_t at = 0;

	buf[0] = 0;
	for (i = 0; i < n && nseen < 4; i++) {
		const char *name = threads[i].pid != (__u32)pid ? NULL
				   : threads[i].state == LS_ON_CPU ? "running"
				   : threads[i].nr >= 0	     ? syscall_name(threads[i].nr)
								     : NULL;

		for (j = 0; name && j < nseen; j++)
			if (!strcmp(seen[j], name))
				name = NULL;
		if (!name)
			continue;
		seen[nseen++] = name;
		at += snprintf(buf + at, at < len ? len - at : 0, "%s%s", nseen > 1 ? ", " : "", name);
	}
}

void discover_scan(struct discover *dc, pid_t pid)
{
	struct ls_thread *threads;
	pid_t checked = 0;
	bool may = false;
	int n = tracer_scan_threads(dc->tracer, pid, &threads), i;
	struct scanned *s = pid ? find(dc, pid, true) : NULL;

	if (s && !s->note_ns && !s->rescans)
		s->note_ns = monotonic_ns() + NOTE_AFTER_NS;
	for (i = 0; i < n; i++) {
		if ((pid_t)threads[i].pid != checked) {
			checked = threads[i].pid;
			may = may_run_loops(dc->attribution, checked);
		}
		if (may)
			look_at(dc, &threads[i], s);
	}
	free(threads);
	if (s && s->parks)
		learn_parks(dc, pid);
}

void discover_new_loop(struct discover *dc, pid_t pid, pid_t tid, uint64_t now)
{
	struct scanned *s = find(dc, pid, true);
	struct ls_ctl ctl = {.tid = tid, .what = LS_CTL_LEARN_PARK};

	if (s && s->parks)
		tracer_loop_ctl(dc->tracer, &ctl); /* another worker of a runtime that parks */
	else if (s && !s->rescan_ns && !s->rescans) {
		s->rescan_ns = now + RESCAN_NS; /* by then its symbols are warm (the reporter loads them) */
		s->rescans = 1;
	}
}

/* Whether any loop the kernel knows is of pid or of a child of it (gunicorn's workers). */
static bool has_loop(struct tracer *t, pid_t pid)
{
	struct loops_snapshot loops = {0};
	struct proc_stat st;
	bool found = false;
	int i;

	if (loops_read(t, &loops))
		return true; /* unknown: say nothing */
	for (i = 0; i < loops.n && !found; i++)
		found = (pid_t)loops.v[i].pid == pid ||
			(proc_stat_read(loops.v[i].pid, &st) == 0 && st.ppid == pid);
	loops_snapshot_free(&loops);
	return found;
}

/* Once: a watched process with no loop seen says what its threads wait in (a loop loopstall does not know). */
static void say_no_loop(struct discover *dc, struct scanned *s)
{
	char comm[64] = "", waits[128], shown[sizeof(comm) * 4 + 1];
	struct ls_thread *threads;
	int n;

	s->note_ns = 0;
	if (has_loop(dc->tracer, s->pid))
		return;
	n = tracer_scan_threads(dc->tracer, s->pid, &threads);
	if (n <= 0)
		return;
	memcpy(comm, threads[0].comm, sizeof(threads[0].comm));
	waits_of(threads, n, s->pid, waits, sizeof(waits));
	free(threads);
	escape_into(shown, sizeof(shown), term_escape, comm);
	fprintf(stderr, "loopstall: pid %d (%s): no event loop seen yet; its threads wait in %s\n", s->pid, shown,
		waits[0] ? waits : "nothing");
}

void discover_tick(struct discover *dc, uint64_t now)
{
	int i;

	for (i = 0; i < dc->nprocs; i++) {
		struct scanned *s = &dc->procs[i];

		if (s->note_ns && now >= s->note_ns)
			say_no_loop(dc, s);
		if (!s->rescan_ns || now < s->rescan_ns)
			continue;
		discover_scan(dc, s->pid);
		s->rescans--;
		s->rescan_ns = s->rescans > 0 ? now + RESCAN_NS : 0;
	}
}

uint64_t discover_next_ns(const struct discover *dc)
{
	uint64_t next = UINT64_MAX;
	int i;

	for (i = 0; i < dc->nprocs; i++) {
		if (dc->procs[i].rescan_ns && dc->procs[i].rescan_ns < next)
			next = dc->procs[i].rescan_ns;
		if (dc->procs[i].note_ns && dc->procs[i].note_ns < next)
			next = dc->procs[i].note_ns;
	}
	return next;
}

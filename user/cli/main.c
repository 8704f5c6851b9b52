// SPDX-License-Identifier: GPL-2.0
/*
 * loopstall: detect stalled event loops from outside, with BPF.
 * main wires options, targets, the tracer, the detector and the output
 * together, and runs loopstall's own event loop: ring buffer records,
 * signals, and checks of the loops the kernel says are busy.
 */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attrib/attribution.h"
#include "attrib/containers.h"
#include "attrib/memory_limit.h"
#include "detect/detector.h"
#include "detect/discover.h"
#include "base/duration.h"
#include "base/histogram.h"
#include "detect/killer.h"
#include "sinks/metrics.h"
#include "cli/option_table.h"
#include "cli/options.h"
#include "record/output.h"
#include "cli/preflight.h"
#include "pipeline/reporter.h"
#include "sinks/sink.h"
#include "base/escape.h"
#include "base/proc.h"
#include "base/sched_priority.h"
#include "cli/targets.h"
#include "report/report.h"
#include "top/top.h"
#include "trace/loops.h"
#include "trace/tracer.h"

#include "version.h" /* LOOPSTALL_VERSION, LOOPSTALL_COMMIT: made by the build */

struct app {
	struct options opts;
	struct tracer *tracer;
	struct runtimes *runtimes; /* the detecting thread's registry (detector and top) */
	struct attribution *attribution;
	struct detector *detector;
	struct discover *discover; /* loops stuck when found, parked workers */
	struct reporter *reporter;
	struct killer *killer;	       /* --kill-after */
	struct metrics *metrics;       /* --metrics */
	struct containers *containers; /* each watched process's container (read on the reporter thread) */
	struct counters counters;
	pid_t child; /* started with -- COMMAND */
	struct spawned spawned;
	bool child_exited;
	bool watching_set;	    /* -p or --: stop when every watched process is gone */
	int matched;		    /* -n, --container, --pod, --cgroup: processes that matched at start */
	struct container_target in; /* --container, --pod, --cgroup */
	bool by_container;	    /* one of them is given */
	bool all_gone;
	bool said_untracked; /* the loop map filled up: said once */
	struct {
		uint64_t window_ns; /* when the current 10 s began */
		int said;	    /* exits said one by one in it */
		int more;	    /* and not said one by one */
	} exits;
	struct memory_limit memory; /* its cgroup's, when it has one */
	bool memory_limited;
	bool memory_short; /* near the limit: few records queued */
	bool files_short;  /* near the limit of open files: said once until under it again */
	struct {
		uint64_t kernel, dropped;  /* totals said so far */
		uint64_t checked_ns;	   /* CLOCK_MONOTONIC */
		uint64_t said_ns;	   /* on stderr, last */
		struct timespec since;	   /* the wall time losses are counted from */
	} lost;
	bool said_unwatched; /* the watched set filled up: said once */
	struct top *top; /* loopstall top */
};

static void on_stall(void *ctx, const struct stall_record *r)
{
	struct app *app = ctx;

	if (app->killer && !r->ended)
		killer_stall_began(app->killer, r->pid);
	reporter_stall(app->reporter, r);
}

static void on_kill(void *ctx, const struct kill_record *k)
{
	struct app *app = ctx;

	reporter_kill(app->reporter, k);
}

/* Reporter thread: a new loop's process, loaded for the detecting thread ahead of its first stall. */
static void warm_detector(void *ctx, pid_t pid)
{
	attribution_warm(ctx, pid);
}

/* Reporter thread: and dropped again, in order after it, when the process exits or execs. */
static void forget_detector(void *ctx, pid_t pid)
{
	attribution_forget(ctx, pid);
}

static void on_overdue(void *ctx, const struct stall_record *r)
{
	struct app *app = ctx;

	killer_kill(app->killer, r);
}

/* What the ring buffer holds now, at exit (a few rounds at most: it may be filling still). */
static void drain(struct app *app)
{
	int rounds;

	for (rounds = 0; rounds < 16 && tracer_consume(app->tracer) > 0; rounds++)
		;
}

/* One line per loop still alive: its iterations while watched, from the kernel's histogram. */
static void print_summary(struct app *app)
{
	struct loops_snapshot loops = {0};
	struct loop_summary s;
	int i;

	drain(app);
	if (loops_read(app->tracer, &loops))
		return;
	for (i = 0; i < loops.n; i++) {
		memset(&s, 0, sizeof(s));
		s.hist = loops.v[i].hist;
		if (!hist_count(&s.hist))
			continue;
		s.pid = loops.v[i].pid;
		s.tid = loops.v[i].tid;
		memcpy(s.comm, loops.v[i].comm, sizeof(s.comm) - 1);
		s.stalls = detector_stall_count(app->detector, s.tid);
		reporter_summary(app->reporter, &s);
	}
	loops_snapshot_free(&loops);
}

/*
 * "pid N exited", one line each up to EXITS_SAID a 10 s window, then one
 * line for the rest of the window: a process forking hundreds of children
 * a second does not flood stderr. flush: say the rest now (a window over).
 */
#define EXITS_SAID 10
static void say_exit(struct app *app, pid_t pid, bool flush)
{
	uint64_t now = monotonic_ns();

	if (app->exits.more && (flush || now - app->exits.window_ns >= 10 * NSEC_PER_SEC)) {
		fprintf(stderr, "loopstall: %d more watched processes exited in the last %.0f s\n", app->exits.more,
			(double)(now - app->exits.window_ns) / NSEC_PER_SEC);
		app->exits.more = 0;
	}
	if (now - app->exits.window_ns >= 10 * NSEC_PER_SEC) {
		app->exits.window_ns = now;
		app->exits.said = 0;
	}
	if (!pid)
		return;
	if (app->exits.said++ < EXITS_SAID)
		fprintf(stderr, "loopstall: pid %d exited\n", pid);
	else
		app->exits.more++;
}

#define SHORT_QUEUE 8 /* records queued when memory is short */

/*
 * Records queued, and stalls followed with their records, take an eighth of
 * loopstall's memory limit each at most, by design: a burst of stalls needs
 * no time to outgrow a small limit.
 */
static void fit_records_to_memory(struct app *app)
{
	uint64_t used, limit, records;

	if (!app->memory_limited || memory_limit_read(&app->memory, &used, &limit))
		return;
	records = limit / 8 / sizeof(struct stall_record);
	records = records < SHORT_QUEUE ? SHORT_QUEUE : records > 1024 ? 1024 : records;
	reporter_set_queue_limit(app->reporter, (int)records);
	detector_set_max_open(app->detector, (int)records / 2);
}

/*
 * Near its cgroup's memory limit (80%), loopstall queues few records and
 * says so, rather than be OOM-killed without a word; under 60% again, it
 * goes back. The records dropped meanwhile are counted and said (lost).
 */
static void watch_memory(struct app *app)
{
	uint64_t used, limit;

	if (!app->memory_limited || memory_limit_read(&app->memory, &used, &limit) || !limit)
		return;
	if (!app->memory_short && used / 8 > limit / 10) {
		app->memory_short = true;
		reporter_set_queue_limit(app->reporter, SHORT_QUEUE);
		malloc_trim(0);
		fprintf(stderr,
			"loopstall: at %llu%% of its cgroup's memory limit (%llu of %llu MiB): it queues %d records at "
			"most until it is under 60%%, and says those dropped\n",
			(unsigned long long)(used * 100 / limit), (unsigned long long)(used >> 20),
			(unsigned long long)(limit >> 20), SHORT_QUEUE);
	} else if (app->memory_short && used / 6 < limit / 10) {
		app->memory_short = false;
		fit_records_to_memory(app);
		fprintf(stderr, "loopstall: under 60%% of its memory limit again: records queued as before\n");
	}
}

/*
 * Near its limit of open files (80%), what loopstall opens next (a target's
 * ELF files, its memory) may fail, and its records then name less: said
 * once, with the way out, and again after it was under 60%.
 */
static void watch_open_files(struct app *app)
{
	struct rlimit rl;
	int open = proc_self_open_files();

	if (open < 0 || getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY)
		return;
	if (!app->files_short && (rlim_t)open * 10 > rl.rlim_cur * 8) {
		app->files_short = true;
		fprintf(stderr,
			"loopstall: %d of its %llu open files in use: past the limit, records name less (raise it: "
			"LimitNOFILE= in the unit, ulimit -n)\n",
			open, (unsigned long long)rl.rlim_cur);
	} else if (app->files_short && (rlim_t)open * 10 < rl.rlim_cur * 6) {
		app->files_short = false;
	}
}

/*
 * Records lost (the kernel's ring buffer full, the reporter's queue full)
 * are never lost silently: a "lost" record goes to every output with the
 * counts and the time span, and stderr says it, at most every 10 s. Looked
 * at most once a second, and at exit (force).
 */
static void say_losses(struct app *app, bool force)
{
	uint64_t kernel = tracer_lost_events(app->tracer);
	uint64_t dropped = reporter_dropped(app->reporter) + detector_dropped(app->detector);
	uint64_t now = monotonic_ns();
	struct loss_record l;

	if (!force && now - app->lost.checked_ns < NSEC_PER_SEC)
		return;
	app->lost.checked_ns = now;
	watch_memory(app); /* once a second too */
	watch_open_files(app);
	if (kernel == app->lost.kernel && dropped == app->lost.dropped) {
		clock_gettime(CLOCK_REALTIME, &app->lost.since);
		return;
	}
	l = (struct loss_record){.kernel_events = kernel - app->lost.kernel, .reports_dropped = dropped - app->lost.dropped,
				 .since = app->lost.since};
	clock_gettime(CLOCK_REALTIME, &l.until);
	reporter_loss(app->reporter, &l);
	if (force || !app->lost.said_ns || now - app->lost.said_ns >= 10 * NSEC_PER_SEC) {
		fprintf(stderr,
			"loopstall: lost %llu kernel events and dropped %llu reports (in all so far): it could not keep "
			"up, and stalls of then may be missing\n",
			(unsigned long long)kernel, (unsigned long long)dropped);
		app->lost.said_ns = now;
	}
	app->lost.kernel = kernel;
	app->lost.dropped = dropped;
	app->lost.since = l.until;
}

/* Once: processes past the kernel's watched set go unwatched (loopstall_processes_unwatched_total counts them). */
static void say_unwatched_processes(struct app *app)
{
	if (app->said_unwatched || !tracer_procs_unwatched(app->tracer))
		return;
	fprintf(stderr, "loopstall: the watched set is full (%d processes): processes past it are not watched\n",
		tracer_watched_capacity(app->tracer));
	app->said_unwatched = true;
}

/*
 * Watches pid as the process it is now (its PID and start time). One that
 * is gone by the time it is in the kernel's set (exited during attach, a
 * zombie) is taken out again and said to have exited: its exit was not seen,
 * and its PID may be another process's soon.
 */
static bool watch_checked(struct app *app, pid_t pid)
{
	struct proc_stat st;

	if (proc_stat_read(pid, &st) == 0 && st.state != 'Z' && st.state != 'X') {
		if (tracer_watch(app->tracer, pid, st.start) == -E2BIG) {
			say_unwatched_processes(app);
			return false;
		}
		/* From here on its exit is seen; was it still there? */
		if (proc_alive(pid, st.start))
			return true;
		if (!tracer_unwatch(app->tracer, pid))
			return false; /* its exit was seen, and is said */
	}
	fprintf(stderr, "loopstall: pid %d exited\n", pid);
	return false;
}

/* -n: a process that exec'd a program that matches is watched from now on, and that is said. */
static void watch_new_match(struct app *app, const struct ls_event *e)
{
	char comm[LS_COMM_LEN * 4 + 1];

	if (tracer_is_watched(app->tracer, e->pid, 0) || !target_matches(e->pid, app->opts.pattern) ||
	    !watch_checked(app, e->pid))
		return;
	escape_into(comm, sizeof(comm), term_escape, e->comm);
	fprintf(stderr, "loopstall: pid %d (%s) matches the pattern: watched\n", e->pid, comm);
}

/* Once: loop threads past the kernel's loop map go unwatched (loopstall_loops_untracked_total counts their waits). */
static void say_untracked_loops(struct app *app)
{
	if (app->said_untracked || !tracer_loops_untracked(app->tracer))
		return;
	fprintf(stderr, "loopstall: the loop map is full (%d loop threads): loops past it are not watched\n",
		tracer_loops_capacity(app->tracer));
	app->said_untracked = true;
}

/* --container, --pod, --cgroup: a process that exec'd in it (a container's new process) is watched from now on. */
static void watch_new_in(struct app *app, const struct ls_event *e)
{
	char comm[LS_COMM_LEN * 4 + 1];

	if (tracer_is_watched(app->tracer, e->pid, 0) || !target_in(e->pid, &app->in) || !watch_checked(app, e->pid))
		return;
	escape_into(comm, sizeof(comm), term_escape, e->comm);
	fprintf(stderr, "loopstall: pid %d (%s) started in the %s: watched\n", e->pid, comm,
		app->opts.cgroup ? "cgroup"
		: app->opts.pod	 ? "pod"
				 : "container");
}

static void on_event(void *ctx, const struct ls_event *e)
{
	struct app *app = ctx;

	switch (e->type) {
	case LS_EV_STALL_END: detector_stall_ended(app->detector, e); break;
	case LS_EV_NEW_LOOP:
		reporter_warm(app->reporter, e->pid); /* before its first stall */
		discover_new_loop(app->discover, e->pid, e->tid, monotonic_ns());
		break;
	case LS_EV_LOOPS_FULL: say_untracked_loops(app); break;
	case LS_EV_WATCH_FULL: say_unwatched_processes(app); break;
	case LS_EV_EXEC:
		discover_forget(app->discover, e->pid);
		attribution_forget(app->attribution, e->pid);
		reporter_forget(app->reporter, e->pid);
		if (app->opts.pattern)
			watch_new_match(app, e);
		else if (app->by_container)
			watch_new_in(app, e);
		break;
	case LS_EV_EXIT:
		discover_forget(app->discover, e->pid);
		attribution_forget(app->attribution, e->pid);
		reporter_forget(app->reporter, e->pid);
		if (app->killer)
			killer_forget(app->killer, e->pid);
		say_exit(app, e->pid, false);
		if (app->watching_set && tracer_watched_count(app->tracer) == 0)
			app->all_gone = true;
		break;
	}
}

static void on_sample(void *ctx, const struct ls_sample *s)
{
	struct app *app = ctx;

	detector_sample(app->detector, s);
}

static void on_futex(void *ctx, const struct ls_busy *b)
{
	struct app *app = ctx;

	if (app->discover)
		discover_futex(app->discover, b->tid, b->iter_seq);
}

static void on_busy(void *ctx, const struct ls_busy *b)
{
	struct app *app = ctx;

	detector_follow(app->detector, b->tid, b->iter_seq, b->iter_start_ns, b->cpu == LS_CPU_NONE ? -1 : (int)b->cpu);
}

/*
 * Loops stuck in pid now (0: anywhere) are found, and said at once, while
 * they are still stuck: the next process's scan may take a while.
 */
static void scan_now(struct app *app, pid_t pid)
{
	discover_scan(app->discover, pid);
	detector_check(app->detector, monotonic_ns());
}

/* A target found at start: watched, and its symbols warmed now, not at its first wait (which may be a stall). */
static void watch_one(void *ctx, pid_t pid)
{
	struct app *app = ctx;

	if (watch_checked(app, pid)) {
		app->matched++;
		reporter_warm(app->reporter, pid);
		scan_now(app, pid);
	}
}

/* Puts the targets in the kernel's watched set. Returns an exit code. */
static int watch_targets(struct app *app)
{
	int i, err;

	for (i = 0; i < app->opts.npids; i++) {
		if (watch_checked(app, app->opts.pids[i])) {
			reporter_warm(app->reporter, app->opts.pids[i]);
			scan_now(app, app->opts.pids[i]);
		}
		target_for_each_descendant(app->opts.pids[i], watch_one, app);
	}
	if (app->opts.pattern)
		target_for_each_match(app->opts.pattern, watch_one, app);
	if (app->by_container)
		target_for_each_in(&app->in, watch_one, app);
	if (app->child) {
		watch_checked(app, app->child);
		err = target_release(&app->spawned);
		if (err) {
			fprintf(stderr, "loopstall: cannot run %s: %s\n", app->opts.command[0], strerror(-err));
			return EXIT_RUNTIME;
		}
	}
	/* Watching every loop on the host: the ones stuck now too. */
	if (!app->opts.npids && !app->opts.pattern && !app->opts.command && !app->by_container)
		scan_now(app, 0);
	/* Every target may be gone already. */
	if (app->watching_set && tracer_watched_count(app->tracer) == 0)
		app->all_gone = true;
	return EXIT_OK;
}

static int open_tracer(struct app *app)
{
	struct tracer_config cfg = {
		.watch_all = !app->opts.npids && !app->opts.pattern && !app->opts.command && !app->by_container,
		.report_execs = app->opts.pattern != NULL || app->by_container,
		.threshold_ns = app->opts.threshold_ns,
		.btf_path = app->opts.btf_path,
		.max_loops = app->opts.max_loops,
		.max_processes = app->opts.max_processes,
		.verbose = app->opts.verbose,
	};
	struct tracer_callbacks cb = {
		.event = on_event, .sample = on_sample, .busy = on_busy, .futex = on_futex, .ctx = app};
	int err = tracer_open(&cfg, &cb, &app->tracer);

	if (!err)
		return EXIT_OK;
	char why[128];

	tracer_strerror(err, why, sizeof(why));
	fprintf(stderr, "loopstall: cannot load BPF programs: %s%s%s%s\n", why,
		app->opts.btf_path ? " (with the BTF of " : "", app->opts.btf_path ? app->opts.btf_path : "",
		app->opts.btf_path ? ")" : "");
	return err == -EPERM ? EXIT_PRIVILEGE : EXIT_KERNEL;
}

/* Reaps the started command; true once it has exited. */
static void reap_child(struct app *app)
{
	int status;

	if (app->child && waitpid(app->child, &status, WNOHANG) == app->child)
		app->child_exited = true;
}

/* The earliest of what run() waits for; UINT64_MAX: only events. */
static uint64_t next_wake(struct app *app, uint64_t deadline, uint64_t next_refresh, uint64_t now)
{
	uint64_t wake = detector_next_check_ns(app->detector), scan = discover_next_ns(app->discover);

	if (app->top && next_refresh < wake)
		wake = next_refresh;
	if (deadline && deadline < wake)
		wake = deadline;
	if (scan < wake)
		wake = scan;
	if (app->killer && killer_pending(app->killer) && now + KILLER_TICK_NS < wake)
		wake = now + KILLER_TICK_NS;
	return wake;
}

/*
 * Sleeps until the kernel says something (a busy loop, a stall's end, a
 * process event), a followed loop is due, top refreshes, or a kill escalates:
 * with nothing busy on the host, loopstall does not wake at all.
 */
static int run(struct app *app, int sigfd)
{
	uint64_t deadline = app->opts.duration_ns ? monotonic_ns() + app->opts.duration_ns : 0;
	uint64_t next_refresh = monotonic_ns(), wake;
	struct epoll_event ev = {.events = EPOLLIN}, events[4];
	int ep = epoll_create1(EPOLL_CLOEXEC), n, i;

	if (ep < 0)
		return EXIT_RUNTIME;
	ev.data.fd = sigfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, sigfd, &ev);
	ev.data.fd = tracer_event_fd(app->tracer);
	epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
	ev.data.fd = top_input_fd(app->top);
	if (ev.data.fd >= 0)
		epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);

	for (;;) {
		uint64_t now = monotonic_ns();
		struct timespec ts, *timeout = NULL;

		detector_check(app->detector, now);
		discover_tick(app->discover, now);
		say_losses(app, false);
		if (app->exits.more)
			say_exit(app, 0, false);
		if (app->killer)
			killer_tick(app->killer, now);
		if (app->top && now >= next_refresh) {
			top_refresh(app->top);
			next_refresh = now + app->opts.interval_ns;
		}
		if (deadline && now >= deadline)
			break;
		if (app->all_gone || app->child_exited)
			break;
		wake = next_wake(app, deadline, next_refresh, now);
		if (wake != UINT64_MAX) {
			/* From the clock now: the checks above took time of their own. */
			uint64_t later = monotonic_ns(), left = wake > later ? wake - later : 0;

			ts.tv_sec = left / 1000000000;
			ts.tv_nsec = left % 1000000000;
			timeout = &ts;
		}
		n = epoll_pwait2(ep, events, 4, timeout, NULL);
		for (i = 0; i < n; i++) {
			if (events[i].data.fd == sigfd) {
				struct signalfd_siginfo si;

				if (read(sigfd, &si, sizeof(si)) != sizeof(si))
					continue;
				if (si.ssi_signo == SIGCHLD) {
					reap_child(app);
					continue;
				}
				if (si.ssi_signo == SIGHUP) {
					reporter_reopen(app->reporter); /* logrotate moved the log */
					continue;
				}
				close(ep);
				return EXIT_OK;
			}
			if (app->top && events[i].data.fd == top_input_fd(app->top)) {
				if (top_handle_input(app->top)) {
					close(ep);
					return EXIT_OK; /* q */
				}
				continue;
			}
			tracer_consume(app->tracer);
		}
	}
	/* Stalls that ended just now still have their records in the ring. */
	drain(app);
	close(ep);
	return EXIT_OK;
}

/* A sink that cannot start is an error at start. */
static int add_sink(struct sink **list, int err, struct sink *s, const char *what, const char *arg)
{
	if (err) {
		fprintf(stderr, "loopstall: %s%s: %s\n", what, arg, strerror(-err));
		return EXIT_USAGE;
	}
	sinks_push(list, s);
	return EXIT_OK;
}

/* Every place records go to, as the options ask. Returns an exit code; *list holds what was made. */
static int build_sinks(struct app *app, struct sink **list)
{
	struct metrics_sources src = {
		.tracer = app->tracer,
		.counters = &app->counters,
		.threshold_ns = app->opts.threshold_ns,
		.containers = app->containers,
	};
	struct sink *s = NULL;
	int err, code = EXIT_OK;

	*list = NULL;
	/*
	 * top shows stalls itself; full screen, it owns the terminal. With
	 * --batch --json, records go to stdout as JSON lines between snapshots.
	 */
	if (app->top)
		sinks_push(list, top_sink(app->top));
	if (!app->top || app->opts.json) {
		err = sink_stdout_new(app->opts.json, &s);
		code = add_sink(list, err, s, "cannot write records to stdout", "");
	}
	if (code == EXIT_OK && app->opts.exec_path) {
		char why[160];

		err = sink_hook_new(app->opts.exec_path, app->opts.exec_timeout_ns, &app->counters, &s, why, sizeof(why));
		if (err) {
			fprintf(stderr, "loopstall: cannot run hook %s: %s\n", app->opts.exec_path, why);
			return EXIT_USAGE;
		}
		sinks_push(list, s);
	}
	if (code == EXIT_OK && app->opts.syslog) {
		err = sink_syslog_new(&s);
		code = add_sink(list, err, s, "cannot log to syslog", "");
	}
	if (code == EXIT_OK && app->opts.log_path) {
		char why[160];

		err = sink_log_new(app->opts.log_path, app->opts.log_max_size, app->opts.log_keep, &s, why, sizeof(why));
		if (err) {
			fprintf(stderr, "loopstall: cannot open log %s: %s\n", app->opts.log_path, why);
			return EXIT_USAGE;
		}
		sinks_push(list, s);
	}
	if (code == EXIT_OK && app->opts.metrics_addr) {
		err = metrics_start(app->opts.metrics_addr, &src, &app->metrics);
		if (err == -EINVAL) {
			fprintf(stderr, "loopstall: cannot serve metrics on %s: use HOST:PORT, e.g. 127.0.0.1:9465\n",
				app->opts.metrics_addr);
			return EXIT_USAGE;
		}
		code = add_sink(list, err, err ? NULL : metrics_sink(app->metrics), "cannot serve metrics on ",
			       app->opts.metrics_addr);
	}
	return code;
}

static int setup_signals(void)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &mask, NULL))
		return -1;
	return signalfd(-1, &mask, SFD_CLOEXEC);
}

static void describe_targets(const struct app *app)
{
	char thr[32];

	snprintf(thr, sizeof(thr), "%llums", (unsigned long long)(app->opts.threshold_ns / 1000000));
	if (app->opts.npids)
		fprintf(stderr, "loopstall: watching %d process%s and descendants, threshold %s\n", app->opts.npids,
			app->opts.npids > 1 ? "es" : "", thr);
	else if (app->opts.pattern)
		fprintf(stderr, "loopstall: watching %d process%s matching the pattern now (and those that come to match), "
				"threshold %s\n",
			app->matched, app->matched == 1 ? "" : "es", thr);
	else if (app->by_container)
		fprintf(stderr,
			"loopstall: watching %d process%s in the %s %s now (and those started in it), threshold %s\n",
			app->matched, app->matched == 1 ? "" : "es",
			app->opts.cgroup ? "cgroup"
			: app->opts.pod	 ? "pod"
					 : "container",
			app->opts.cgroup ? app->opts.cgroup
			: app->opts.pod	 ? app->opts.pod
					 : app->opts.container,
			thr);
	else if (app->child)
		fprintf(stderr, "loopstall: watching pid %d, threshold %s\n", app->child, thr);
	else
		fprintf(stderr, "loopstall: watching every event loop on the host, threshold %s\n", thr);
}

/*
 * The soft limit of open files up to the hard one: a process with many
 * modules, many targets and idle scrapers must not run loopstall out of fds.
 */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	struct app app = {0};
	char msg[256];
	int i, code, sigfd;

	/*
	 * Records are 264 KiB: always mmap'd, so that a burst's memory goes back
	 * when it is freed (glibc's adaptive threshold would keep them in the heap).
	 */
	mallopt(M_MMAP_THRESHOLD, 128 << 10);
	/* "loopstall report ...": reads logs, no BPF, no privileges. */
	if (argc > 1 && strcmp(argv[1], "report") == 0)
		return report_main(argc - 1, argv + 1);
	if (options_parse(argc, argv, &app.opts, msg, sizeof(msg))) {
		fprintf(stderr, "loopstall: %s\n", msg);
		return EXIT_USAGE;
	}
	output_set_stack_depth(app.opts.stack_depth);
	served_request_keep_query(app.opts.request_query);
	if (app.opts.help) {
		options_help(stdout);
		return EXIT_OK;
	}
	if (app.opts.version) {
		printf("loopstall %s (commit %s)\n", LOOPSTALL_VERSION, LOOPSTALL_COMMIT);
		return EXIT_OK;
	}
	if (preflight_capabilities(msg, sizeof(msg))) {
		fprintf(stderr, "loopstall: missing %s (run as root)\n", msg);
		return EXIT_PRIVILEGE;
	}
	code = preflight_btf(app.opts.btf_path);
	if (code == -ENOEXEC) {
		fprintf(stderr, "loopstall: %s is not a BTF file\n", app.opts.btf_path);
		return EXIT_KERNEL;
	}
	if (code) {
		fprintf(stderr,
			"loopstall: kernel BTF not readable at %s: loopstall needs a kernel with BTF "
			"(CONFIG_DEBUG_INFO_BTF) or --btf FILE\n",
			app.opts.btf_path ? app.opts.btf_path : "/sys/kernel/btf/vmlinux");
		return EXIT_KERNEL;
	}
	code = preflight_tracefs();
	if (code) {
		if (code == -ENOENT)
			fprintf(stderr, "loopstall: the kernel has no syscall tracepoints (CONFIG_FTRACE_SYSCALLS)\n");
		else
			fprintf(stderr, "loopstall: tracefs is not mounted and mounting it on /sys/kernel/tracing failed: %s\n",
				strerror(-code));
		return EXIT_KERNEL;
	}
	for (i = 0; i < app.opts.npids; i++) {
		if (!target_exists(app.opts.pids[i])) {
			fprintf(stderr, "loopstall: no process with PID %d\n", app.opts.pids[i]);
			return EXIT_USAGE;
		}
	}
	app.watching_set = app.opts.npids > 0 || app.opts.command;
	app.in = (struct container_target){app.opts.container, app.opts.pod, app.opts.cgroup};
	app.by_container = app.opts.container || app.opts.pod || app.opts.cgroup;
	sigfd = setup_signals();
	if (sigfd < 0) {
		fprintf(stderr, "loopstall: cannot set up signals: %s\n", strerror(errno));
		return EXIT_RUNTIME;
	}
	app.spawned.gate_fd = app.spawned.report_fd = -1;
	if (app.opts.command) {
		code = target_spawn(app.opts.command, &app.spawned);
		if (code) {
			fprintf(stderr, "loopstall: cannot start %s: %s\n", app.opts.command[0], strerror(-code));
			return EXIT_RUNTIME;
		}
		app.child = app.spawned.pid;
	}
	raise_fd_limit(); /* after the command forked: it keeps the limit it was given */
	code = open_tracer(&app);
	if (code != EXIT_OK)
		goto out;
	app.runtimes = runtimes_new();
	app.attribution = app.runtimes ? attribution_new(app.runtimes) : NULL;
	app.containers = containers_new();
	if (!app.attribution || !app.containers) {
		fprintf(stderr, "loopstall: out of memory\n");
		code = EXIT_RUNTIME;
		goto out;
	}
	/* Before any thread starts: top blocks SIGWINCH for its signalfd. */
	if (app.opts.top && !(app.top = top_new(app.tracer, &(struct top_config){.threshold_ns = app.opts.threshold_ns,
										 .batch = app.opts.batch,
										 .runtimes = app.runtimes,
										 .containers = app.containers}))) {
		fprintf(stderr, "loopstall: out of memory\n");
		code = EXIT_RUNTIME;
		goto out;
	}
	struct detector_callbacks cb = {.stall = on_stall, .overdue = on_overdue, .ctx = &app};
	struct sink *sinks;
	struct killer_config kill_cfg = {
		.signal = app.opts.kill_signal,
		.grace_ns = app.opts.kill_grace_ns,
		.dry_run = app.opts.dry_run,
		.watch_all = !app.opts.npids && !app.opts.pattern && !app.opts.command && !app.by_container,
		.report = on_kill,
		.ctx = &app,
	};

	code = build_sinks(&app, &sinks);
	if (code != EXIT_OK) {
		sinks_destroy(sinks);
		goto out;
	}
	app.reporter =
		reporter_new(sinks, &app.counters,
			     &(struct detector_cache){warm_detector, forget_detector, app.attribution}, app.containers);
	if (app.reporter && app.opts.kill_after_ns)
		app.killer = killer_new(&kill_cfg, app.tracer, &app.counters);
	app.detector = app.reporter && (app.killer || !app.opts.kill_after_ns)
			       ? detector_new(app.tracer, app.attribution, app.opts.threshold_ns,
					      app.opts.kill_after_ns, &cb, &app.counters)
			       : NULL;
	app.discover = app.detector ? discover_new(app.tracer, app.attribution, app.detector) : NULL;
	if (!app.discover) {
		fprintf(stderr, "loopstall: out of memory\n");
		code = EXIT_RUNTIME;
		goto out;
	}
	detector_keep_off_with(app.detector, reporter_thread(app.reporter));
	code = watch_targets(&app);
	if (code != EXIT_OK)
		goto out;
	describe_targets(&app);
	/* The detecting thread wakes at a stall's threshold, often on the CPU a stalled loop keeps busy. */
	if (app.opts.realtime != REALTIME_OFF && sched_set_realtime(true) == 0)
		reporter_set_realtime(app.reporter, true);
	else if (app.opts.realtime == REALTIME_ASKED)
		fprintf(stderr, "loopstall: --realtime refused (no CAP_SYS_NICE): running at normal priority\n");
	clock_gettime(CLOCK_REALTIME, &app.lost.since);
	app.memory_limited = memory_limit_find(&app.memory) == 0;
	fit_records_to_memory(&app);
	code = run(&app, sigfd);
	detector_finish(app.detector, monotonic_ns());
	say_losses(&app, true);
	say_exit(&app, 0, true);
	top_free(app.top); /* the terminal back first */
	app.top = NULL;
	print_summary(&app);
out:
	top_free(app.top);
	target_abandon(&app.spawned);
	discover_free(app.discover);
	detector_free(app.detector);
	killer_free(app.killer);
	metrics_stop(app.metrics); /* it reads the tracer's maps */
	tracer_close(app.tracer);
	reporter_free(app.reporter); /* delivers what is queued, then destroys the sinks */
	attribution_free(app.attribution); /* after the reporter, which warms its symbolizer */
	runtimes_free(app.runtimes);
	containers_free(app.containers); /* after the reporter and metrics, which use it */
	if (app.child && !app.child_exited)
		kill(app.child, SIGTERM);
	return code;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The killer on real child processes: it signals the process it holds a
 * pidfd for, escalates to SIGKILL after the grace period, and never signals
 * a process that is gone (its PID free for another), itself, or with
 * --dry-run.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/counters.h"
#include "base/duration.h"
#include "detect/killer.h"
#include "run_suite.h"

#define GRACE_NS (200 * NSEC_PER_MSEC)

static struct kill_record said[4];
static int nsaid;

static void report(void *ctx, const struct kill_record *k)
{
	(void)ctx;
	if (nsaid < 4)
		said[nsaid] = *k;
	nsaid++;
}

static struct killer *start(bool dry_run, struct counters *c)
{
	struct killer_config cfg = {.signal = SIGTERM, .grace_ns = GRACE_NS, .dry_run = dry_run, .watch_all = true,
				    .report = report};

	nsaid = 0;
	memset(c, 0, sizeof(*c));
	return killer_new(&cfg, NULL, c);
}

/* A child that waits to be killed, once ready; with SIGTERM ignored, only SIGKILL ends it. */
static pid_t child(bool ignore_term)
{
	int ready[2];
	char c;
	pid_t pid;

	ck_assert_int_eq(pipe(ready), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* Check's handler forwards SIGTERM to the whole process group: a child of its own needs neither. */
		setpgid(0, 0);
		signal(SIGTERM, ignore_term ? SIG_IGN : SIG_DFL);
		if (write(ready[1], "", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	close(ready[0]);
	close(ready[1]);
	return pid;
}

/* The signal that ended pid (0: still alive after 2 s, then killed here; -1: it exited). */
static int ended_by(pid_t pid)
{
	int status, i;

	for (i = 0; i < 200; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFSIGNALED(status) ? WTERMSIG(status) : -1;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return 0;
}

static struct stall_record *stall_of(pid_t pid)
{
	struct stall_record *r = calloc(1, sizeof(*r));

	ck_assert_ptr_nonnull(r);
	r->pid = r->tid = pid;
	strcpy(r->comm, "worker");
	return r;
}

START_TEST(a_stalled_process_gets_the_signal)
{
	struct counters c;
	struct killer *k = start(false, &c);
	pid_t pid = child(false);
	struct stall_record *r = stall_of(pid);

	killer_stall_began(k, pid);
	killer_kill(k, r);
	ck_assert_int_eq(nsaid, 1);
	ck_assert_int_eq(said[0].signal, SIGTERM);
	ck_assert_int_eq(said[0].error, 0);
	ck_assert_str_eq(said[0].comm, "worker");
	ck_assert_int_eq(ended_by(pid), SIGTERM);
	/* Gone within the grace period: no SIGKILL follows. */
	killer_tick(k, monotonic_ns() + 2 * GRACE_NS);
	ck_assert(!killer_pending(k));
	ck_assert_int_eq(nsaid, 1);
	ck_assert_uint_eq(c.kills, 1);
	free(r);
	killer_free(k);
}
END_TEST

START_TEST(sigkill_follows_after_the_grace_period)
{
	struct counters c;
	struct killer *k = start(false, &c);
	pid_t pid = child(true);
	struct stall_record *r = stall_of(pid);

	killer_stall_began(k, pid);
	killer_kill(k, r);
	ck_assert(killer_pending(k));
	killer_tick(k, monotonic_ns()); /* within the grace period: nothing */
	ck_assert_int_eq(nsaid, 1);
	killer_tick(k, monotonic_ns() + 2 * GRACE_NS);
	ck_assert_int_eq(nsaid, 2);
	ck_assert(said[1].escalated);
	ck_assert_int_eq(said[1].signal, SIGKILL);
	ck_assert_int_eq(ended_by(pid), SIGKILL);
	ck_assert(!killer_pending(k));
	ck_assert_uint_eq(c.kills, 2);
	free(r);
	killer_free(k);
}
END_TEST

/* The stalled process exited and was reaped: its PID may be another's now, so nothing is signalled. */
START_TEST(a_process_gone_since_its_stall_began_is_never_signalled)
{
	struct counters c;
	struct killer *k = start(false, &c);
	pid_t pid = child(false);
	struct stall_record *r = stall_of(pid);

	killer_stall_began(k, pid);
	kill(pid, SIGKILL);
	ck_assert_int_eq(ended_by(pid), SIGKILL);
	killer_kill(k, r);
	ck_assert_int_eq(nsaid, 1);
	ck_assert_int_eq(said[0].error, ESRCH);
	/* A stall whose process was never held (gone before it began): the same. */
	r->pid = 999999;
	killer_kill(k, r);
	ck_assert_int_eq(said[1].error, ESRCH);
	ck_assert_uint_eq(c.kills, 0);
	free(r);
	killer_free(k);
}
END_TEST

START_TEST(never_itself_and_nothing_on_a_dry_run)
{
	struct counters c;
	struct killer *k = start(false, &c);
	struct stall_record *r = stall_of(getpid());
	pid_t pid;

	killer_stall_began(k, getpid());
	killer_kill(k, r);
	ck_assert_int_eq(said[0].error, EPERM);
	killer_free(k);

	k = start(true, &c);
	pid = child(false);
	r->pid = r->tid = pid;
	killer_stall_began(k, pid);
	killer_kill(k, r);
	ck_assert(said[0].dry_run && said[0].error == 0);
	ck_assert(!killer_pending(k));
	usleep(50000);
	ck_assert_int_eq(waitpid(pid, NULL, WNOHANG), 0); /* alive */
	kill(pid, SIGKILL);
	ck_assert_int_eq(ended_by(pid), SIGKILL);
	ck_assert_uint_eq(c.kills, 0);
	free(r);
	killer_free(k);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {a_stalled_process_gets_the_signal, sigkill_follows_after_the_grace_period,
				a_process_gone_since_its_stall_began_is_never_signalled,
				never_itself_and_nothing_on_a_dry_run};

	return run_tests("killer", tests, sizeof(tests) / sizeof(tests[0]));
}

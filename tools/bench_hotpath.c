// SPDX-License-Identifier: GPL-2.0
/*
 * The hot path loopstall's BPF programs add to every thread, timed in a
 * tight loop (tools/bench.py runs it without tracing, with the floor's empty
 * programs and with loopstall attached):
 *
 *   bench_hotpath syscall N   N getppid() calls: a thread that is no loop
 *   bench_hotpath loop N      N iterations of an epoll loop (an always-ready
 *                             eventfd, then one getppid): a watched loop
 *   bench_hotpath switch N    N round trips between two threads on one CPU
 *                             over eventfds: 2 context switches and wakeups
 *   bench_hotpath loopsyscall N  N getppid() calls on a watched loop thread,
 *                             inside its iterations (one epoll_wait every
 *                             1000 calls, so no iteration nears a threshold)
 *   bench_hotpath poll N      N poll() calls of one always-ready eventfd with
 *                             no timeout, then one getppid: a poll loop
 *                             (tools/bench.py times it watched, and beside
 *                             a loopstall that watches another process)
 *
 * It prints "ready", waits for a line on stdin (so the tracer can attach
 * first), runs, and prints the nanoseconds per operation.
 */
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

static int ping_fd, pong_fd;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void run_syscalls(long n)
{
	for (long i = 0; i < n; i++)
		getppid();
}

/* An epoll instance whose wait always returns at once: an eventfd that stays readable. */
static int ready_epoll(void)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int ep = epoll_create1(0), efd = eventfd(1, 0);

	if (ep < 0 || efd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) < 0)
		die("bench_hotpath: epoll");
	return ep;
}

static void run_loop(long n)
{
	struct epoll_event out;
	int ep = ready_epoll();

	for (long i = 0; i < n; i++) {
		if (epoll_wait(ep, &out, 1, -1) != 1)
			die("bench_hotpath: epoll_wait");
		getppid();
	}
}

static void run_loop_syscalls(long n)
{
	struct epoll_event out;
	int ep = ready_epoll();

	for (long i = 0; i < n; i++) {
		if (i % 1000 == 0 && epoll_wait(ep, &out, 1, -1) != 1)
			die("bench_hotpath: epoll_wait");
		getppid();
	}
}

static void run_poll(long n)
{
	struct pollfd p = {.fd = eventfd(1, 0), .events = POLLIN};

	if (p.fd < 0)
		die("bench_hotpath: eventfd");
	for (long i = 0; i < n; i++) {
		if (poll(&p, 1, -1) != 1)
			die("bench_hotpath: poll");
		getppid();
	}
}

static void *ponger(void *arg)
{
	long n = *(long *)arg;
	uint64_t v;

	for (long i = 0; i < n; i++)
		if (read(ping_fd, &v, sizeof(v)) != sizeof(v) || write(pong_fd, &v, sizeof(v)) != sizeof(v))
			die("bench_hotpath: ponger");
	return NULL;
}

static void run_switches(long n)
{
	pthread_t t;
	uint64_t v = 1;

	ping_fd = eventfd(0, 0);
	pong_fd = eventfd(0, 0);
	if (ping_fd < 0 || pong_fd < 0 || pthread_create(&t, NULL, ponger, &n))
		die("bench_hotpath: switch setup");
	for (long i = 0; i < n; i++)
		if (write(ping_fd, &v, sizeof(v)) != sizeof(v) || read(pong_fd, &v, sizeof(v)) != sizeof(v))
			die("bench_hotpath: pinger");
	pthread_join(t, NULL);
}

int main(int argc, char **argv)
{
	char line[16];
	long n = argc == 3 ? atol(argv[2]) : 0;
	void (*run)(long);
	cpu_set_t one;
	uint64_t t0;

	if (n <= 0)
		goto usage;
	if (strcmp(argv[1], "syscall") == 0)
		run = run_syscalls;
	else if (strcmp(argv[1], "loop") == 0)
		run = run_loop;
	else if (strcmp(argv[1], "switch") == 0)
		run = run_switches;
	else if (strcmp(argv[1], "loopsyscall") == 0)
		run = run_loop_syscalls;
	else if (strcmp(argv[1], "poll") == 0)
		run = run_poll;
	else
		goto usage;
	/* One CPU: the switch case then really switches, and the others do not migrate. */
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	if (sched_setaffinity(0, sizeof(one), &one))
		die("bench_hotpath: sched_setaffinity");
	printf("ready\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	t0 = now_ns();
	run(n);
	printf("%.1f\n", (double)(now_ns() - t0) / n);
	return 0;
usage:
	fprintf(stderr, "usage: bench_hotpath syscall|loop|switch|loopsyscall|poll COUNT\n");
	return 2;
}

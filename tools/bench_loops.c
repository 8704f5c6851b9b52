// SPDX-License-Identifier: GPL-2.0
/*
 * Many event loops at once, for the cost of loopstall host-wide
 * (tools/bench.py): IDLE threads waiting in epoll_wait with no timeout,
 * TURNING threads whose epoll_wait times out every 10 ms (an iteration 100
 * times a second), and STALLING ones whose iteration sleeps 150 ms once a
 * second, each at its own moment. Prints "ready" once all run, then runs
 * until killed.
 *
 *   bench_loops IDLE TURNING [STALLING]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define STALL_MS 150

static void *loop(void *arg)
{
	int timeout_ms = *(int *)arg, ep = epoll_create1(0);
	struct epoll_event out;

	if (ep < 0) {
		perror("bench_loops: epoll_create1");
		exit(1);
	}
	epoll_wait(ep, &out, 1, 0); /* one iteration: a loop from now on */
	for (;;)
		epoll_wait(ep, &out, 1, timeout_ms);
	return NULL;
}

static void *stalling_loop(void *arg)
{
	int ep = epoll_create1(0);
	struct epoll_event out;

	if (ep < 0) {
		perror("bench_loops: epoll_create1");
		exit(1);
	}
	epoll_wait(ep, &out, 1, (int)(long)arg % 1000); /* spread over the second */
	for (;;) {
		epoll_wait(ep, &out, 1, 1000 - STALL_MS);
		usleep(STALL_MS * 1000);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static int idle = -1, turning = 10;
	pthread_attr_t attr;
	pthread_t t;
	long n_idle, n_turning, n_stalling = 0, i;

	if ((argc != 3 && argc != 4) || (n_idle = atol(argv[1])) < 0 || (n_turning = atol(argv[2])) < 0 ||
	    (argc == 4 && (n_stalling = atol(argv[3])) < 0)) {
		fprintf(stderr, "usage: bench_loops IDLE TURNING [STALLING]\n");
		return 2;
	}
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 << 10);
	for (i = 0; i < n_idle + n_turning; i++)
		if (pthread_create(&t, &attr, loop, i < n_idle ? &idle : &turning)) {
			perror("bench_loops: pthread_create");
			return 1;
		}
	for (i = 0; i < n_stalling; i++)
		if (pthread_create(&t, &attr, stalling_loop, (void *)(i * 997))) {
			perror("bench_loops: pthread_create");
			return 1;
		}
	printf("ready\n");
	fflush(stdout);
	pause();
	return 0;
}

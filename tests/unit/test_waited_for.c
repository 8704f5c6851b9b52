// SPDX-License-Identifier: GPL-2.0
/*
 * What a blocked call waits for, read from a process's memory: this test's
 * own, with the arguments a blocked call would have.
 */
#include <arpa/inet.h>
#include <check.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "attrib/waited_for.h"
#include "run_suite.h"

static struct stall_record *blocked_in(int nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	struct stall_record *r = calloc(1, sizeof(*r));

	r->pid = getpid();
	r->tid = syscall(SYS_gettid);
	r->syscall_nr = nr;
	r->syscall_args[0] = a0;
	r->syscall_args[1] = a1;
	r->syscall_args[2] = a2;
	r->fd = -1;
	return r;
}

START_TEST(paths)
{
	static const char path[] = "/srv/spool/incoming.fifo";
	struct stall_record *r = blocked_in(SYS_openat, AT_FDCWD, (uintptr_t)path, O_RDONLY);

	waited_for_read(NULL, r);
	ck_assert_str_eq(r->waited.path, path);
	free(r);
	r = blocked_in(SYS_unlink, (uintptr_t)path, 0, 0);
	waited_for_read(NULL, r);
	ck_assert_str_eq(r->waited.path, path);
	free(r);
	/* Both paths of a rename and of a link. */
	static const char to[] = "/srv/spool/done/incoming.fifo";
	r = blocked_in(SYS_renameat2, AT_FDCWD, (uintptr_t)path, AT_FDCWD);
	r->syscall_args[3] = (uintptr_t)to;
	waited_for_read(NULL, r);
	ck_assert_str_eq(r->waited.path, path);
	ck_assert_str_eq(r->waited.to_path, to);
	free(r);
	r = blocked_in(SYS_symlink, (uintptr_t)path, (uintptr_t)to, 0);
	waited_for_read(NULL, r);
	ck_assert_str_eq(r->waited.path, path);
	ck_assert_str_eq(r->waited.to_path, to);
	free(r);
	/* A pointer to nothing mapped: no path, no crash. */
	r = blocked_in(SYS_openat, AT_FDCWD, 0x10, 0);
	waited_for_read(NULL, r);
	ck_assert_str_eq(r->waited.path, "");
	free(r);
}
END_TEST

START_TEST(poll_and_select_fds)
{
	int p[2];
	struct pollfd fds[2];
	fd_set set;
	struct stall_record *r;

	ck_assert_int_eq(pipe(p), 0);
	fds[0] = (struct pollfd){.fd = p[0], .events = POLLIN};
	fds[1] = (struct pollfd){.fd = -1};
	r = blocked_in(SYS_poll, (uintptr_t)fds, 2, 1000);
	waited_for_read(NULL, r);
	ck_assert_int_eq(r->waited.nfds, 1);
	ck_assert_int_eq(r->waited.fds[0].fd, p[0]);
	ck_assert(strncmp(r->waited.fds[0].target, "pipe:[", 6) == 0);
	free(r);
	FD_ZERO(&set);
	FD_SET(p[0], &set);
	FD_SET(p[1], &set);
	r = blocked_in(SYS_select, p[1] + 1, (uintptr_t)&set, 0);
	waited_for_read(NULL, r);
	ck_assert_int_eq(r->waited.nfds, 2);
	ck_assert_int_eq(r->waited.fds[1].fd, p[1]);
	free(r);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(connect_peer)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(5432)};
	struct stall_record *r;

	inet_pton(AF_INET, "10.1.2.3", &a.sin_addr);
	r = blocked_in(SYS_connect, 3, (uintptr_t)&a, sizeof(a));
	waited_for_read(NULL, r);
	ck_assert_str_eq(r->waited.peer, "tcp 10.1.2.3:5432");
	free(r);
}
END_TEST

START_TEST(wait_child)
{
	pid_t child = fork();
	struct stall_record *r;

	if (child == 0) {
		execlp("sleep", "sleep", "5", (char *)NULL);
		_exit(127);
	}
	usleep(200000);
	r = blocked_in(SYS_wait4, (uint64_t)-1, 0, 0);
	waited_for_read(NULL, r);
	ck_assert_int_eq(r->waited.child, child);
	ck_assert_str_eq(r->waited.child_cmd, "sleep 5");
	free(r);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
}
END_TEST

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static volatile pid_t holder_tid;

static void *hold(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&held);
	holder_tid = syscall(SYS_gettid);
	usleep(500000);
	pthread_mutex_unlock(&held);
	return NULL;
}

/* A glibc mutex records its owner: named, with its thread's name. */
START_TEST(mutex_owner)
{
	pthread_t t;
	struct stall_record *r;

	pthread_create(&t, NULL, hold, NULL);
	while (!holder_tid)
		usleep(1000);
	pthread_setname_np(t, "cache-rebuild");
	r = blocked_in(SYS_futex, (uintptr_t)&held, 0, 0);
	waited_for_read(NULL, r);
	ck_assert_str_eq(r->holder.lock, "mutex");
	ck_assert_int_eq(r->holder.tid, holder_tid);
	ck_assert_str_eq(r->holder.thread, "cache-rebuild");
	ck_assert_int_eq(r->waited.nthreads, 0);
	free(r);
	pthread_join(t, NULL);
}
END_TEST

/* A futex with no owner to read: the other threads, what each is doing. */
START_TEST(other_threads)
{
	static int word = 2;
	pthread_t t;
	struct stall_record *r;
	int i, found = 0;

	holder_tid = 0;
	pthread_create(&t, NULL, hold, NULL);
	while (!holder_tid)
		usleep(1000);
	pthread_setname_np(t, "sleeper");
	usleep(50000);
	r = blocked_in(SYS_futex, (uintptr_t)&word, 0, 0);
	waited_for_read(NULL, r);
	ck_assert_str_eq(r->holder.lock, "");
	for (i = 0; i < r->waited.nthreads; i++)
		if (r->waited.threads[i].tid == holder_tid) {
			found = 1;
			ck_assert_str_eq(r->waited.threads[i].name, "sleeper");
			ck_assert_int_eq(r->waited.threads[i].state, 'S');
			ck_assert_int_eq(r->waited.threads[i].syscall_nr, SYS_clock_nanosleep);
		}
	ck_assert(found);
	free(r);
	pthread_join(t, NULL);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {paths, poll_and_select_fds, connect_peer, wait_child, mutex_owner, other_threads};

	return run_tests("waited_for", tests, sizeof(tests) / sizeof(tests[0]));
}

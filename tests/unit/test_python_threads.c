// SPDX-License-Identifier: GPL-2.0
/*
 * Python's threads, on a live python3. Which futex is the GIL's: a thread
 * that waits for the GIL sleeps on an address py_waits_for_gil() accepts,
 * one that waits for a threading.Lock on one it refuses (the address the
 * kernel shows in /proc/PID/task/TID/syscall, as loopstall's BPF sees it).
 * And each thread's name, as threading knows it.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/proc.h"
#include "runtimes/python/process.h"
#include "run_suite.h"

/* The main thread waits for the GIL while a thread holds it in one long C call. */
#define WAITS_FOR_GIL                                                                                                  \
	"import threading, time\n"                                                                                     \
	"threading.Thread(target=lambda: sum(range(10**10)), daemon=True).start()\n"                                   \
	"while True: time.sleep(0.001)\n"
/* The main thread waits for a lock another thread holds while it sleeps (GIL released). */
#define WAITS_FOR_A_LOCK                                                                                               \
	"import threading, time\n"                                                                                     \
	"lock = threading.Lock()\n"                                                                                    \
	"threading.Thread(target=lambda: (lock.acquire(), time.sleep(100)), daemon=True).start()\n"                    \
	"time.sleep(0.2)\n"                                                                                            \
	"lock.acquire()\n"

/* Threads by their Python names, one named by the application, one by threading; it prints their tids. */
#define NAMED_THREADS                                                                                                  \
	"import threading, time\n"                                                                                     \
	"def flush_cache(): time.sleep(100)\n"                                                                         \
	"a = threading.Thread(name='db-writer', target=time.sleep, args=(100,), daemon=True)\n"                        \
	"b = threading.Thread(target=flush_cache, daemon=True)\n"                                                      \
	"a.start(); b.start()\n"                                                                                       \
	"print(a.native_id, b.native_id, flush=True)\n"                                                               \
	"time.sleep(100)\n"

/* python3 -c script; with out, its stdout's read end. */
static pid_t python_out(const char *script, FILE **out)
{
	int fds[2];
	pid_t pid;

	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		setpgid(0, 0); /* out of Check's process group: its SIGTERM is not ours */
		dup2(fds[1], 1);
		execl("/usr/bin/python3", "python3", "-c", script, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	if (out)
		*out = fdopen(fds[0], "r");
	else
		close(fds[0]);
	return pid;
}

static pid_t python(const char *script)
{
	return python_out(script, NULL);
}

/* The address of the main thread's futex wait, once it has waited in one for a while: 0 if it never did. */
static unsigned long long futex_waited_on(pid_t pid)
{
	char path[64], line[256];
	unsigned long long addr = 0, last = 0;
	int i, nr, same = 0;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", pid, pid);
	for (i = 0; i < 500 && same < 3; i++) {
		FILE *f = fopen(path, "r");

		if (f && fgets(line, sizeof(line), f) && sscanf(line, "%d %llx", &nr, &addr) == 2 && nr == SYS_futex)
			same = addr == last ? same + 1 : 1, last = addr;
		if (f)
			fclose(f);
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	}
	return same >= 3 ? last : 0;
}

static bool waits_for_gil(const char *script)
{
	struct py_process *p = NULL;
	struct proc_maps *maps = NULL;
	unsigned long long addr;
	pid_t pid = python(script), holder;
	bool locked, gil;

	addr = futex_waited_on(pid);
	ck_assert_msg(addr, "python3 never waited in futex");
	ck_assert_int_eq(proc_maps_read(pid, &maps), 0);
	ck_assert_int_eq(py_process_open(pid, maps, &p), 0);
	ck_assert_int_eq(py_gil_state(p, &locked, &holder), 0);
	gil = py_waits_for_gil(p, addr);
	py_process_close(p);
	proc_maps_free(maps);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return gil;
}

START_TEST(gil_wait_is_the_gils)
{
	ck_assert(waits_for_gil(WAITS_FOR_GIL));
}
END_TEST

START_TEST(lock_wait_is_not)
{
	ck_assert(!waits_for_gil(WAITS_FOR_A_LOCK));
}
END_TEST

START_TEST(unknown_before_the_gil_is_read)
{
	struct py_process *p = NULL;
	struct proc_maps *maps = NULL;
	unsigned long long addr;
	pid_t pid = python(WAITS_FOR_GIL);

	addr = futex_waited_on(pid);
	ck_assert_int_eq(proc_maps_read(pid, &maps), 0);
	ck_assert_int_eq(py_process_open(pid, maps, &p), 0);
	ck_assert(!py_waits_for_gil(p, addr));
	py_process_close(p);
	proc_maps_free(maps);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}
END_TEST

START_TEST(thread_names)
{
	struct py_process *p = NULL;
	struct proc_maps *maps = NULL;
	char name[48];
	FILE *out;
	pid_t pid = python_out(NAMED_THREADS, &out), a = 0, b = 0;

	ck_assert_int_eq(fscanf(out, "%d %d", &a, &b), 2);
	fclose(out);
	ck_assert_int_eq(proc_maps_read(pid, &maps), 0);
	ck_assert_int_eq(py_process_open(pid, maps, &p), 0);
	ck_assert_int_eq(py_thread_name(p, a, name, sizeof(name)), 0);
	ck_assert_str_eq(name, "db-writer");
	ck_assert_int_eq(py_thread_name(p, b, name, sizeof(name)), 0);
	ck_assert_str_eq(name, "Thread-1 (flush_cache)");
	/* The main thread does not run threading's bootstrap: no name, rather than a guess. */
	ck_assert_int_eq(py_thread_name(p, pid, name, sizeof(name)), -ENOENT);
	ck_assert_str_eq(name, "");
	/* Cut to the buffer. */
	ck_assert_int_eq(py_thread_name(p, b, name, 7), 0);
	ck_assert_str_eq(name, "Thread");
	py_process_close(p);
	proc_maps_free(maps);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {gil_wait_is_the_gils, lock_wait_is_not, unknown_before_the_gil_is_read, thread_names};

	return run_tests("python_threads", tests, sizeof(tests) / sizeof(tests[0]));
}

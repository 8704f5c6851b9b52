// SPDX-License-Identifier: GPL-2.0
/*
 * Which futex is the GIL's, on a live python3: a thread that waits for the
 * GIL sleeps on an address py_waits_for_gil() accepts, one that waits for a
 * threading.Lock on one it refuses. The address is the one the kernel shows
 * in /proc/PID/task/TID/syscall, as loopstall's BPF sees it.
 */
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

static pid_t python(const char *script)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		setpgid(0, 0); /* out of Check's process group: its SIGTERM is not ours */
		execl("/usr/bin/python3", "python3", "-c", script, (char *)NULL);
		_exit(127);
	}
	return pid;
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

int main(void)
{
	const TTest *tests[] = {gil_wait_is_the_gils, lock_wait_is_not, unknown_before_the_gil_is_read};

	return run_tests("python_gil", tests, sizeof(tests) / sizeof(tests[0]));
}

// SPDX-License-Identifier: GPL-2.0
/* What native frames tell of an event loop: tokio's park, its blocking pool, the loop libraries. */
#include <errno.h>
#include <string.h>

#include "run_suite.h"
#include "runtimes/native_loops.h"
#include "runtimes/runtime.h"

static int state_of(const char *const *names, int n, char *how)
{
	struct stall_frame frames[8];
	int i;

	memset(frames, 0, sizeof(frames));
	for (i = 0; i < n; i++)
		strcpy(frames[i].function, names[i]);
	return native_loop_state(frames, n, how, 64);
}

START_TEST(a_tokio_worker_in_its_park_idles)
{
	const char *stack[] = {"__futex_abstimed_wait_common", "std::sys::sync::condvar::futex::Condvar::wait",
			       "tokio::runtime::scheduler::multi_thread::park::Parker::park",
			       "tokio::runtime::scheduler::multi_thread::worker::Context::park_timeout",
			       "tokio::runtime::scheduler::multi_thread::worker::Context::run"};
	char how[64];

	ck_assert_int_eq(state_of(stack, 5, how), THREAD_PARKED);
	ck_assert_str_eq(how, "tokio: a worker parked");
}
END_TEST

START_TEST(a_tokio_worker_in_a_task_is_inside_an_iteration)
{
	const char *stack[] = {"clock_nanosleep", "std::thread::sleep", "tokio_server::block_the_worker",
			       "tokio::runtime::task::raw::poll",
			       "tokio::runtime::scheduler::multi_thread::worker::Context::run_task"};
	char how[64];

	ck_assert_int_eq(state_of(stack, 5, how), THREAD_IN_ITERATION);
}
END_TEST

START_TEST(tokios_blocking_pool_is_no_loop)
{
	const char *stack[] = {"__futex_abstimed_wait_common", "std::sys::sync::condvar::futex::Condvar::wait_timeout",
			       "tokio::runtime::blocking::pool::Inner::run"};
	char how[64];

	ck_assert_int_eq(state_of(stack, 3, how), THREAD_NO_LOOP);
}
END_TEST

START_TEST(loop_libraries_and_nothing_known)
{
	const char *libuv[] = {"read", "uv__read", "uv__io_poll", "uv_run", "main"};
	const char *plain[] = {"read", "process_file", "main"};
	char how[64];

	ck_assert_int_eq(state_of(libuv, 5, how), THREAD_IN_ITERATION);
	ck_assert_str_eq(how, "libuv: uv_run on its stack");
	ck_assert_int_eq(state_of(plain, 3, how), -ENOENT);
	ck_assert_int_eq(state_of(plain, 0, how), -ENOENT);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {a_tokio_worker_in_its_park_idles, a_tokio_worker_in_a_task_is_inside_an_iteration,
				tokios_blocking_pool_is_no_loop, loop_libraries_and_nothing_known};

	return run_tests("native_loops", tests, sizeof(tests) / sizeof(tests[0]));
}

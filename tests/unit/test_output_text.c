// SPDX-License-Identifier: GPL-2.0
/*
 * The text record: an end record, the one a log's reader finds, keeps what
 * the begin record told (the threads that may hold a lock) and tells its
 * phases after the one that held the loop longest; a process says the
 * systemd service it runs as.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "record/output.h"
#include "record/stall_record.h"
#include "push_frame.h"
#include "run_suite.h"

/* A loop of app.py blocked in a futex (ended: an end record), its main thread's stack. */
static struct stall_record *lock_stall(bool ended)
{
	static struct stall_record r;

	memset(&r, 0, sizeof(r));
	r.pid = r.tid = 4242;
	snprintf(r.comm, sizeof(r.comm), "python3");
	snprintf(r.runtime, sizeof(r.runtime), "python");
	r.ended = ended;
	r.duration_ns = 1450000000;
	r.cause = CAUSE_LOCK;
	r.syscall_nr = SYS_futex;
	push(&r, FRAME_NATIVE, "__futex_abstimed_wait_common", "/usr/lib/x86_64-linux-gnu/libc.so.6", 0);
	push(&r, FRAME_NATIVE, "threading.Lock.acquire", "/usr/bin/python3.11", 0)->runtime_function = true;
	push(&r, FRAME_PYTHON, "read_prices", "/srv/app/app.py", 14)->coroutine = true;
	r.waited.nthreads = 1;
	r.waited.threads[0].tid = 4250;
	snprintf(r.waited.threads[0].name, sizeof(r.waited.threads[0].name), "cache-warmer");
	r.waited.threads[0].state = 'S';
	r.waited.threads[0].syscall_nr = SYS_clock_nanosleep;
	r.waited.threads[0].frame.kind = FRAME_PYTHON;
	snprintf(r.waited.threads[0].frame.function, sizeof(r.waited.threads[0].frame.function), "reindex");
	snprintf(r.waited.threads[0].frame.file, sizeof(r.waited.threads[0].frame.file), "/srv/app/app.py");
	r.waited.threads[0].frame.line = 5;
	return &r;
}

static char *text(const struct stall_record *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	output_text(out, r);
	fclose(out);
	return buf;
}

START_TEST(an_end_record_lists_the_threads_that_may_hold_the_lock)
{
	char *begin = text(lock_stall(false)), *end = text(lock_stall(true));
	const char *line = "\n    thread 4250 cache-warmer S in clock_nanosleep at reindex (app.py:5)\n";

	ck_assert_msg(strstr(begin, line), "%s", begin);
	ck_assert_msg(strncmp(end, "STALL END ", 10) == 0 && strstr(end, line), "%s", end);
	ck_assert_msg(strstr(end, " at read_prices (app.py:14) [coroutine] via threading.Lock.acquire "), "%s", end);
	free(begin);
	free(end);
}
END_TEST

START_TEST(an_end_record_lists_its_phases)
{
	struct stall_record *r = lock_stall(true);
	char *end;

	r->waited.nthreads = 0;
	r->nphases = 2;
	r->phases[0].syscall_nr = -1;
	r->phases[0].ns = 250000000;
	r->phases[0].culprit.kind = FRAME_PYTHON;
	snprintf(r->phases[0].culprit.function, sizeof(r->phases[0].culprit.function), "build_payload");
	snprintf(r->phases[0].culprit.file, sizeof(r->phases[0].culprit.file), "/srv/app/app.py");
	r->phases[0].culprit.line = 7;
	r->phases[1].syscall_nr = SYS_futex;
	r->phases[1].ns = 1200000000;
	r->phases[1].culprit = r->frames[2];
	end = text(r);
	ck_assert_msg(strstr(end, "\n    phases: cpu 250ms at build_payload (app.py:7); futex 1.20s at read_prices "
				  "(app.py:14)"),
		      "%s", end);
	ck_assert_msg(!strstr(end, "\n    thread "), "%s", end);
	free(end);
}
END_TEST

START_TEST(a_process_of_a_systemd_service_shows_its_unit)
{
	struct stall_record *r = lock_stall(true);
	char *line;

	snprintf(r->container.runtime, sizeof(r->container.runtime), "systemd");
	snprintf(r->container.id, sizeof(r->container.id), "prices.service");
	snprintf(r->container.service, sizeof(r->container.service), "gunicorn app:app");
	line = text(r);
	ck_assert_msg(strstr(line, "pid 4242 (gunicorn app:app) tid 4242 python3 [unit prices.service]"), "%s", line);
	free(line);
	/* Named by its unit already ("python3 -"), or in a session's scope: nothing more to say. */
	snprintf(r->container.service, sizeof(r->container.service), "prices.service");
	line = text(r);
	ck_assert_msg(strstr(line, "pid 4242 (prices.service) tid 4242 python3 ") && !strstr(line, "[unit"), "%s", line);
	free(line);
	snprintf(r->container.id, sizeof(r->container.id), "session-3.scope");
	line = text(r);
	ck_assert_msg(!strstr(line, "[unit"), "%s", line);
	free(line);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {an_end_record_lists_the_threads_that_may_hold_the_lock, an_end_record_lists_its_phases,
				a_process_of_a_systemd_service_shows_its_unit};

	return run_tests("output_text", tests, sizeof(tests) / sizeof(tests[0]));
}

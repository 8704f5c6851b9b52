// SPDX-License-Identifier: GPL-2.0
/*
 * Every hint rule over records loopstall wrote in real runs
 * (tests/fixtures/records/, see record.py there): one record it names, and
 * a near miss, the same record changed in one thing, that it must not.
 * A rule without a record to show (a driver Debian has no package of, a
 * stall the runs cannot make) gets a record derived from a recorded one
 * in the one field that differs.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "record/hint.h"
#include "record/record_read.h"
#include "run_suite.h"

#define FIXTURES "tests/fixtures/records/"

/* The end record of a fixture, freshly read. */
static struct read_record *load(const char *name)
{
	static struct read_record *rr;
	char path[256], *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;
	int found = 0;

	if (!rr)
		rr = calloc(1, sizeof(*rr));
	snprintf(path, sizeof(path), FIXTURES "%s.jsonl", name);
	f = fopen(path, "r");
	ck_assert_msg(f, "%s", path);
	while ((n = getline(&line, &cap, f)) > 0 && !found)
		if (record_read_json(line, n, rr) == 1 && rr->rec.ended)
			found = 1;
	free(line);
	fclose(f);
	ck_assert_msg(found, "no end record in %s", path);
	return rr;
}

static const char *hint_id(const struct read_record *rr)
{
	const struct hint_rule *h = hint_match(&rr->rec, &rr->culprit);

	return h ? h->id : "(none)";
}

static const char *text_of(const struct read_record *rr)
{
	static char buf[512];
	const struct hint_rule *h = hint_match(&rr->rec, &rr->culprit);

	buf[0] = 0;
	if (h)
		hint_text(h, &rr->rec, &rr->culprit, buf, sizeof(buf));
	return buf;
}

static void set(char *field, size_t len, const char *value)
{
	snprintf(field, len, "%s", value);
}
#define SET(field, value) set(field, sizeof(field), value)

/* Every frame's file that matches from, renamed to: the same stack without a framework. */
static void rename_files(struct read_record *rr, const char *from, const char *to)
{
	int i;

	for (i = 0; i < rr->rec.nframes; i++)
		if (strstr(rr->rec.frames[i].file, from))
			SET(rr->rec.frames[i].file, to);
}

/* ---- the cases: rule id, fixture, derive (NULL: as recorded), near miss, what the miss gives ---- */

typedef void (*change_fn)(struct read_record *rr);

struct hint_case {
	const char *id;
	const char *fixture;
	change_fn derive;
	change_fn miss;
	const char *miss_id;  /* the hint the near miss gets instead, "(none)", or NULL: any other */
	const char *text_has; /* in the positive's text */
};

static void not_a_coroutine(struct read_record *rr)
{
	int i;

	for (i = 0; i < rr->rec.nframes; i++)
		rr->rec.frames[i].coroutine = false;
	rr->at.coroutine = false;
	rr->culprit.coroutine = NULL;
}
static void no_starlette_task(struct read_record *rr)
{
	rename_files(rr, "/starlette/background.py", "/usr/lib/python3/dist-packages/celery/app/task.py");
}
/* The same handler, its loop no longer the framework's (the generic rules' turn). */
static void not_gevent(struct read_record *rr)
{
	rr->rec.framework[0] = 0;
}
static void not_trio(struct read_record *rr)
{
	rename_files(rr, "/trio/_core/_run.py", "/usr/lib/python3/dist-packages/anyio/_core/_run.py");
}
static void not_twisted(struct read_record *rr)
{
	rename_files(rr, "/twisted/internet/base.py", "/usr/lib/python3/dist-packages/sched.py");
}
static void not_tornado(struct read_record *rr)
{
	rename_files(rr, "/tornado/", "/usr/lib/python3/dist-packages/zmq/");
}
static void not_sqlalchemy(struct read_record *rr)
{
	rename_files(rr, "/sqlalchemy/", "/usr/lib/python3/dist-packages/peewee/");
	SET(rr->via.file, "/usr/lib/python3/dist-packages/peewee/engine.py");
}
static void not_django(struct read_record *rr)
{
	rename_files(rr, "/django/core/handlers/", "/usr/lib/python3/dist-packages/quart/app/");
}
/* The same sleeps without sqlite's busy handler under them (a sleep of its own). */
static void no_busy_handler(struct read_record *rr)
{
	int i;

	for (i = 0; i < rr->rec.nframes; i++)
		if (strcmp(rr->rec.frames[i].function, "sqlite3InvokeBusyHandler") == 0)
			SET(rr->rec.frames[i].function, "sqlite3_sleep");
}
static void via_app_module(struct read_record *rr)
{
	SET(rr->via.file, "/srv/app/stockclient.py");
}
static void via_psycopg2(struct read_record *rr)
{
	SET(rr->via.function, "cursor.execute");
	SET(rr->via.file, "/usr/lib/python3/dist-packages/psycopg2/extras.py");
}
static void via_pymysql(struct read_record *rr)
{
	SET(rr->via.function, "Cursor.execute");
	SET(rr->via.file, "/usr/lib/python3/dist-packages/pymysql/cursors.py");
}
static void via_aiomysql(struct read_record *rr)
{
	SET(rr->via.function, "Cursor.execute");
	SET(rr->via.file, "/usr/lib/python3/dist-packages/aiomysql/cursors.py");
}
static void via_redis_client(struct read_record *rr)
{
	SET(rr->via.function, "Redis.execute_command");
	SET(rr->via.file, "/usr/lib/python3/dist-packages/redis/client.py");
}
static void via_redis_asyncio(struct read_record *rr)
{
	SET(rr->via.function, "Redis.execute_command");
	SET(rr->via.file, "/usr/lib/python3/dist-packages/redis/asyncio/client.py");
}
static void via_sqlite_row(struct read_record *rr)
{
	SET(rr->via.function, "aiosqlite.Connection.execute");
	SET(rr->via.file, "/usr/lib/python3/dist-packages/aiosqlite/core.py");
}
static void cause_cpu(struct read_record *rr)
{
	rr->rec.cause = CAUSE_CPU;
	rr->rec.syscall_nr = -1;
}
static void on_cpu_not_gevent(struct read_record *rr)
{
	cause_cpu(rr);
	not_gevent(rr);
}
static void cause_syscall_read(struct read_record *rr)
{
	rr->rec.cause = CAUSE_SYSCALL;
	rr->rec.syscall_nr = SYS_read;
}
static void cause_lock(struct read_record *rr)
{
	rr->rec.cause = CAUSE_LOCK;
	rr->rec.syscall_nr = SYS_futex;
}
static void via_get_nowait(struct read_record *rr)
{
	SET(rr->via.function, "Queue.get_nowait");
}
static void via_invoke_run(struct read_record *rr)
{
	SET(rr->via.file, "/usr/lib/python3/dist-packages/invoke/runners.py");
}
static void syscall_connect(struct read_record *rr)
{
	rr->rec.syscall_nr = SYS_connect;
}
static void via_shlex_split(struct read_record *rr)
{
	SET(rr->via.function, "split");
	SET(rr->via.file, "/usr/lib/python3.11/shlex.py");
}
static void no_via(struct read_record *rr)
{
	rr->culprit.via = NULL;
}
static void no_via_under_fastapi(struct read_record *rr)
{
	rr->culprit.via = NULL;
}
static void no_via_no_framework(struct read_record *rr)
{
	rr->culprit.via = NULL;
	rename_files(rr, "/fastapi/routing.py", "/srv/app/router.py");
	rename_files(rr, "/starlette/routing.py", "/srv/app/router.py");
}
static void culprit_in_c(struct read_record *rr)
{
	rr->at.kind = FRAME_NATIVE;
	SET(rr->at.file, "");
	SET(rr->at.module, "/usr/lib/x86_64-linux-gnu/libfoo.so.1");
}
static void via_read_file(struct read_record *rr)
{
	SET(rr->via.function, "readFile");
}
static void via_pbkdf2(struct read_record *rr)
{
	SET(rr->via.function, "pbkdf2");
}
static void via_exec_sync(struct read_record *rr)
{
	rr->rec.syscall_nr = SYS_wait4;
	SET(rr->via.function, "execSync");
	SET(rr->via.file, "node:child_process");
}
static void via_exec(struct read_record *rr)
{
	via_exec_sync(rr);
	SET(rr->via.function, "exec");
}
static void runtime_python(struct read_record *rr)
{
	SET(rr->rec.runtime, "python");
}
static void regex_from_perf_map(struct read_record *rr)
{
	SET(rr->rec.frames[0].function, "RegExp:^([a-zA-Z0-9._]+\\s?)*(@[a-z.]+)?$");
}
static void regex_frame_renamed(struct read_record *rr)
{
	SET(rr->rec.frames[0].function, "Regex:^(a+)+$");
}
static void comm_keydb(struct read_record *rr)
{
	SET(rr->rec.comm, "keydb-server");
}
static void no_keys_command(struct read_record *rr)
{
	int i;

	for (i = 0; i < rr->rec.nframes; i++)
		if (strcmp(rr->rec.frames[i].function, "keysCommand") == 0)
			SET(rr->rec.frames[i].function, "scanCommand");
	for (i = 0; i < rr->rec.nhot; i++)
		if (strcmp(rr->rec.hot[i].frame.function, "keysCommand") == 0)
			SET(rr->rec.hot[i].frame.function, "scanCommand");
}
static void syscall_read(struct read_record *rr)
{
	rr->rec.syscall_nr = SYS_read;
}
static void throttled_runqueue(struct read_record *rr)
{
	rr->rec.cause = CAUSE_RUNQUEUE;
	rr->rec.syscall_nr = -1;
	rr->rec.throttled_ns = 715000000;
}
static void runqueue_unthrottled(struct read_record *rr)
{
	throttled_runqueue(rr);
	rr->rec.throttled_ns = 0;
}
static void fd_socket(struct read_record *rr)
{
	SET(rr->rec.fd_desc, "tcp 127.0.0.1:5000 -> 127.0.0.1:41234");
}

static const struct hint_case cases[] = {
	{"cgroup-cpu-limit", "py_loop", throttled_runqueue, runqueue_unthrottled, NULL, "CPU limit"},
	{"log-pipe-reader-stalled", "py_pipe_write", NULL, fd_socket, NULL, "pipe:["},
	{"py-gevent-blocking", "py_gevent", NULL, not_gevent, "(none)", "gevent.monkey.patch_all()"},
	{"py-gevent-cpu", "py_gevent", cause_cpu, on_cpu_not_gevent, "py-cpu-python-code", "gevent.sleep(0)"},
	{"py-trio-blocking", "py_trio", NULL, not_trio, "py-time-sleep", "await trio.sleep()"},
	{"py-twisted-blocking", "py_twisted", NULL, not_twisted, "(none)", "deferToThread"},
	{"py-tornado-blocking", "py_tornado", NULL, not_tornado, "py-time-sleep", "run_in_executor"},
	{"py-sqlalchemy-sync", "py_sqlalchemy", NULL, not_sqlalchemy, "py-sqlite-locked", "AsyncSession"},
	{"py-django-async-view", "py_django", NULL, not_django, "py-sqlite-locked", "sync_to_async"},
	{"py-sqlite-locked", "py_sqlite_locked", NULL, no_busy_handler, "py-sqlite-sync", "locked by another connection"},
	{"py-time-sleep-starlette-task", "fastapi_time_sleep", NULL, no_starlette_task, "py-time-sleep",
	 "declare the task with plain def"},
	{"py-time-sleep", "py_time_sleep", NULL, not_a_coroutine, "(none)", "await asyncio.sleep()"},
	{"py-blocking-http", "shop_urlopen", NULL, via_app_module, NULL, "urlopen is a blocking HTTP client"},
	{"py-sqlite-sync", "py_sqlite", NULL, via_sqlite_row, NULL, "sqlite3.Connection.execute runs the sqlite query"},
	{"py-postgres-sync", "py_http_client", via_psycopg2, via_aiomysql, NULL, "cursor.execute is psycopg2's"},
	{"py-mysql-sync", "py_http_client", via_pymysql, via_aiomysql, NULL, "aiomysql"},
	{"py-redis-sync", "py_http_client", via_redis_client, via_redis_asyncio, NULL, "redis.asyncio"},
	{"py-threading-lock", "waits_lock", NULL, cause_cpu, NULL, "asyncio.Lock"},
	{"py-queue-get", "py_queue_get", NULL, via_get_nowait, NULL, "asyncio.Queue"},
	{"py-subprocess", "waits_child", NULL, via_invoke_run, NULL, "create_subprocess_exec"},
	{"py-blocking-file", "waits_fifo_open", NULL, syscall_connect, NULL, "to_thread"},
	{"py-cpu-regex", "py_regex", NULL, via_shlex_split, "py-cpu-python-code", "re's match"},
	{"py-cpu-call", "waits_zlib", NULL, cause_syscall_read, NULL, "zlib.compress kept the loop on CPU"},
	{"py-gil-holder", "waits_gil", NULL, cause_lock, NULL, "called by validate_username (waits.py:"},
	{"py-starlette-task-blocking", "fastapi_time_sleep", no_via, not_a_coroutine, "(none)",
	 "declare the task with plain def"},
	{"py-fastapi-async-endpoint", "shop_urlopen", no_via_under_fastapi, no_via_no_framework, "(none)",
	 "declare the endpoint with plain def"},
	{"py-cpu-python-code", "py_loop", NULL, culprit_in_c, "(none)", "add_up (blocking_calls.py:"},
	{"node-fs-sync", "node_read_file_sync", NULL, via_read_file, NULL, "fs.readFileSync"},
	{"node-crypto-sync", "node_pbkdf2_sync", NULL, via_pbkdf2, NULL, "crypto.pbkdf2Sync"},
	{"node-child-process-sync", "node_read_file_sync", via_exec_sync, via_exec, NULL, "child_process.execSync"},
	{"node-json-parse", "node_json_parse", NULL, runtime_python, NULL, "JSON.parse"},
	{"node-json-stringify", "node_json_stringify", NULL, cause_syscall_read, NULL, "JSON.stringify"},
	{"node-regex-pattern", "node_regex", regex_from_perf_map, regex_frame_renamed, "node-regex",
	 "(RegExp:^([a-zA-Z0-9._]+\\s?)*(@[a-z.]+)?$)"},
	{"node-regex", "node_regex", NULL, cause_syscall_read, NULL, "called by validateEmail (node_shop.js:"},
	{"redis-keys", "redis_keys", NULL, no_keys_command, NULL, "SCAN"},
	{"redis-lua", "redis_lua", NULL, comm_keydb, "(none)", "Lua script"},
	{"redis-flushall", "redis_flushall", NULL, comm_keydb, "(none)", "FLUSHALL ASYNC"},
	{"redis-del", "redis_del", NULL, comm_keydb, "(none)", "UNLINK"},
	{"redis-debug-sleep", "redis_debug_sleep", NULL, syscall_read, "(none)", "DEBUG SLEEP"},
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

START_TEST(every_rule_has_a_case)
{
	size_t n, i, j;
	const struct hint_rule *rules = hint_rules(&n);

	ck_assert_uint_gt(n, 20);
	for (i = 0; i < n; i++) {
		for (j = 0; j < NCASES && strcmp(cases[j].id, rules[i].id); j++)
			;
		ck_assert_msg(j < NCASES, "rule %s has no test case", rules[i].id);
		ck_assert_msg(rules[i].text[0], "rule %s has no text", rules[i].id);
	}
	for (j = 0; j < NCASES; j++)
		ck_assert_msg(hint_by_id(cases[j].id), "case %s names no rule", cases[j].id);
}
END_TEST

START_TEST(the_rule_names_its_record)
{
	const struct hint_case *c = &cases[_i];
	struct read_record *rr = load(c->fixture);

	if (c->derive)
		c->derive(rr);
	ck_assert_msg(strcmp(hint_id(rr), c->id) == 0, "%s: %s got %s", c->id, c->fixture, hint_id(rr));
	ck_assert_msg(strstr(text_of(rr), c->text_has), "%s: text '%s' lacks '%s'", c->id, text_of(rr), c->text_has);
}
END_TEST

START_TEST(the_near_miss_is_not_named)
{
	const struct hint_case *c = &cases[_i];
	struct read_record *rr = load(c->fixture);

	if (c->derive)
		c->derive(rr);
	c->miss(rr);
	ck_assert_msg(strcmp(hint_id(rr), c->id) != 0, "%s: the near miss still matches", c->id);
	if (c->miss_id)
		ck_assert_msg(strcmp(hint_id(rr), c->miss_id) == 0, "%s: the near miss got %s, not %s", c->id,
			      hint_id(rr), c->miss_id);
}
END_TEST

/* Placeholders are filled with what the target named, cut to the buffer; never past it. */
START_TEST(text_is_bounded)
{
	struct read_record *rr = load("shop_urlopen");
	const struct hint_rule *h;
	char small[16];

	memset(rr->via.function, 'f', sizeof(rr->via.function) - 1);
	rr->via.function[sizeof(rr->via.function) - 1] = 0;
	h = hint_match(&rr->rec, &rr->culprit);
	ck_assert_ptr_nonnull(h);
	hint_text(h, &rr->rec, &rr->culprit, small, sizeof(small));
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
}
END_TEST

/* A hot frame counts on a quarter of its samples: JSON.parse in one sample of 122 is no JSON stall. */
START_TEST(a_hot_frame_in_passing_does_not_count)
{
	struct read_record *rr = load("node_json_parse");
	int i;

	rr->rec.nframes = 0; /* the hot list alone */
	ck_assert_str_eq(hint_id(rr), "node-json-parse");
	for (i = 0; i < rr->rec.nhot; i++)
		if (strstr(rr->rec.hot[i].frame.function, "JsonParser"))
			rr->rec.hot[i].samples = 1;
	ck_assert_str_eq(hint_id(rr), "(none)");
}
END_TEST

/* A record with no frames and nothing a rule names has no hint. */
START_TEST(no_rule_no_hint)
{
	struct read_record *rr = load("waits_child");

	rr->rec.nframes = rr->rec.nhot = 0;
	memset(&rr->culprit, 0, sizeof(rr->culprit));
	ck_assert_str_eq(hint_id(rr), "(none)");
}
END_TEST

/* Lines that are no record: refused, never half read. */
START_TEST(bad_lines_are_refused)
{
	static struct read_record rr;
	const char *bad[] = {
		"",
		"{",
		"[]",
		"{\"event\":\"stall\"}",
		"not json",
		"{\"event\":\"stall\",\"phase\":\"end\",\"start\":\"2026-12-01T15:28:14.123Z\",\"pid\":1,\"tid\":1,"
		"\"duration_ms\":5,\"cause\":\"nonsense\"}",
		"{\"event\":\"stall\",\"phase\":\"end\",\"start\":\"yesterday\",\"pid\":1,\"tid\":1,\"duration_ms\":5,"
		"\"cause\":\"cpu\"}",
		"{\"event\":\"stall\",\"phase\":\"end\",\"start\":\"2026-12-01T15:28:14.123Z\",\"pid\":1,\"tid\":1,"
		"\"duration_ms\":5,\"cause\":\"cpu\",\"stack\":[{\"function\":\"f\"}]}",
	};
	const char *good = "{\"event\":\"stall\",\"phase\":\"end\",\"start\":\"2026-12-01T15:28:14.123Z\",\"pid\":7,"
			   "\"tid\":8,\"comm\":\"x\",\"duration_ms\":150.5,\"cause\":\"syscall\",\"syscall\":\"read\","
			   "\"syscall_args\":[18446744073709551615,0,0,0,0,0],\"stack\":[]}";
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(record_read_json(bad[i], strlen(bad[i]), &rr) < 0, "accepted: %s", bad[i]);
	ck_assert_int_eq(record_read_json("{\"event\":\"summary\"}", 19, &rr), 0);
	ck_assert_int_eq(record_read_json(good, strlen(good), &rr), 1);
	ck_assert_int_eq(rr.rec.pid, 7);
	ck_assert_uint_eq(rr.rec.duration_ns, 150500000);
	ck_assert_int_eq(rr.rec.syscall_nr, SYS_read);
	ck_assert_int_eq((int)rr.start, 1796138894);
	/* a truncated line, as a full disk or a killed writer leaves it */
	ck_assert_int_lt(record_read_json(good, strlen(good) - 3, &rr), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hint");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, every_rule_has_a_case);
	tcase_add_loop_test(tc, the_rule_names_its_record, 0, NCASES);
	tcase_add_loop_test(tc, the_near_miss_is_not_named, 0, NCASES);
	tcase_add_test(tc, text_is_bounded);
	tcase_add_test(tc, a_hot_frame_in_passing_does_not_count);
	tcase_add_test(tc, no_rule_no_hint);
	tcase_add_test(tc, bad_lines_are_refused);
	suite_add_tcase(s, tc);
	return run_suite(s);
}

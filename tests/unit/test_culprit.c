// SPDX-License-Identifier: GPL-2.0
/* The culprit rule over stacks as each runtime records them, and the frame format. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "base/escape.h"
#include "record/culprit.h"
#include "push_frame.h"
#include "run_suite.h"

static struct stall_record *record(void)
{
	struct stall_record *r = calloc(1, sizeof(*r));

	r->syscall_nr = -1;
	r->fd = -1;
	return r;
}

static char *put(const struct stall_frame *f, unsigned int form)
{
	static char buf[512];
	FILE *m = fmemopen(buf, sizeof(buf), "w");

	frame_put(m, f, form, term_escape);
	fclose(m);
	return buf;
}

/* CPython: native frames down to the interpreter, then the Python stack. */
START_TEST(python_frame_and_its_coroutine)
{
	struct stall_record *r = record();
	struct culprit c;

	r->syscall_nr = SYS_clock_nanosleep;
	push(r, FRAME_NATIVE, "clock_nanosleep", "/usr/lib/x86_64-linux-gnu/libc.so.6", 0);
	push(r, FRAME_NATIVE, "0x5d64b4", "/usr/bin/python3.11", 0);
	push(r, FRAME_PYTHON, "helper", "/app/util.py", 3);
	push(r, FRAME_PYTHON, "handler", "/app/main.py", 9)->coroutine = true;
	push(r, FRAME_PYTHON, "Runner.run", "/usr/lib/python3.11/asyncio/runners.py", 118);
	c = culprit_of(r);
	ck_assert_str_eq(c.at->function, "helper");
	ck_assert_ptr_null(c.via); /* the interpreter's address is no name, the syscall's wrapper no news */
	ck_assert_ptr_nonnull(c.coroutine);
	ck_assert_str_eq(c.coroutine->function, "handler");
	ck_assert_str_eq(put(c.at, FRAME_SHORT | FRAME_TAGS), "helper (util.py:3)");
	ck_assert_str_eq(put(c.coroutine, FRAME_SHORT | FRAME_TAGS), "handler (main.py:9) [coroutine]");
	ck_assert_str_eq(put(c.coroutine, 0), "handler (/app/main.py:9)");
	free(r);
}
END_TEST

/*
 * Python code that blocks straight in a C function (open(), a Lock): no
 * via, not the libc internals under it (seen: "__open" for openat,
 * "__new_sem_wait_slow64.constprop.0" for a threading.Lock).
 */
START_TEST(python_via_is_never_libc_internals)
{
	struct stall_record *r = record();

	r->syscall_nr = SYS_futex;
	push(r, FRAME_NATIVE, "__futex_abstimed_wait_common", "/usr/lib/x86_64-linux-gnu/libc.so.6", 0);
	push(r, FRAME_NATIVE, "__new_sem_wait_slow64.constprop.0", "/usr/lib/x86_64-linux-gnu/libc.so.6", 0);
	push(r, FRAME_NATIVE, "PyThread_acquire_lock_timed", "/usr/bin/python3.11", 0)->interpreter = true;
	push(r, FRAME_PYTHON, "read_cache", "/app/waits.py", 39);
	ck_assert_str_eq(culprit_of(r).at->function, "read_cache");
	ck_assert_ptr_null(culprit_of(r).via);
	r->nframes = 0;
	r->syscall_nr = SYS_openat;
	push(r, FRAME_NATIVE, "__open", "/usr/lib/x86_64-linux-gnu/libc.so.6", 0);
	push(r, FRAME_NATIVE, "python3.11+0x5acfdf", "/usr/bin/python3.11", 0)->interpreter = true;
	push(r, FRAME_PYTHON, "open_fifo", "/app/waits.py", 27);
	ck_assert_str_eq(culprit_of(r).at->function, "open_fifo");
	ck_assert_ptr_null(culprit_of(r).via);
	free(r);
}
END_TEST

/* The application's function, not the standard library's frame that blocked: via names the library call. */
START_TEST(python_application_over_the_standard_library)
{
	struct stall_record *r = record();
	struct culprit c;

	r->syscall_nr = SYS_poll;
	snprintf(r->runtime, sizeof(r->runtime), "python");
	push(r, FRAME_NATIVE, "__poll", "/usr/lib/x86_64-linux-gnu/libc.so.6", 0);
	push(r, FRAME_PYTHON, "SocketIO.readinto", "/usr/lib/python3.11/socket.py", 706);
	push(r, FRAME_PYTHON, "HTTPResponse.begin", "/usr/lib/python3.11/http/client.py", 318);
	push(r, FRAME_PYTHON, "urlopen", "/usr/lib/python3.11/urllib/request.py", 216);
	push(r, FRAME_PYTHON, "fetch_stock", "/srv/shop/shop.py", 9);
	push(r, FRAME_PYTHON, "reserve_items", "/srv/shop/shop.py", 20)->coroutine = true;
	push(r, FRAME_PYTHON, "Handle._run", "/usr/lib/python3.11/asyncio/events.py", 80);
	push(r, FRAME_PYTHON, "run", "/usr/lib/python3/dist-packages/uvicorn/server.py", 60)->coroutine = true;
	c = culprit_of(r);
	ck_assert_str_eq(c.at->function, "fetch_stock");
	ck_assert_str_eq(c.via->function, "urlopen");
	/* A library's file from its package on: not taken for an application's request.py. */
	ck_assert_str_eq(put(c.via, FRAME_SHORT), "urlopen (urllib/request.py:216)");
	ck_assert_str_eq(put(&r->frames[7], FRAME_SHORT), "run (uvicorn/server.py:60)");
	ck_assert_str_eq(put(c.at, FRAME_SHORT), "fetch_stock (shop.py:9)");
	ck_assert_str_eq(c.coroutine->function, "reserve_items");
	free(r);
}
END_TEST

/* The application's files from its root on: two views.py of one app told apart, a virtualenv's not. */
START_TEST(application_files_from_its_root)
{
	struct stall_record *r = record();

	snprintf(r->runtime, sizeof(r->runtime), "python");
	snprintf(r->container.app_root, sizeof(r->container.app_root), "/srv/shop");
	push(r, FRAME_PYTHON, "get", "/srv/shop/.venv/lib/python3.11/site-packages/requests/api.py", 73);
	push(r, FRAME_PYTHON, "price", "/srv/shop/api/views.py", 3);
	push(r, FRAME_PYTHON, "report", "/srv/shop/admin/views.py", 8);
	push(r, FRAME_PYTHON, "main", "/srv/shop/main.py", 12);
	push(r, FRAME_PYTHON, "other", "/srv/shopping/main.py", 1);
	stall_record_mark_app_root(r);
	ck_assert_str_eq(put(&r->frames[0], FRAME_SHORT), "get (requests/api.py:73)");
	ck_assert_str_eq(put(&r->frames[1], FRAME_SHORT), "price (api/views.py:3)");
	ck_assert_str_eq(put(&r->frames[2], FRAME_SHORT), "report (admin/views.py:8)");
	ck_assert_str_eq(put(&r->frames[3], FRAME_SHORT), "main (main.py:12)");
	ck_assert_str_eq(put(&r->frames[4], FRAME_SHORT), "other (main.py:1)");
	/* Whole paths where the form is not short (JSON keeps them whole too). */
	ck_assert_str_eq(put(&r->frames[1], 0), "price (/srv/shop/api/views.py:3)");
	free(r);
}
END_TEST

/* Only library code (a server framework idle in its own code): the innermost Python frame. */
START_TEST(python_only_library_frames)
{
	struct stall_record *r = record();

	push(r, FRAME_PYTHON, "Server.serve", "/root/.pyenv/versions/3.12.1/lib/python3.12/asyncio/base_events.py", 1);
	push(r, FRAME_PYTHON, "main", "/usr/lib/python3/dist-packages/gunicorn/app.py", 2);
	ck_assert_str_eq(culprit_of(r).at->function, "Server.serve");
	ck_assert_ptr_null(culprit_of(r).via);
	free(r);
}
END_TEST

/* A native server: its executable's own function, the C library call under it. */
START_TEST(native_server_function)
{
	struct stall_record *r = record();
	struct culprit c;

	r->syscall_nr = SYS_clock_nanosleep;
	snprintf(r->exe, sizeof(r->exe), "/usr/bin/redis-server");
	push(r, FRAME_NATIVE, "clock_nanosleep", "/usr/lib/x86_64-linux-gnu/libc.so.6", 0);
	push(r, FRAME_NATIVE, "__nanosleep", "/usr/lib/x86_64-linux-gnu/libc.so.6", 0);
	push(r, FRAME_NATIVE, "usleep", "/usr/lib/x86_64-linux-gnu/libc.so.6", 0);
	push(r, FRAME_NATIVE, "debugCommand", "/usr/bin/redis-server", 0);
	push(r, FRAME_NATIVE, "call", "/usr/bin/redis-server", 0);
	c = culprit_of(r);
	ck_assert_str_eq(c.at->function, "debugCommand");
	ck_assert_str_eq(c.via->function, "usleep");
	free(r);
}
END_TEST

/* A Rust server: std and tokio are built into the executable, but they are no code of the application's. */
START_TEST(rust_application_over_its_bundled_libraries)
{
	struct stall_record *r = record();
	const char *exe = "/srv/tokio_server";
	struct culprit c;

	r->syscall_nr = SYS_clock_nanosleep;
	snprintf(r->exe, sizeof(r->exe), "%s", exe);
	push(r, FRAME_NATIVE, "clock_nanosleep", "/usr/lib/x86_64-linux-gnu/libc.so.6", 0);
	push(r, FRAME_NATIVE, "std::thread::functions::sleep", exe, 0);
	push(r, FRAME_NATIVE, "tokio_server::block_the_worker", exe, 0);
	push(r, FRAME_NATIVE, "tokio_server::serve::{{closure}}", exe, 0);
	push(r, FRAME_NATIVE, "<core::pin::Pin<P> as core::future::future::Future>::poll", exe, 0);
	push(r, FRAME_NATIVE, "tokio::runtime::task::raw::poll", exe, 0);
	c = culprit_of(r);
	ck_assert_str_eq(c.at->function, "tokio_server::block_the_worker");
	ck_assert_str_eq(c.via->function, "std::thread::functions::sleep");
	free(r);
}
END_TEST

/* A coroutine is its own culprit: no "in coroutine" beside it. */
START_TEST(python_coroutine_alone)
{
	struct stall_record *r = record();
	struct culprit c;

	push(r, FRAME_PYTHON, "handler", "/app/main.py", 9)->coroutine = true;
	c = culprit_of(r);
	ck_assert_str_eq(c.at->function, "handler");
	ck_assert_ptr_null(c.coroutine);
	free(r);
}
END_TEST

/* Node: the application's JavaScript, not node's own scripts nor the native frames under them. */
START_TEST(node_application_function)
{
	struct stall_record *r = record();

	r->syscall_nr = SYS_read;
	push(r, FRAME_NATIVE, "read", "/usr/lib/x86_64-linux-gnu/libc.so.6", 0);
	push(r, FRAME_NATIVE, "uv_fs_read", "/usr/bin/node", 0);
	push(r, FRAME_JS, "JS:~readFileSync node:fs:441:22", NULL, 0);
	push(r, FRAME_JS, "JS:~parse /app/node_modules/yaml/index.js:3:1", NULL, 0);
	push(r, FRAME_JS, "JS:~handler /app/server.js:12:3", NULL, 0);
	snprintf(r->runtime, sizeof(r->runtime), "node");
	snprintf(r->exe, sizeof(r->exe), "/usr/bin/node");
	ck_assert_str_eq(culprit_of(r).at->function, "JS:~handler /app/server.js:12:3");
	ck_assert_str_eq(culprit_of(r).via->function, "JS:~parse /app/node_modules/yaml/index.js:3:1");
	free(r);
}
END_TEST

/* A JVM's compiled code named by its perf map: the application's method, via the platform's, never its stubs. */
START_TEST(jvm_application_method)
{
	struct stall_record *r = record();

	r->syscall_nr = SYS_futex;
	push(r, FRAME_NATIVE, "pthread_cond_timedwait", "/usr/lib/x86_64-linux-gnu/libc.so.6", 0);
	push(r, FRAME_NATIVE, "JVM_Sleep", "/usr/lib/jvm/java-17-openjdk-amd64/lib/server/libjvm.so", 0);
	push(r, FRAME_JIT, "Interpreter", NULL, 0);
	push(r, FRAME_JIT, "java.net.SocketInputStream.read", NULL, 0);
	push(r, FRAME_JIT, "io.netty.channel.DefaultChannelPipeline.fireChannelRead", NULL, 0);
	push(r, FRAME_JIT, "shop.Handler.channelRead0", NULL, 0);
	push(r, FRAME_JIT, "StubRoutines (1)", NULL, 0);
	snprintf(r->exe, sizeof(r->exe), "/usr/lib/jvm/java-17-openjdk-amd64/bin/java");
	ck_assert_str_eq(culprit_of(r).at->function, "shop.Handler.channelRead0");
	ck_assert_str_eq(culprit_of(r).via->function, "io.netty.channel.DefaultChannelPipeline.fireChannelRead");
	ck_assert_str_eq(put(culprit_of(r).at, FRAME_SHORT), "shop.Handler.channelRead0");
	/* Only stubs and the interpreter: no via from them, and the JVM's entry point is the culprit. */
	r->nframes = 3;
	ck_assert_ptr_null(culprit_of(r).via);
	ck_assert_str_eq(culprit_of(r).at->function, "JVM_Sleep");
	free(r);
}
END_TEST

/* A native function the JVM names (JVM_Sleep) is the via of a Java method. */
START_TEST(jvm_call_by_its_java_name)
{
	struct stall_record *r = record();

	r->syscall_nr = SYS_futex;
	push(r, FRAME_NATIVE, "pthread_cond_timedwait", "/usr/lib/x86_64-linux-gnu/libc.so.6", 0);
	push(r, FRAME_NATIVE, "java.lang.Thread.sleep", "/usr/lib/jvm/java-17-openjdk-amd64/lib/server/libjvm.so", 0)
		->runtime_function = true;
	push(r, FRAME_JIT, "Interpreter", NULL, 0);
	push(r, FRAME_JIT, "shop.Reports.refresh", NULL, 0);
	snprintf(r->runtime, sizeof(r->runtime), "jvm");
	ck_assert_str_eq(culprit_of(r).at->function, "shop.Reports.refresh");
	ck_assert_str_eq(culprit_of(r).via->function, "java.lang.Thread.sleep");
	free(r);
}
END_TEST

/* A runtime whose frames loopstall does not read (Ruby): its caller of the C library, never libc's own. */
START_TEST(unread_runtime_names_the_caller_of_the_c_library)
{
	struct stall_record *r = record();

	r->syscall_nr = SYS_openat;
	snprintf(r->runtime, sizeof(r->runtime), "ruby");
	push(r, FRAME_NATIVE, "__open", "/usr/lib/x86_64-linux-gnu/libc.so.6", 0);
	push(r, FRAME_NATIVE, "rb_cloexec_open", "/usr/lib/x86_64-linux-gnu/libruby-3.1.so.3.1.2", 0);
	push(r, FRAME_NATIVE, "rb_nogvl", "/usr/lib/x86_64-linux-gnu/libruby-3.1.so.3.1.2", 0);
	ck_assert_str_eq(culprit_of(r).at->function, "rb_cloexec_open");
	ck_assert_ptr_null(culprit_of(r).via);
	free(r);
}
END_TEST

/* Native only: the innermost frame that is not the syscall's own libc wrapper. */
START_TEST(native_skips_the_syscall_wrapper)
{
	struct stall_record *r = record();

	r->cause = CAUSE_SYSCALL;
	r->syscall_nr = SYS_clock_nanosleep;
	push(r, FRAME_NATIVE, "clock_nanosleep", "/usr/lib/x86_64-linux-gnu/libc.so.6", 0);
	push(r, FRAME_NATIVE, "debugCommand", "/usr/bin/redis-server", 0);
	push(r, FRAME_NATIVE, "call", "/usr/bin/redis-server", 0);
	ck_assert_str_eq(culprit_of(r).at->function, "debugCommand");
	ck_assert_str_eq(put(culprit_of(r).at, FRAME_SHORT), "debugCommand (redis-server)");
	free(r);
}
END_TEST

START_TEST(no_frames_no_culprit)
{
	struct stall_record *r = record();

	ck_assert_ptr_null(culprit_of(r).at);
	/* Only the wrapper: it is all there is. */
	r->syscall_nr = SYS_read;
	push(r, FRAME_NATIVE, "read", "/usr/lib/x86_64-linux-gnu/libc.so.6", 0);
	ck_assert_str_eq(culprit_of(r).at->function, "read");
	free(r);
}
END_TEST

/* Target strings go through the escape function, tags included. */
START_TEST(frames_are_escaped)
{
	struct stall_record *r = record();
	struct stall_frame *f = push(r, FRAME_PYTHON, "\x1b[31mevil", "/app/\x1b]0;x.py", 1);

	snprintf(f->task, sizeof(f->task), "t\x07");
	ck_assert_str_eq(put(f, FRAME_SHORT | FRAME_TAGS), "\\x1b[31mevil (\\x1b]0;x.py:1) [task t\\x07]");
	free(r);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {python_frame_and_its_coroutine,
				python_via_is_never_libc_internals,
				python_application_over_the_standard_library,
				application_files_from_its_root,
				python_only_library_frames,
				native_server_function, rust_application_over_its_bundled_libraries,
				python_coroutine_alone,
				node_application_function, jvm_application_method, jvm_call_by_its_java_name,
				unread_runtime_names_the_caller_of_the_c_library,
				native_skips_the_syscall_wrapper,
				no_frames_no_culprit,
				frames_are_escaped};

	return run_tests("culprit", tests, sizeof(tests) / sizeof(tests[0]));
}

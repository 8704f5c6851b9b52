// SPDX-License-Identifier: GPL-2.0
/* Event loops told by their native frames: the functions of the loop libraries that run them. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "runtimes/native_loops.h"
#include "runtimes/runtime.h"

/*
 * Innermost first on a stack, the first function that contains one of these
 * decides. Tokio's idle workers park on a futex (no wait syscall), and its
 * blocking pool (spawn_blocking) is no loop, though its threads are named
 * like the workers.
 */
static const struct {
	const char *function; /* a part of the demangled name */
	enum thread_loop state;
	const char *how;
} rules[] = {
	{"tokio::runtime::scheduler::multi_thread::park::Parker::park", THREAD_PARKED, "tokio: a worker parked"},
	{"tokio::runtime::scheduler::multi_thread::worker::Context::park", THREAD_PARKED, "tokio: a worker parked"},
	{"tokio::runtime::blocking::pool::", THREAD_NO_LOOP, "tokio: a blocking-pool thread"},
	{"tokio::runtime::scheduler::multi_thread::worker::", THREAD_IN_ITERATION, "tokio: a multi-thread worker"},
	{"tokio::runtime::scheduler::current_thread::", THREAD_IN_ITERATION, "tokio: a current-thread runtime"},
	{"uv_run", THREAD_IN_ITERATION, "libuv: uv_run on its stack"},
	{"aeProcessEvents", THREAD_IN_ITERATION, "ae: aeProcessEvents on its stack"},
	{"ngx_process_events_and_timers", THREAD_IN_ITERATION, "nginx: its event cycle on its stack"},
	{"event_base_loop", THREAD_IN_ITERATION, "libevent: event_base_loop on its stack"},
	{"ev_run", THREAD_IN_ITERATION, "libev: ev_run on its stack"},
	{"g_main_context_iterate", THREAD_IN_ITERATION, "GLib: its main loop on its stack"},
};

int native_loop_state(const struct stall_frame *frames, int n, char *how, size_t len)
{
	size_t r;
	int i;

	for (i = 0; i < n; i++) {
		if (frames[i].kind != FRAME_NATIVE)
			continue;
		for (r = 0; r < sizeof(rules) / sizeof(rules[0]); r++) {
			if (strstr(frames[i].function, rules[r].function)) {
				snprintf(how, len, "%s", rules[r].how);
				return rules[r].state;
			}
		}
	}
	return -ENOENT;
}

// SPDX-License-Identifier: GPL-2.0
/* Redis behind the runtime interface: its name and its loop thread. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "runtimes/redis/redis.h"

static bool recognize(const struct proc_maps *maps, const char *exe)
{
	(void)maps;
	/* Debian's redis-server is a link to redis-check-rdb, which serves when run by that name. */
	return strcmp(exe, "redis-server") == 0 || strcmp(exe, "redis-check-rdb") == 0;
}

/* Its main thread runs the ae event loop (the I/O threads of io-threads are no loops). */
static int loop_of_thread(void *state, pid_t pid, pid_t tid, bool running, char *how, size_t len)
{
	(void)state, (void)running;
	if (tid != pid)
		return -ENOENT;
	snprintf(how, len, "redis: the main thread runs its ae loop");
	return THREAD_IN_ITERATION;
}

const struct runtime_ops redis_runtime = {
	.name = "redis",
	.recognize = recognize,
	.loop_of_thread = loop_of_thread,
};

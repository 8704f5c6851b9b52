// SPDX-License-Identifier: GPL-2.0
/* Redis behind the runtime interface: only its name, for now. */
#include <string.h>

#include "runtimes/redis/redis.h"

static bool recognize(const struct proc_maps *maps, const char *exe)
{
	(void)maps;
	return strcmp(exe, "redis-server") == 0;
}

const struct runtime_ops redis_runtime = {
	.name = "redis",
	.recognize = recognize,
};

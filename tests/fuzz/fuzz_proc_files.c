// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: the /proc files read line by line: a process's cgroup file
 * with its cpu.stat, and the network tables a socket is looked up in. The
 * input is split at the first NUL bytes: cgroup file, cpu.stat, tcp, unix.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attrib/cgroup_cpu.h"
#include "attrib/fd_describe.h"

static char dir[64];

static void put(const char *name, const uint8_t *data, size_t len)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return;
	fwrite(data, 1, len, f);
	fclose(f);
}

/* The next part of the input, up to a NUL. */
static size_t part(const uint8_t **p, size_t *left)
{
	const uint8_t *nul = memchr(*p, 0, *left);
	size_t n = nul ? (size_t)(nul - *p) : *left;

	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const files[] = {"cgroup", "cpu/x/cpu.stat", "tcp", "unix"};
	const uint8_t *p = data;
	size_t left = size, n;
	char buf[256], path[128];
	uint64_t ns;
	struct cgroup_throttle throttle;

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/loopstall-fuzz-%d", getpid());
		mkdir(dir, 0700);
		snprintf(path, sizeof(path), "%s/cpu", dir);
		mkdir(path, 0700);
		snprintf(path, sizeof(path), "%s/cpu/x", dir);
		mkdir(path, 0700);
	}
	for (size_t i = 0; i < 4; i++) {
		n = part(&p, &left);
		put(files[i], p, n);
		p += n + (n < left);
		left -= n + (n < left);
	}
	snprintf(path, sizeof(path), "%s/cgroup", dir);
	if (cgroup_throttle_find_at(path, dir, &throttle, &ns) == 0)
		(void)cgroup_throttle_read(&throttle, &ns);
	for (unsigned long inode = 0; inode < 3; inode++) {
		snprintf(buf, sizeof(buf), "socket:[%lu]", inode ? inode * 12345 : 0);
		(void)fd_describe_socket_in(dir, buf, sizeof(buf));
	}
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/* Syscall names (generated from the kernel's uapi header) and fd arguments. */
#include <stddef.h>
#include <string.h>

#include "base/syscalls.h"

static const char *const names[] = {
#include "syscall_table.h"
};

/*
 * Calls whose first argument is the file descriptor they block on:
 * sendfile's too, its out_fd (a slow peer's socket; in_fd is a file).
 */
static const char *const fd_first[] = {
	"read",	     "write",		"pread64",	   "pwrite64",	"readv",     "writev",	"preadv",   "pwritev",
	"preadv2",   "pwritev2",	"recvfrom",	   "sendto",	"recvmsg",   "sendmsg", "recvmmsg", "sendmmsg",
	"connect",   "accept",		"accept4",	   "fsync",	"fdatasync", "flock",	"fcntl",    "ioctl",
	"ftruncate", "getdents64",	"sync_file_range", "fallocate", "splice",    "tee",	"shutdown", "lseek",
	"fstat",     "copy_file_range", "sendfile",	   "syncfs",
};

const char *syscall_name(int nr)
{
	if (nr < 0 || (size_t)nr >= sizeof(names) / sizeof(names[0]))
		return NULL;
	return names[nr];
}

int syscall_fd_arg(int nr)
{
	const char *name = syscall_name(nr);
	size_t i;

	if (!name)
		return -1;
	for (i = 0; i < sizeof(fd_first) / sizeof(fd_first[0]); i++)
		if (strcmp(name, fd_first[i]) == 0)
			return 0;
	return -1;
}

#ifndef LOOPSTALL_FD_DESCRIBE_H
#define LOOPSTALL_FD_DESCRIBE_H
#include <stddef.h>
#include <sys/types.h>

/*
 * Says what file descriptor fd of process pid is: a file path, "pipe",
 * "tcp 127.0.0.1:5000 -> 127.0.0.1:41234" (local -> peer), "unix /path".
 * Returns 0 or -errno (the fd is gone, no permission).
 */
int fd_describe(pid_t pid, int fd, char *buf, size_t len);

#endif

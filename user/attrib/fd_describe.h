#ifndef LOOPSTALL_FD_DESCRIBE_H
#define LOOPSTALL_FD_DESCRIBE_H
#include <stddef.h>
#include <sys/types.h>

/*
 * What a file descriptor is, in two steps. On the detecting thread, while
 * the call is still blocked on it: fd_describe() reads its link, a path,
 * "pipe:[123]" or "socket:[456]": one readlink, whatever the host runs.
 * On the reporter thread: fd_describe_socket() turns "socket:[456]" into
 * "tcp 127.0.0.1:5000 -> 127.0.0.1:41234" (local -> peer), "udp ...",
 * "unix /path", from the tables of the process's network namespace, which
 * on a busy host hold many thousands of sockets.
 */
/* 0 or -errno (the fd is gone, no permission). */
int fd_describe(pid_t pid, int fd, char *buf, size_t len);
/* buf holds "socket:[INODE]": replaced with what that socket is. 0, or -ENOENT (not found: buf unchanged). */
int fd_describe_socket(pid_t pid, char *buf, size_t len);
/* The same from the tables in directory net (tcp, tcp6, udp, udp6, unix), for tests. */
int fd_describe_socket_in(const char *net, char *buf, size_t len);

#endif

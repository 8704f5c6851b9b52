#ifndef LOOPSTALL_SYSCALLS_H
#define LOOPSTALL_SYSCALLS_H

/* Name of syscall nr on this architecture, or NULL. */
const char *syscall_name(int nr);
/* Index of the argument that is a file descriptor, or -1. */
int syscall_fd_arg(int nr);

#endif

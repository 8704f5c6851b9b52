#ifndef LOOPSTALL_PREFLIGHT_H
#define LOOPSTALL_PREFLIGHT_H
#include <stddef.h>

/* Checks made before touching BPF, so failures get one clear line. */

/* 0 when CAP_BPF, CAP_PERFMON and CAP_SYS_PTRACE are effective; else -EPERM and their names in missing. */
int preflight_capabilities(char *missing, size_t len);
/* 0 when the BTF file (NULL: the kernel's) is readable and holds BTF (raw, or an ELF file's); else -errno (-ENOEXEC: not BTF). */
int preflight_btf(const char *path);
/*
 * 0 when the kernel's syscall tracepoints are listed in tracefs (libbpf reads
 * their ids there), mounting it on /sys/kernel/tracing if it is not; else
 * -errno of the mount, or -ENOENT: mounted, but no syscall tracepoints.
 */
int preflight_tracefs(void);

#endif

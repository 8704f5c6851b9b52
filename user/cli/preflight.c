// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cli/preflight.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

int preflight_capabilities(char *missing, size_t len)
{
	static const struct {
		int cap;
		const char *name;
	} needed[] = {
		{CAP_BPF, "CAP_BPF"},
		{CAP_PERFMON, "CAP_PERFMON"},
		{CAP_SYS_PTRACE, "CAP_SYS_PTRACE"},
	};
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2] = {};
	uint64_t effective;
	size_t i;

	missing[0] = 0;
	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	effective = data[0].effective | ((uint64_t)data[1].effective << 32);
	for (i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		if (effective & (1ULL << needed[i].cap))
			continue;
		snprintf(missing + strlen(missing), len - strlen(missing), "%s%s", missing[0] ? ", " : "",
			 needed[i].name);
	}
	return missing[0] ? -EPERM : 0;
}

int preflight_btf(const char *path)
{
	unsigned char magic[4] = {0};
	int fd = open(path ? path : "/sys/kernel/btf/vmlinux", O_RDONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (read(fd, magic, sizeof(magic)) < 0)
		err = -errno;
	close(fd);
	/* Raw BTF starts with 0xeB9F (little endian); libbpf also reads the .BTF section of an ELF file. */
	if (!err && !(magic[0] == 0x9f && magic[1] == 0xeb) && memcmp(magic, "\x7f" "ELF", 4) != 0)
		err = -ENOEXEC;
	return err;
}

#define TRACEFS "/sys/kernel/tracing"

int preflight_tracefs(void)
{
	if (!access(TRACEFS "/events/syscalls", F_OK) || !access("/sys/kernel/debug/tracing/events/syscalls", F_OK))
		return 0;
	if (mount("tracefs", TRACEFS, "tracefs", 0, NULL) && errno != EBUSY)
		return -errno;
	return access(TRACEFS "/events/syscalls", F_OK) ? -ENOENT : 0;
}

// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/sched_priority.h"

#define POLICY_NORMAL	    0 /* SCHED_OTHER */
#define POLICY_FIFO	    1
#define FLAG_RESET_ON_FORK  1

/* The kernel's struct sched_attr (linux/sched/types.h clashes with glibc's sched.h). */
struct kernel_sched_attr {
	uint32_t size, sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime, sched_deadline, sched_period;
};

static int set_attr(struct kernel_sched_attr *attr)
{
	return syscall(SYS_sched_setattr, 0, attr, 0) ? -errno : 0;
}

int sched_set_realtime(bool realtime)
{
	struct kernel_sched_attr attr = {.size = sizeof(attr), .sched_policy = POLICY_NORMAL};

	if (realtime) {
		attr.sched_policy = POLICY_FIFO;
		attr.sched_flags = FLAG_RESET_ON_FORK;
		attr.sched_priority = 1;
		return set_attr(&attr);
	}
	errno = 0;
	attr.sched_nice = getpriority(PRIO_PROCESS, 0); /* this thread's: sched_setattr sets it too */
	return errno ? -errno : set_attr(&attr);
}

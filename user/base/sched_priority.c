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
#define SHORT_SLICE_NS	    300000 /* the kernel takes 0.1 to 100 ms */

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
	struct kernel_sched_attr fifo = {.size = sizeof(fifo), .sched_policy = POLICY_FIFO,
					 .sched_flags = FLAG_RESET_ON_FORK, .sched_priority = 1};
	struct kernel_sched_attr fair = {.size = sizeof(fair), .sched_policy = POLICY_NORMAL,
					 .sched_flags = FLAG_RESET_ON_FORK, .sched_runtime = SHORT_SLICE_NS};
	int err = realtime ? set_attr(&fifo) : -EPERM;

	if (!err)
		return 0;
	errno = 0;
	fair.sched_nice = getpriority(PRIO_PROCESS, 0); /* this thread's: sched_setattr sets it too */
	if (!errno)
		set_attr(&fair);
	return err;
}

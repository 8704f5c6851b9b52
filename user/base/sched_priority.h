#ifndef LOOPSTALL_SCHED_PRIORITY_H
#define LOOPSTALL_SCHED_PRIORITY_H
#include <stdbool.h>

/*
 * A loop stalled on CPU keeps a CPU busy: a thread of loopstall woken on it
 * at the threshold waits out the loop's time slice (3 ms by default) under
 * the fair scheduler. Realtime: the calling thread runs at SCHED_FIFO
 * priority 1, the lowest (threads and processes it starts do not inherit
 * it); else at normal priority, its nice value kept. 0, or -errno (EPERM:
 * no CAP_SYS_NICE).
 */
int sched_set_realtime(bool realtime);

#endif

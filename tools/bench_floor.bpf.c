// SPDX-License-Identifier: GPL-2.0
/*
 * Empty programs on the tracepoints loopstall attaches to: what any tool
 * attached there costs, whatever it does (tools/bench.py's "floor"). And,
 * not part of it, an empty program on raw sys_exit, which runs for every
 * syscall on the host: what loopstall's wait returns cost before they moved
 * to the waits' own tracepoints.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tracepoint/syscalls/sys_exit_epoll_wait")
int floor_exit_epoll_wait(void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_epoll_pwait")
int floor_exit_epoll_pwait(void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_epoll_pwait2")
int floor_exit_epoll_pwait2(void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_poll")
int floor_exit_poll(void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_ppoll")
int floor_exit_ppoll(void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_select")
int floor_exit_select(void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_pselect6")
int floor_exit_pselect6(void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_io_uring_enter")
int floor_exit_io_uring_enter(void *ctx)
{
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(floor_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(floor_sched_wakeup, struct task_struct *p)
{
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(raw_sys_exit, struct pt_regs *regs, long ret)
{
	return 0;
}

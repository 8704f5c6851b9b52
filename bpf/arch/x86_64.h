/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the BPF programs know of x86_64: the numbers of the syscalls they
 * tell apart, where a syscall's number, arguments and result sit in the
 * registers saved at kernel entry, and the user registers in the DWARF
 * order user space unwinds with (LS_NR_REGS of them). A port is one such
 * file.
 */
#ifndef LOOPSTALL_ARCH_X86_64_H
#define LOOPSTALL_ARCH_X86_64_H

#define NR_POLL		  7
#define NR_SELECT	  23
#define NR_FUTEX	  202
#define NR_EPOLL_WAIT	  232
#define NR_PSELECT6	  270
#define NR_PPOLL	  271
#define NR_EPOLL_PWAIT	  281
#define NR_IO_URING_ENTER 426
#define NR_EPOLL_PWAIT2	  441
#define ENOSYS		  38 /* in the result register while a syscall is in progress */

#define SYSCALL_NR(r)  ((r)->orig_ax)
#define SYSCALL_RET(r) ((r)->ax)
#define ARG0(r)	       ((r)->di)
#define ARG1(r)	       ((r)->si)
#define ARG2(r)	       ((r)->dx)
#define ARG3(r)	       ((r)->r10)
#define ARG4(r)	       ((r)->r8)
#define ARG5(r)	       ((r)->r9)
#define USER_SP(r)     ((r)->sp)

/* The user registers in DWARF order: rax rdx rcx rbx rsi rdi rbp rsp r8-r15 rip (LS_NR_REGS). */
static __always_inline void read_user_regs(const struct pt_regs *regs, __u64 *out)
{
	out[0] = regs->ax;
	out[1] = regs->dx;
	out[2] = regs->cx;
	out[3] = regs->bx;
	out[4] = regs->si;
	out[5] = regs->di;
	out[6] = regs->bp;
	out[7] = regs->sp;
	out[8] = regs->r8;
	out[9] = regs->r9;
	out[10] = regs->r10;
	out[11] = regs->r11;
	out[12] = regs->r12;
	out[13] = regs->r13;
	out[14] = regs->r14;
	out[15] = regs->r15;
	out[16] = regs->ip;
}

#endif

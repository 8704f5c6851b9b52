#ifndef LOOPSTALL_ARCH_H
#define LOOPSTALL_ARCH_H
/*
 * What user space knows of the architecture: where the stack pointer,
 * frame pointer and program counter sit among the user registers the BPF
 * programs copy (bpf/arch/x86_64.h, in DWARF numbering, LS_NR_REGS of
 * them). With bpf/arch/, the one place a port changes.
 */
#include <linux/types.h>

#include "loopstall.h"

#if defined(__x86_64__)
#define REG_FP 6  /* rbp */
#define REG_SP 7  /* rsp */
#define REG_PC 16 /* rip */
#elif defined(__aarch64__) /* compiled as a check (make arm64-check); BPF's side is still to write */
#define REG_FP 29 /* x29 */
#define REG_SP 31 /* sp */
#define REG_PC 32 /* pc */
#else
#error "loopstall knows x86_64's registers only (bpf/arch/, user/base/arch.h)"
#endif

#endif

#ifndef LOOPSTALL_ARCH_H
#define LOOPSTALL_ARCH_H
/*
 * What user space knows of the architecture: where the stack pointer,
 * frame pointer and program counter sit among the user registers the BPF
 * programs copy (bpf/arch/x86_64.h, in DWARF numbering, LS_NR_REGS of
 * them). With bpf/arch/, the one place a port changes.
 */
#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "loopstall.h"

/*
 * And the two branches the symbolizers read in code: arch_next_jump finds
 * the next direct jump (a tail call's) in code[from, len) of code at addr,
 * its offset and *target (len when none); arch_calls tells whether the
 * ARCH_CALL_LEN bytes before return address ret are a direct call to entry.
 */
#if defined(__x86_64__)
#define REG_FP 6  /* rbp */
#define REG_SP 7  /* rsp */
#define REG_PC 16 /* rip */
#define ARCH_CALL_LEN 5 /* e8 rel32 */

static inline size_t arch_next_jump(const uint8_t *code, size_t len, size_t from, uint64_t addr, uint64_t *target)
{
	const uint8_t *at = from < len ? memchr(code + from, 0xe9, len - from) : NULL; /* jmp rel32 */
	int32_t rel;

	if (!at || (size_t)(at - code) + 5 > len)
		return len;
	memcpy(&rel, at + 1, 4);
	*target = addr + (uint64_t)(at - code) + 5 + (int64_t)rel;
	return (size_t)(at - code);
}

static inline bool arch_calls(const uint8_t *call, uint64_t ret, uint64_t entry)
{
	int32_t rel;

	memcpy(&rel, call + 1, 4);
	return call[0] == 0xe8 && ret + (int64_t)rel == entry;
}
#elif defined(__aarch64__) /* compiled as a check (make arm64-check); BPF's side is still to write */
#define REG_FP 29 /* x29 */
#define REG_SP 31 /* sp */
#define REG_PC 32 /* pc */
#define ARCH_CALL_LEN 4 /* bl imm26 */

/* b / bl imm26: the word's top six bits, then a signed offset in words */
static inline uint64_t arm64_branch(uint32_t insn, uint32_t op, uint64_t pc)
{
	if ((insn >> 26) != op)
		return 0;
	return pc + (uint64_t)((int64_t)((int32_t)(insn << 6) >> 6) * 4);
}

static inline size_t arch_next_jump(const uint8_t *code, size_t len, size_t from, uint64_t addr, uint64_t *target)
{
	uint32_t insn;

	for (from = (from + 3) & ~(size_t)3; from + 4 <= len; from += 4) {
		memcpy(&insn, code + from, 4);
		if ((*target = arm64_branch(insn, 0x05, addr + from)))
			return from;
	}
	return len;
}

static inline bool arch_calls(const uint8_t *call, uint64_t ret, uint64_t entry)
{
	uint32_t insn;

	memcpy(&insn, call, 4);
	return arm64_branch(insn, 0x25, ret - 4) == entry;
}
#else
#error "loopstall knows x86_64's registers only (bpf/arch/, user/base/arch.h)"
#endif

#endif

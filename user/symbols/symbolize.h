#ifndef LOOPSTALL_SYMBOLIZE_H
#define LOOPSTALL_SYMBOLIZE_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/arch.h"
#include "record/stall_record.h"

/*
 * symbols/: native unwinding (DWARF CFI) and symbolization of live
 * processes with elfutils' libdwfl, and C++ demangling. Cached per process:
 * a process's binaries are opened and their CFI and symbol tables parsed
 * once (warmed ahead of its first stall), and read again when an address
 * falls in no mapped file (a library loaded since). One symbolizer per
 * thread that uses it; another thread may only warm it.
 */
struct symbolizer;

/*
 * debug_files: also read separate debug files (installed -dbgsym packages,
 * debuginfod with DEBUGINFOD_URLS) to name stripped binaries' functions;
 * slow the first time a binary is seen: for the reporter thread.
 */
struct symbolizer *symbolizer_new(bool debug_files);
void symbolizer_free(struct symbolizer *s);
/*
 * Fills out's function, module and file:line where known. is_return: ip is
 * a return address. True when a symbol names it; false leaves the address
 * as function, with module set when ip is in a mapped file.
 */
bool symbolize_ip(struct symbolizer *s, pid_t pid, uint64_t ip, bool is_return, struct stall_frame *out);
/*
 * Loads pid's modules, symbol tables, debug info and CFI now, so its first
 * stall is reported fast; the one call another thread may make. by_owner:
 * the caller is the thread that uses s (nothing waits for it while it
 * warms, so it warms in place, sharing every file at once).
 */
void symbolizer_warm(struct symbolizer *s, pid_t pid, bool by_owner);
/* Drops what is cached for pid (it exited or exec'd). */
void symbolizer_forget(struct symbolizer *s, pid_t pid);

/* The user registers as the BPF programs copy them, in DWARF numbering (base/arch.h: which is which). */
struct unwind_regs {
	uint64_t r[LS_NR_REGS];
};

/* Memory reader: fills *word with the 8 bytes at addr of the target; 0 or -errno. NULL means read the live process (process_vm_readv on pid). */
typedef int (*unwind_read_fn)(void *ctx, uint64_t addr, uint64_t *word);

/*
 * Unwinds tid of pid from regs with DWARF CFI (.eh_frame, .debug_frame),
 * without stopping it: the thread must stay blocked (in a syscall) meanwhile.
 * Fills ips innermost first: the program counter, then return addresses (symbolize
 * those with is_return). Returns the count (>= 1) or -errno when pid's
 * binaries cannot be opened.
 */
int unwind_stack(struct symbolizer *s, pid_t pid, pid_t tid, const struct unwind_regs *regs, unwind_read_fn read,
		 void *ctx, uint64_t *ips, int max);
/* The same, and fps[i]: the frame pointer (rbp) of frame i, 0 where unknown (V8 frames are read at it). */
int unwind_stack_fp(struct symbolizer *s, pid_t pid, pid_t tid, const struct unwind_regs *regs, unwind_read_fn read,
		    void *ctx, uint64_t *ips, uint64_t *fps, int max);

/*
 * Test hook: a symbolizer that knows pid only from a recorded copy of its
 * /proc/PID/maps and opens the binaries by their paths, for replaying a
 * process that is gone. NULL with errno set on failure.
 */
struct symbolizer *symbolizer_from_maps(pid_t pid, const char *maps_path);

#endif

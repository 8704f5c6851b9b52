/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LOOPSTALL_JAVA_FRAMES_H
#define LOOPSTALL_JAVA_FRAMES_H
#include <stdint.h>
#include <sys/types.h>

#include "base/target_memory.h"
#include "record/stall_record.h"
#include "runtimes/jvm/vmstructs.h"

/*
 * The Java frames of a thread stopped outside Java code (in the VM, or in
 * a native method: Thread.sleep, a socket read, a contended monitor),
 * walked from its last Java frame as HotSpot records it, or of a CPU
 * sample from its registers, the way the JVM's own stack walk goes: interpreted frames by their frame pointer, compiled
 * ones by their code blob's frame size. Methods are named from the class
 * and method Symbols ("com.example.Shop.checkout"), with the source file,
 * and the line where the frame is interpreted.
 */
#define JAVA_MAX_CODE_HEAPS 8
#define JAVA_THREAD_SLOTS   64

struct java_vm {
	struct hotspot_layout l;
	int major; /* the JDK's feature version, 0 when unknown */
	int nheaps;
	struct {
		uint64_t low, high, segmap; /* the heap's reserved code and its segment map */
		int log2_segment;
	} heaps[JAVA_MAX_CODE_HEAPS];
	struct {
		pid_t tid;
		uint64_t thread; /* its JavaThread; 0: none in */
		uint64_t list;	 /* the ThreadsList looked through */
	} threads[JAVA_THREAD_SLOTS];
};

/*
 * The JDK's version and the code heaps, read once (HotSpot reserves them
 * at start). 0, or -errno.
 */
int java_vm_open(struct java_vm *vm, const struct mem_reader *m);

/*
 * Frames of thread tid, innermost first: the count, 0 when it runs Java
 * code now or is no Java thread, or -errno.
 */
int java_read_stack(struct java_vm *vm, const struct mem_reader *m, pid_t tid, struct stall_frame *out, int max);

/*
 * The frame of code at pc (its frame pointer fp, slots read through stack):
 * the method an interpreted or compiled frame runs, 0; -ENOENT outside the
 * code cache or in a stub of the VM's.
 */
int java_read_frame(const struct java_vm *vm, const struct mem_reader *stack, const struct mem_reader *heap,
		    uint64_t pc, uint64_t fp, struct stall_frame *out);

/*
 * A CPU sample's Java frames, from its registers (pc in Java code, sp,
 * fp) and the stack it copied: the count, 0 when pc is in no Java code.
 * The innermost, when compiled, is its method (not the methods inlined in
 * it, whose debug information covers calls, not every pc).
 */
int java_read_sample(struct java_vm *vm, const struct mem_reader *stack, const struct mem_reader *heap, uint64_t pc,
		     uint64_t sp, uint64_t fp, struct stall_frame *out, int max);

#endif

// SPDX-License-Identifier: GPL-2.0
/* A HotSpot JVM behind the runtime interface (jvm.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/proc.h"
#include "runtimes/jvm/java_frames.h"
#include "runtimes/jvm/jvm.h"
#include "runtimes/jvm/vmstructs.h"
#include "symbols/elf_symbols.h"

struct jvm_process {
	pid_t pid;
	int err;	/* 0: Java frames are read; else why not */
	char why[160]; /* ... in words */
	struct java_vm vm;
	struct mem_look look;
};

/*
 * libjvm's functions under Java's blocking calls: the native methods'
 * entry points (JVM_*, Unsafe_*), by the Java method that calls them.
 */
static const struct {
	const char *symbol;
	const char *java;
} calls[] = {
	{"JVM_Sleep", "java.lang.Thread.sleep"},
	{"JVM_SleepNanos", "java.lang.Thread.sleep"}, /* JDK 21 on */
	{"JVM_MonitorWait", "java.lang.Object.wait"},
	{"Unsafe_Park", "jdk.internal.misc.Unsafe.park"},
	{"JVM_Yield", "java.lang.Thread.yield"},
	{"ObjectSynchronizer::enter", "synchronized"}, /* a contended monitor, from interpreted or compiled code */
};

/* HotSpot's own threads, by the names it gives them (cut to the kernel's 15 bytes). */
static const char *const own_threads[] = {
	"GC Thread#",	   "G1 ",	      "VM Thread",	 "VM Periodic Tas", "Reference Handl", "Finalizer",
	"Signal Dispatch", "Service Thread",  "Monitor Deflati", "C1 CompilerThre", "C2 CompilerThre", "Sweeper thread",
	"Common-Cleaner",  "Notification Th", "Attach Listener", "VM Operation",    "Shenandoah",	   "ZDirector",
	"ZDriver",	   "ZStat",	      "ZWorker",	 "ParGC Thread#",   "JFR ",
};

static bool is_own_thread(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(own_threads) / sizeof(own_threads[0]); i++)
		if (strncmp(name, own_threads[i], strlen(own_threads[i])) == 0)
			return true;
	return false;
}

static const struct proc_mapping *libjvm(const struct proc_maps *maps)
{
	int i;

	for (i = 0; i < maps->n; i++)
		if (maps->v[i].path[0] == '/' && strcmp(base_name(maps->v[i].path), "libjvm.so") == 0)
			return &maps->v[i];
	return NULL;
}

static bool recognize(const struct proc_maps *maps, const char *exe)
{
	(void)exe;
	return libjvm(maps) != NULL;
}

/* HotSpot's tables, read once: a JVM the reader does not know still gets its native names. */
static int open_process(pid_t pid, const struct proc_maps *maps, void **state)
{
	uint64_t symbols[vmstructs_nsymbols];
	struct jvm_process *j = calloc(1, sizeof(*j));
	struct mem_reader m;
	char missing[96];

	if (!j)
		return -ENOMEM;
	j->pid = pid;
	mem_look_begin(&j->look, pid, &m);
	if ((j->err = elf_symbol_addresses(pid, libjvm(maps), vmstructs_symbols, symbols, vmstructs_nsymbols)))
		snprintf(j->why, sizeof(j->why), "libjvm.so unreadable (%s)", strerror(-j->err));
	else if ((j->err = vmstructs_read(&m, symbols, &j->vm.l, missing, sizeof(missing))) == -ENOENT)
		snprintf(j->why, sizeof(j->why), "this JVM's own tables lack %s", missing);
	else if (j->err)
		snprintf(j->why, sizeof(j->why), "%s unreadable (%s)", missing, strerror(-j->err));
	else if ((j->err = java_vm_open(&j->vm, &m)))
		snprintf(j->why, sizeof(j->why), "its code cache unreadable (%s)", strerror(-j->err));
	*state = j;
	return 0;
}

static void close_process(void *state)
{
	free(state);
}

static void status(void *state, int err, char *buf, size_t len)
{
	struct jvm_process *j = state;

	if (err)
		snprintf(buf, len, "unreadable: %s", strerror(-err));
	else if (j->err)
		snprintf(buf, len, "Java frames unread: %s", j->why);
	else
		snprintf(buf, len, "Java frames from HotSpot's VMStructs (JDK %d%s)", j->vm.major,
			 j->vm.l.has_line_numbers ? "" : "; lines and inlined methods unread");
}

/* A thread stopped outside Java code, from its last Java frame. */
static int read_stack(void *state, pid_t tid, bool running, struct stall_frame *out, int max)
{
	struct jvm_process *j = state;
	struct mem_reader m;

	(void)running;
	if (j->err)
		return 0;
	mem_look_begin(&j->look, j->pid, &m);
	return java_read_stack(&j->vm, &m, tid, out, max);
}

/* Code of the code cache where the native walk found it: the Java frame where native frames end. */
static int read_code_frame(void *state, const struct mem_reader *stack, const struct mem_reader *heap, uint64_t ip,
			   uint64_t fp, struct stall_frame *out)
{
	struct jvm_process *j = state;

	if (j->err)
		return j->err;
	return java_read_frame(&j->vm, stack ? stack : heap, heap, ip, fp, out);
}

static int read_sample_stack(void *state, const struct mem_reader *stack, const struct mem_reader *heap, uint64_t pc,
			     uint64_t sp, uint64_t fp, struct stall_frame *out, int max)
{
	struct jvm_process *j = state;

	return j->err ? 0 : java_read_sample(&j->vm, stack, heap, pc, sp, fp, out, max);
}

/* HotSpot runs Java in code of no file (the code cache): native frames end there, where Java's are read. */
static bool is_interpreter(void *state, const char *module)
{
	const struct jvm_process *j = state;

	return j && !j->err && (!module[0] || strcmp(module, "[jit]") == 0);
}

static int name_native(void *state, const struct stall_frame *f, uint64_t caller, char *buf, size_t len)
{
	size_t i;

	(void)state, (void)caller;
	if (strcmp(base_name(f->module), "libjvm.so") != 0)
		return -ENOENT;
	for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		if (strcmp(f->function, calls[i].symbol) == 0) {
			snprintf(buf, len, "%s", calls[i].java);
			return 0;
		}
	return -ENOENT;
}

/* Thread.sleep parks on a condition variable of its own: a sleep, no lock another thread holds. */
static void refine(void *state, struct stall_record *r, const struct stall_frame *native, int n)
{
	int i;

	(void)state;
	for (i = 0; i < n && r->cause == CAUSE_LOCK; i++)
		if (native[i].runtime_function && strcmp(native[i].function, "java.lang.Thread.sleep") == 0)
			r->cause = CAUSE_SYSCALL;
}

const struct runtime_ops jvm_runtime = {
	.name = "jvm",
	.recognize = recognize,
	.open = open_process,
	.close = close_process,
	.status = status,
	.read_stack = read_stack,
	.read_code_frame = read_code_frame,
	.read_sample_stack = read_sample_stack,
	.is_interpreter = is_interpreter,
	.name_native = name_native,
	.is_own_thread = is_own_thread,
	.refine = refine,
};

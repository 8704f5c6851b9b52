// SPDX-License-Identifier: GPL-2.0
/* A HotSpot JVM behind the runtime interface (jvm.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/proc.h"
#include "runtimes/jvm/jvm.h"

/*
 * libjvm's functions under Java's blocking calls: the native methods'
 * entry points (JVM_*, Unsafe_*), by the Java method that calls them.
 */
static const struct {
	const char *symbol;
	const char *java;
} calls[] = {
	{"JVM_Sleep", "java.lang.Thread.sleep"},
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

static bool recognize(const struct proc_maps *maps, const char *exe)
{
	int i;

	(void)exe;
	for (i = 0; i < maps->n; i++)
		if (maps->v[i].path[0] == '/' && strcmp(base_name(maps->v[i].path), "libjvm.so") == 0)
			return true;
	return false;
}

/* No state: what it names comes from the symbols. */
static int open_process(pid_t pid, const struct proc_maps *maps, void **state)
{
	(void)pid, (void)maps;
	*state = NULL;
	return 0;
}

static int name_native(void *state, const struct stall_frame *f, char *buf, size_t len)
{
	size_t i;

	(void)state;
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
	.name_native = name_native,
	.is_own_thread = is_own_thread,
	.refine = refine,
};

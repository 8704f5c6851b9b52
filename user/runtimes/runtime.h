#ifndef LOOPSTALL_RUNTIME_H
#define LOOPSTALL_RUNTIME_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/proc.h"
#include "base/target_memory.h"
#include "record/stall_record.h"

/* What a thread is to its event loop (runtime_ops.loop_of_thread, native_loop_state). */
enum thread_loop {
	THREAD_NO_LOOP = 0, /* it runs no event loop */
	THREAD_IN_ITERATION = 1, /* it runs one and is inside an iteration (not in its wait) */
	THREAD_PARKED = 2, /* it runs one and idles in its park (a futex wait of the runtime's own) */
	THREAD_WAITING = 3, /* it runs one and idles in the loop's own wait */
};

/*
 * runtimes/: the language runtimes loopstall reads from outside, one folder
 * each behind struct runtime_ops, and the registry (registry.c) that asks
 * them in turn and keeps their per-process state. A runtime recognizes a
 * process, reads a stalled thread's frames from its memory, names JIT code
 * and lock holders, says which native modules are its interpreter, and has
 * the last word on a record. Adding one is a new folder and one line in the
 * registry.
 *
 * Every operation but recognize may be NULL: the runtime has nothing to say.
 */
struct runtime_ops {
	const char *name; /* "python", "node", "redis": shown as the loop's runtime */
	/* No thread of it is an event loop, whatever it waits in (Go's scheduler): none is ever stalled. */
	bool runs_no_loops;
	/* Cheap: is this process ours, from its mappings and the executable's base name? */
	bool (*recognize)(const struct proc_maps *maps, const char *exe);
	/*
	 * Per-process state for the calls below, made when first needed: 0 and
	 * *state, or -errno (then status says why, and nothing else is asked).
	 */
	int (*open)(pid_t pid, const struct proc_maps *maps, void **state);
	void (*close)(void *state);
	/* The version read, or why frames cannot be read (err from open, or 0). */
	void (*status)(void *state, int err, char *buf, size_t len);
	/* Frames of thread tid now, innermost first: count or -errno. running: it may be moving. */
	int (*read_stack)(void *state, pid_t tid, bool running, struct stall_frame *out, int max);
	/* The request tid's task serves (read with its frames, while it is blocked): 0, or -errno. */
	int (*read_request)(void *state, pid_t tid, struct served_request *out);
	/* Thread tid's name in the runtime (Python's threading name): 0, or -errno when it has none. Optional. */
	int (*thread_name)(void *state, pid_t tid, char *buf, size_t len);
	/* The holder of the runtime's lock (the GIL) while tid waits: 0, or -errno when unknown. */
	int (*lock_holder)(void *state, pid_t tid, struct lock_holder *out);
	/* Native frames below the runtime's own stop at its interpreter's module. state: NULL when not open. */
	bool (*is_interpreter)(void *state, const char *module);
	/* A thread of the runtime's own by its kernel name (a JVM's GC and compiler threads): never the holder of the code's lock. Optional. */
	bool (*is_own_thread)(const char *name);
	/* The interpreter's function that runs its code (CPython's eval loop): a C function the code called is nearer. Optional. */
	bool (*is_eval_loop)(const char *function);
	/*
	 * A frame of code the runtime runs itself (a V8 JavaScript frame), read
	 * at once at its frame pointer fp, where the native walk found ip: 0,
	 * or -errno when it is not one (a native frame). The frame's slots are
	 * read through stack (a sample's copy), or live when NULL; the objects
	 * they point at through heap, one look at the process for the whole
	 * stack (frames share their scripts and V8's maps).
	 */
	int (*read_code_frame)(void *state, const struct mem_reader *stack, const struct mem_reader *heap, uint64_t ip,
			       uint64_t fp, struct stall_frame *out);
	/*
	 * A CPU sample stopped in code the runtime runs itself (a JVM's Java
	 * code) at pc, with stack pointer sp and frame pointer fp: its frames
	 * from there, innermost first, as the runtime walks them (slots through
	 * stack, the sample's copy; the rest through heap): count, 0 when pc is
	 * in none of its code, or -errno. Optional.
	 */
	int (*read_sample_stack)(void *state, const struct mem_reader *stack, const struct mem_reader *heap, uint64_t pc,
				 uint64_t sp, uint64_t fp, struct stall_frame *out, int max);
	/*
	 * A native function (f: its module, entry and symbol; caller: where
	 * its frame returns to, 0 if unknown) by the runtime's name for it
	 * (CPython's "time.sleep", a JVM's "java.lang.Thread.sleep"): 0, or -ENOENT.
	 */
	int (*name_native)(void *state, const struct stall_frame *f, uint64_t caller, char *buf, size_t len);
	/* Loads what name_native reads (CPython's method tables) ahead of a first stall. Optional. */
	void (*warm_names)(void *state);
	/* The name of its JIT's code at addr (no module, or an unnamed range), a FRAME_JS: 0, or -ENOENT. */
	int (*name_jit)(void *state, pid_t pid, uint64_t addr, char *buf, size_t len);
	/*
	 * Whether thread tid runs the runtime's event loop, asked of a thread
	 * found in no wait (when loopstall attaches): THREAD_IN_ITERATION or THREAD_NO_LOOP,
	 * or -ENOENT when the runtime cannot tell; how says what told it.
	 */
	int (*loop_of_thread)(void *state, pid_t pid, pid_t tid, bool running, char *how, size_t len);
	/* Last touches once native frames are named (reporter thread): cause, notes. state may be NULL. */
	void (*refine)(void *state, struct stall_record *r, const struct stall_frame *native, int n);
};

/*
 * The registry: which runtime each process is, and that runtime's state for
 * it. Each thread that asks keeps its own; another thread may only warm it.
 */
struct runtimes;

struct runtimes *runtimes_new(void);
void runtimes_free(struct runtimes *rt);
/* Identifies pid and opens its runtime's state now, ahead of its first stall (from any thread). */
void runtimes_warm(struct runtimes *rt, pid_t pid);
/* pid exited or exec'd: what is known of it is stale. */
void runtimes_forget(struct runtimes *rt, pid_t pid);
/* The runtime of pid, NULL when none claims it. Reads /proc once per process. */
const struct runtime_ops *runtimes_of(struct runtimes *rt, pid_t pid);
/* Its name, "other" when none. */
const char *runtimes_name(struct runtimes *rt, pid_t pid);

/* Whether the runtime of pid runs no event loop on any thread (runtime_ops.runs_no_loops). */
bool runtimes_run_no_loops(struct runtimes *rt, pid_t pid);
/* Whether the runtime of pid reads frames of its own (native frames then stop at its interpreter). */
bool runtimes_has_frames(struct runtimes *rt, pid_t pid);
/* Into r: runtime, runtime_status and the frames of r->tid, appended after r->nframes. */
void runtimes_fill_record(struct runtimes *rt, struct stall_record *r, bool running);
/* A CPU sample's frames in its runtime's code, from its registers (read_sample_stack): count, 0 when none. */
int runtimes_read_sample_stack(struct runtimes *rt, pid_t pid, const struct mem_reader *stack, uint64_t pc,
			       uint64_t sp, uint64_t fp, struct stall_frame *out, int max);
/* Frames of tid for a CPU sample: count, 0 when the runtime reads none, or -errno. */
int runtimes_read_stack(struct runtimes *rt, pid_t pid, pid_t tid, struct stall_frame *out, int max);
/* Thread tid of pid by its runtime's name for it (thread_name above): 0, or -errno. */
int runtimes_thread_name(struct runtimes *rt, pid_t pid, pid_t tid, char *buf, size_t len);
/* r->holder, where the runtime of r->pid knows who holds its lock. */
void runtimes_fill_holder(struct runtimes *rt, struct stall_record *r);
/*
 * Native frames i of pid whose frame the runtime reads itself (JavaScript):
 * ips[i] becomes CODE_REF | its index in table (*n of max used). Returns how
 * many; on the detecting thread, while the frames are still there.
 */
int runtimes_read_code_frames(struct runtimes *rt, pid_t pid, const struct mem_reader *stack, uint64_t *ips,
			      const uint64_t *fps, int nips, struct stall_frame *table, int *n, int max);
bool runtimes_is_interpreter(struct runtimes *rt, pid_t pid, const char *module);
bool runtimes_is_eval_loop(struct runtimes *rt, pid_t pid, const char *function);
bool runtimes_is_own_thread(struct runtimes *rt, pid_t pid, const char *name);
int runtimes_name_native(struct runtimes *rt, pid_t pid, const struct stall_frame *f, uint64_t caller, char *buf,
			 size_t len);
/* Opens pid's runtime here if needed and loads ahead what naming its functions reads (reporter thread). */
void runtimes_warm_names(struct runtimes *rt, pid_t pid);
/*
 * Code at addr in no file, by its JIT's name: the runtime's own (node's
 * JavaScript, FRAME_JS), else any JIT's perf map (a JVM's, FRAME_JIT, cut to
 * the function). 0 with f's function and kind, or -ENOENT.
 */
int runtimes_name_jit(struct runtimes *rt, pid_t pid, uint64_t addr, struct stall_frame *f);
void runtimes_refine(struct runtimes *rt, struct stall_record *r, const struct stall_frame *native, int n);
/*
 * Whether thread tid of pid runs an event loop (enum thread_loop), from its
 * runtime, else from its native frames (named, innermost first; n may be
 * 0): -ENOENT when nothing tells. how: what told it, for the record.
 */
int runtimes_loop_of_thread(struct runtimes *rt, pid_t pid, pid_t tid, bool running, const struct stall_frame *native,
			    int n, char *how, size_t len);

#endif

#ifndef LOOPSTALL_CPU_AVOID_H
#define LOOPSTALL_CPU_AVOID_H
#include <pthread.h>

/*
 * A loop stalled on CPU keeps its CPU busy, and a thread woken there at the
 * threshold waits for the loop's time slice to end (3 ms by default under
 * the fair scheduler; a scheduler that packs threads onto few CPUs, as on
 * VMs, puts it there often). The detecting thread, and the reporter that
 * writes its records, keep off the CPUs of the loops it follows, on the
 * other CPUs they may run on.
 */
struct cpu_avoid;

/* The calling thread's CPUs now; NULL (nothing to avoid from) on a 1-CPU set or an error. */
struct cpu_avoid *cpu_avoid_new(void);
/* One more thread kept off the same CPUs (at most CPU_AVOID_THREADS in all). */
#define CPU_AVOID_THREADS 4
void cpu_avoid_add(struct cpu_avoid *a, pthread_t thread);
/* The threads run on their CPUs but cpus[0..n) (negative: unknown), or on all of them if none are left. */
void cpu_avoid_set(struct cpu_avoid *a, const int *cpus, int n);
void cpu_avoid_free(struct cpu_avoid *a);

#endif

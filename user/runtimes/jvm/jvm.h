/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LOOPSTALL_JVM_H
#define LOOPSTALL_JVM_H
#include "runtimes/runtime.h"

/*
 * A HotSpot JVM (libjvm.so mapped): Java frames read with the JVM's own
 * tables (vmstructs.c, java_frames.c), the VM's entry points that Java's
 * blocking calls go through by their Java names, and its own threads. A JVM
 * whose tables cannot be read has its compiled code named by the registry
 * from its perf map.
 */
extern const struct runtime_ops jvm_runtime;

#endif

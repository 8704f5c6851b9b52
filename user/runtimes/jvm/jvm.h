/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LOOPSTALL_JVM_H
#define LOOPSTALL_JVM_H
#include "runtimes/runtime.h"

/*
 * A HotSpot JVM (libjvm.so mapped): the VM's entry points that Java's
 * blocking calls go through, by their Java names. Compiled Java methods are
 * named by the registry from the JVM's perf map.
 */
extern const struct runtime_ops jvm_runtime;

#endif

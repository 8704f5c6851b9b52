/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LOOPSTALL_RUBY_H
#define LOOPSTALL_RUBY_H
#include "runtimes/runtime.h"

/* CRuby: recognized and said, its methods not read yet (its frames are libruby's native ones). */
extern const struct runtime_ops ruby_runtime;

#endif

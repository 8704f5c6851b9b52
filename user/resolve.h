#ifndef LOOPSTALL_RESOLVE_H
#define LOOPSTALL_RESOLVE_H

#include "stall_record.h"
#include "symbolize.h"

/*
 * Turns r's captured native addresses and CPU samples into frames (native
 * frames before its Python frames) and hot frames, and refines a futex
 * wait's cause. Slow the first time for a binary: called off the detecting
 * thread.
 */
void resolve_record(struct symbolizer *s, struct stall_record *r);

#endif

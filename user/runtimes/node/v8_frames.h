/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LOOPSTALL_V8_FRAMES_H
#define LOOPSTALL_V8_FRAMES_H
#include <stdint.h>

#include "base/target_memory.h"
#include "record/stall_record.h"
#include "runtimes/node/v8_metadata.h"

/*
 * V8's JavaScript frames, read from outside: at a frame pointer, the
 * JSFunction V8 keeps in the frame, its SharedFunctionInfo (the name), its
 * Script (the file) and, for a frame the interpreter runs, the line of the
 * bytecode it is at (the bytecode offset V8 saves in the frame, through the
 * bytecode's source position table and the script's lines). Everything read
 * is untrusted: types are checked before a field is followed, reads are
 * bounded, and what does not check out is no frame.
 */

/* Where the lines of recently seen scripts start: a script's source is read once. */
struct v8_lines_cache;

struct v8_lines_cache *v8_lines_cache_new(void);
void v8_lines_cache_free(struct v8_lines_cache *c);

/*
 * The JavaScript frame at fp: 0 and *out (kind FRAME_JS, function, file,
 * line where known), or -ENOENT when fp holds no JavaScript frame (a stub,
 * an exit frame, a native frame), -EFAULT when memory could not be read.
 * stack reads the frame's slots, heap the objects; lines may be NULL.
 */
int v8_read_frame(const struct v8_metadata *md, const struct mem_reader *stack, const struct mem_reader *heap,
		  struct v8_lines_cache *lines, uint64_t fp, struct stall_frame *out);

#endif

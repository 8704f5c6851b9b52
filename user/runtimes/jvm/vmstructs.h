/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LOOPSTALL_VMSTRUCTS_H
#define LOOPSTALL_VMSTRUCTS_H
#include <stddef.h>
#include <stdint.h>

#include "base/target_memory.h"

/*
 * HotSpot's description of itself: the gHotSpotVMStructs, gHotSpotVMTypes
 * and gHotSpotVMIntConstants tables libjvm.so exports for its debuggers
 * (names, offsets and sizes of the VM's types), read from the target. The
 * Java frame reader (java_frames.c) takes every offset and size from here,
 * none from a table of JDK versions.
 */
struct hotspot_layout {
	/* addresses of static fields in the target */
	uint64_t code_heaps;   /* CodeCache::_heaps: GrowableArray<CodeHeap*>* */
	uint64_t java_threads; /* ThreadsSMRSupport::_java_thread_list: ThreadsList* */
	uint64_t vm_major;     /* Abstract_VM_Version::_vm_major_version: an int (0: unknown) */
	/* field offsets */
	int64_t array_len, array_data;			     /* GrowableArrayBase::_len, GrowableArray<int>::_data */
	int64_t heap_memory, heap_segmap, heap_log2_segment; /* CodeHeap:: */
	int64_t space_low_boundary, space_high_boundary, space_low; /* VirtualSpace:: */
	int64_t block_header, header_used;			    /* HeapBlock::_header, HeapBlock::Header::_used */
	int64_t blob_name, blob_frame_size;			    /* CodeBlob:: */
	int64_t blob_frame_complete; /* CodeBlob::_frame_complete_offset (-1: unknown), read as 16 bits */
	int64_t blob_code_begin, blob_code_end;			    /* pointers (to JDK 22), else -1 and */
	int64_t blob_code_offset, blob_data_offset;		    /* int offsets from the blob */
	int64_t compiled_method;				    /* CompiledMethod::_method (nmethod::_method) */
	int64_t method_const;					    /* Method::_constMethod */
	int64_t const_constants, const_flags, const_code_size, const_name_index; /* ConstMethod:: */
	int64_t pool_holder, pool_source_file;	 /* ConstantPool::_pool_holder, _source_file_name_index (-1: none) */
	int64_t klass_name;			 /* Klass::_name */
	int64_t symbol_length, symbol_body;	 /* Symbol:: */
	int64_t list_length, list_threads;	 /* ThreadsList::_length, _threads */
	int64_t thread_osthread, thread_anchor;	 /* JavaThread:: */
	int64_t osthread_tid;			 /* OSThread::_thread_id */
	int64_t anchor_sp, anchor_pc, anchor_fp; /* JavaFrameAnchor::_last_Java_* */
	/* an nmethod's debug information: the inlined methods at a pc (-1: unread) */
	int64_t nm_scopes_pcs, nm_dependencies, nm_metadata; /* nmethod::_*_offset, from the blob */
	int64_t nm_scopes_data;				     /* CompiledMethod::_scopes_data_begin */
	int64_t pc_offset, pc_scope;			     /* PcDesc::_pc_offset, _scope_decode_offset */
	/* type sizes */
	int64_t size_heap_block, size_const_method, size_constant_pool, size_pc_desc;
	/* constants */
	/*
	 * ConstMethod::_has_linenumber_table, a flag of _flags: 0 when unknown,
	 * or when the JVM's compressed streams (line tables, debug information)
	 * are not the encoding this reader decodes (java_vm_open).
	 */
	int64_t has_line_numbers;
	int64_t frame_sender_sp; /* frame::interpreter_frame_sender_sp_offset, in words from fp: the slots below it follow */
};

/* The symbols of libjvm.so the tables are found by, in the order vmstructs_read takes their addresses. */
extern const char *const vmstructs_symbols[];
extern const int vmstructs_nsymbols;

/*
 * Reads the tables through m, found at the addresses of vmstructs_symbols
 * (0 for a symbol the library lacks). 0, or -ENOENT with the first entry it
 * lacks in missing (a JVM the reader does not know), or another -errno.
 */
int vmstructs_read(const struct mem_reader *m, const uint64_t *symbols, struct hotspot_layout *l, char *missing,
		   size_t len);

#endif

// SPDX-License-Identifier: GPL-2.0
/*
 * A live CPython process: where its interpreter is (elf.c), which layout row
 * it needs, the struct pthread layout 3.8-3.10 need, and its stacks and GIL
 * read with process_vm_readv() only: no ptrace stop, nothing injected.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/duration.h"
#include "runtimes/python/code_cache.h"
#include "runtimes/python/elf.h"
#include "runtimes/python/gil.h"
#include "runtimes/python/layouts.h"
#include "runtimes/python/methods.h"
#include "runtimes/python/process.h"
#include "runtimes/python/stack.h"
#include "runtimes/python/tstate.h"
#include "symbols/elf_symbols.h"

#define NOT_METHODS 256 /* fewer: a stall's samples pushed misses out, and the maps were read again */
#define NAMED_C_FUNCTIONS 64

struct py_process {
	pid_t pid;
	const struct py_layout *layout;
	uint64_t runtime_addr;
	uint64_t libc_tid_desc; /* glibc's _thread_db_pthread_tid, 0 if none */
	int pthread_tid_offset; /* 3.8-3.10, -1 if unknown */
	char version[16];
	struct py_methods *methods; /* C functions' names, read when first asked */
	int methods_maps;	    /* how many mappings the process had then */
	uint64_t methods_read_ns;
	uint64_t not_methods[NOT_METHODS]; /* entries looked up in vain since (the interpreter's own) */
	unsigned int n_not_methods;
	struct named_c_function {
		uint64_t entry; /* 0: empty */
		char name[96];
	} named[NAMED_C_FUNCTIONS]; /* names found in the tables, kept while they are the same */
	struct served_request request; /* what the last read of request_tid's stack found */
	pid_t request_tid;
	struct py_code_cache *codes; /* code objects named before (NULL: out of memory, read in full) */
	uint64_t gil_wait_from, gil_wait_to; /* where a thread waiting for the GIL sleeps; 0 until read */
	char framework[16];		     /* the loop's library the mappings show: "gevent", or "" */
	struct mem_look look;		     /* the target's memory, as one read of a stack saw it */
};

/*
 * gevent runs its hub and greenlets from compiled modules, so no Python
 * frame of a greenlet's stack says gevent: its files in the mappings do.
 */
static void note_framework(struct py_process *p, const struct proc_maps *maps)
{
	int i;

	for (i = 0; i < maps->n; i++)
		if (strstr(maps->v[i].path, "/gevent/")) {
			snprintf(p->framework, sizeof(p->framework), "gevent");
			return;
		}
}

/*
 * 3.8-3.10 thread states know their thread only as pthread_self(), the
 * address of the C library's struct pthread, which holds the kernel tid.
 * glibc publishes where, for libthread_db: _thread_db_pthread_tid in
 * libc.so.6 is {bits, count, offset} of that field. We take the offset from
 * there (exact for whatever glibc the target runs, nothing guessed) and check
 * it on the main thread (_PyRuntime.main_thread), whose tid is the pid.
 * Without glibc's descriptor (musl, static builds) we search the main thread's
 * struct pthread for the pid and accept it only if it occurs exactly once: a
 * pointer or random word that happens to equal the pid makes it ambiguous, and
 * we give up rather than match threads wrongly. Returns the offset or -errno.
 */
static int find_pthread_tid_offset(const struct mem_reader *m, const struct py_layout *L, pid_t pid, uint64_t runtime,
				   uint64_t addr)
{
	uint8_t pt[PTHREAD_SCAN];
	uint64_t main_thread;
	uint32_t desc[3];
	int32_t tid;
	int off, found = -1;

	if (mem_read_ptr(m, runtime + L->runtime_main_thread, &main_thread))
		return -EFAULT;
	if (!mem_valid_ptr(main_thread, 8))
		return -EAGAIN; /* not initialized yet */
	if (addr && !mem_read(m, addr, desc, sizeof(desc)) &&
	    desc[0] == 32 && desc[1] == 1 && desc[2] < PTHREAD_SCAN &&
	    !mem_read(m, main_thread + desc[2], &tid, sizeof(tid)) && tid == pid)
		return desc[2];
	if (mem_read(m, main_thread, pt, sizeof(pt)))
		return -EFAULT;
	for (off = 0; off + 4 <= PTHREAD_SCAN; off += 4) {
		if (mem_get_i32(pt, off) != pid)
			continue;
		if (found >= 0)
			return -ENOTSUP; /* ambiguous */
		found = off;
	}
	return found >= 0 ? found : -ENOTSUP;
}

/* Learns the struct pthread layout once, when first needed (3.8-3.10). */
static int ensure_pthread_tid_offset(struct py_process *p)
{
	struct mem_reader mem = {mem_read_live, &p->pid};
	int r;

	if (p->layout->tstate_native_thread_id || p->pthread_tid_offset >= 0)
		return 0;
	r = find_pthread_tid_offset(&mem, p->layout, p->pid, p->runtime_addr, p->libc_tid_desc);
	if (r < 0)
		return r;
	p->pthread_tid_offset = r;
	return 0;
}

int py_process_open(pid_t pid, const struct proc_maps *maps, struct py_process **out)
{
	struct mem_reader mem = {mem_read_live, &pid};
	struct py_elf_info *info;
	const struct py_layout *L;
	struct py_process *p;
	int err;

	if (!out || pid <= 0 || !maps)
		return -EINVAL;
	info = malloc(sizeof(*info)); /* has a PATH_MAX buffer: keep it off the stack */
	if (!info)
		return -ENOMEM;
	err = py_elf_find(pid, maps, info);
	if (err)
		goto out;
	L = py_find_layout(info->major, info->minor);
	if (!L) {
		err = -EPROTONOSUPPORT;
		goto out;
	}
	err = py_check_debug_offsets(&mem, L, info->runtime_addr);
	if (err)
		goto out;
	p = calloc(1, sizeof(*p));
	if (!p) {
		err = -ENOMEM;
		goto out;
	}
	p->pid = pid;
	p->codes = py_code_cache_new();
	p->layout = L;
	p->runtime_addr = info->runtime_addr;
	p->pthread_tid_offset = -1;
	if (!L->tstate_native_thread_id && py_elf_libc_symbol(pid, maps, "_thread_db_pthread_tid", &p->libc_tid_desc))
		p->libc_tid_desc = 0; /* not glibc: found by a search instead */
	snprintf(p->version, sizeof(p->version), "%d.%d", L->major, L->minor);
	note_framework(p, maps);
	/* may fail while the interpreter starts up: py_stack_read() tries again */
	ensure_pthread_tid_offset(p);
	*out = p;
out:
	free(info);
	return err;
}

int py_process_pthread_tid_offset(struct py_process *p)
{
	int r = ensure_pthread_tid_offset(p);

	if (r)
		return r;
	return p->layout->tstate_native_thread_id ? 0 : p->pthread_tid_offset;
}

const char *py_process_framework(const struct py_process *p)
{
	return p->framework;
}

const char *py_process_version(const struct py_process *p)
{
	return p->version;
}

uint64_t py_process_runtime_addr(const struct py_process *p)
{
	return p->runtime_addr;
}

int py_stack_read(struct py_process *p, pid_t tid, struct py_frame *frames, int max)
{
	return py_stack_read_req(p, tid, frames, max, false);
}

int py_stack_read_req(struct py_process *p, pid_t tid, struct py_frame *frames, int max, bool request)
{
	struct mem_reader mem;
	bool torn = false;
	int r, tries;

	if (request)
		p->request_tid = 0;
	r = ensure_pthread_tid_offset(p);
	if (r)
		return r;

	/*
	 * A thread running Python code pushes and pops frames while we read, so
	 * a walk can meet a half-built frame or a stale C-stack _PyCFrame. Such
	 * torn reads show up as -EFAULT/-EINVAL/-ELOOP, or as a walk that ends
	 * at a generator being resumed (json's encoder, yield from chains); a
	 * quick retry usually succeeds. A stalled thread does not move, so this
	 * is rarely needed.
	 */
	for (tries = 0; tries < 5; tries++) {
		mem_look_begin(&p->look, p->pid, &mem);
		r = py_stack_read_cached(&mem, p->codes, p->version, p->runtime_addr, p->pthread_tid_offset, tid,
					 frames, max, request ? &p->request : NULL, &torn);
		if (r != -EFAULT && r != -EINVAL && r != -ELOOP && !(r > 0 && torn))
			break;
	}
	if (request)
		p->request_tid = r >= 0 ? tid : 0;
	return r;
}

int py_thread_name(struct py_process *p, pid_t tid, char *buf, size_t len)
{
	struct mem_reader mem = {mem_read_live, &p->pid};
	int r = ensure_pthread_tid_offset(p);

	buf[0] = 0;
	return r ? r : py_thread_name_mem(&mem, p->codes, p->version, p->runtime_addr, p->pthread_tid_offset, tid, buf, len);
}

int py_process_last_request(struct py_process *p, pid_t tid, struct served_request *req)
{
	if (p->request_tid != tid || !p->request.method[0])
		return -ENOENT;
	*req = p->request;
	return 0;
}

int py_gil_state(struct py_process *p, bool *locked, pid_t *holder_tid)
{
	struct mem_reader mem = {mem_read_live, &p->pid};
	int r;

	if (!locked || !holder_tid)
		return -EINVAL;
	r = ensure_pthread_tid_offset(p);
	if (r)
		return r;
	if (!p->gil_wait_to)
		(void)py_gil_wait_range_mem(&mem, p->version, p->runtime_addr, &p->gil_wait_from, &p->gil_wait_to);
	return py_gil_state_mem(&mem, p->version, p->runtime_addr, p->pthread_tid_offset, locked, holder_tid);
}

bool py_waits_for_gil(const struct py_process *p, uint64_t futex_addr)
{
	return p->gil_wait_to && futex_addr >= p->gil_wait_from && futex_addr < p->gil_wait_to;
}

void py_process_close(struct py_process *p)
{
	if (p) {
		py_methods_free(p->methods);
		py_code_cache_free(p->codes);
	}
	free(p);
}

#define METHODS_REREAD_NS (1000 * 1000000ULL)

static bool known_miss(const struct py_process *p, uint64_t entry)
{
	unsigned int i;

	for (i = 0; i < NOT_METHODS && i < p->n_not_methods; i++)
		if (p->not_methods[i] == entry)
			return true;
	return false;
}

/*
 * The functions the methods jump to (see py_methods_read_tails), read from
 * the interpreter's and extensions' files. Without one (a file unread) its
 * methods only name their own frames.
 */
static void read_tails(pid_t pid, const struct proc_maps *maps, struct py_methods *pm)
{
	struct elf_code *code;
	int i, j;

	for (i = 0; i < maps->n; i++) {
		const char *path = maps->v[i].path;

		for (j = 0; j < i && strcmp(maps->v[j].path, path); j++)
			;
		if (j < i || path[0] != '/' || !py_methods_module(path) || elf_code_open(pid, &maps->v[i], &code))
			continue;
		py_methods_read_tails(pm, &(struct mem_reader){elf_code_read, code}, code->starts, code->nstarts);
		elf_code_close(code);
	}
}

/* (Re)reads the method tables unless the mappings are as they were. 0, or -ENOENT when nothing changed. */
static int read_methods(struct py_process *p, const struct mem_reader *mem, uint64_t now)
{
	struct proc_maps *maps;
	struct py_methods *pm;

	if (proc_maps_read(p->pid, &maps))
		return -ENOENT;
	if (p->methods && maps->n == p->methods_maps) {
		proc_maps_free(maps);
		return -ENOENT;
	}
	p->methods_read_ns = now;
	p->methods_maps = maps->n;
	note_framework(p, maps); /* imported since */
	if (py_methods_read(mem, maps, &pm) == 0) {
		read_tails(p->pid, maps, pm);
		py_methods_free(p->methods);
		p->methods = pm;
		p->n_not_methods = 0; /* new tables: every miss may be a hit now */
		memset(p->named, 0, sizeof(p->named));
	}
	proc_maps_free(maps);
	return 0;
}

void py_process_warm_methods(struct py_process *p)
{
	struct mem_reader mem = {mem_read_live, &p->pid};

	if (!p->methods)
		read_methods(p, &mem, monotonic_ns());
}

/*
 * The method tables are read ahead (py_process_warm_methods) or when a C
 * function is first to be named, and again on a miss once extensions were
 * loaded since (more mappings), at most once a second.
 */
static int name_c_function(struct py_process *p, const struct mem_reader *mem, uint64_t entry, uint64_t caller,
			   char *buf, size_t len)
{
	struct named_c_function *n = &p->named[(entry >> 4) % NAMED_C_FUNCTIONS];
	int named;

	if (n->entry == entry) {
		snprintf(buf, len, "%s", n->name);
		return 0;
	}
	named = p->methods ? py_methods_name(p->methods, mem, entry, caller, buf, len) : -ENOENT;
	if (named < 0)
		return -ENOENT;
	/* a method's own function; not one it jumps to, named so by its caller */
	if (named == 0 && strlen(buf) < sizeof(n->name)) {
		n->entry = entry;
		memcpy(n->name, buf, strlen(buf) + 1);
	}
	return 0;
}

int py_process_c_function(struct py_process *p, uint64_t entry, uint64_t caller, char *buf, size_t len)
{
	struct mem_reader mem = {mem_read_live, &p->pid};
	uint64_t now = monotonic_ns();

	if (name_c_function(p, &mem, entry, caller, buf, len) == 0)
		return 0;
	if (known_miss(p, entry) || (p->methods_read_ns && now - p->methods_read_ns < METHODS_REREAD_NS))
		return -ENOENT;
	p->not_methods[p->n_not_methods++ % NOT_METHODS] = entry;
	if (read_methods(p, &mem, now))
		return -ENOENT;
	return name_c_function(p, &mem, entry, caller, buf, len);
}

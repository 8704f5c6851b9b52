// SPDX-License-Identifier: GPL-2.0
/*
 * Native stacks of live processes through libdwfl: unwinding with DWARF CFI
 * and frames to function, module and line.
 *
 * One Dwfl per process holds its modules (from /proc/PID/maps), their ELF
 * files, CFI and symbol tables, all loaded lazily and then kept: a second
 * stall in the same process reuses them. Unwinding goes through
 * dwfl_attach_state() with our own thread callbacks instead of
 * dwfl_linux_proc_attach(), which would ptrace-stop the target: the thread is
 * blocked in a syscall, so its registers (given by the caller) and its stack
 * stay put while we read them with process_vm_readv.
 */
#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/duration.h"
#include "base/proc.h"
#include "symbols/demangle.h"
#include "symbols/elf_symbols.h"
#include "symbols/shared_elf.h"
#include "symbols/symbol_index.h"
#include "symbols/symbolize.h"

#define CACHE_SLOTS	32
#define STACK_PAGES	8
#define STACK_PAGE_SIZE 4096ULL
#define SYMBOL_SLOTS	1024
#define INDEXED_MODULES 32    /* per process: the ones with more than a few symbols */
#define INDEX_MIN_SYMBOLS 500 /* a smaller table is scanned as libdwfl does */
#define REFRESH_NS	(100 * NSEC_PER_MSEC) /* an address in no module re-reads the maps at most this often */

/* What the current unwind_stack() call unwinds; repointed on every call. */
struct unwind_call {
	pid_t tid;
	const struct unwind_regs *regs;
	unwind_read_fn read; /* NULL: the live process */
	void *ctx;
	uint64_t *ips;
	uint64_t *fps; /* NULL: not wanted */
	int max;
	int n;
	uint64_t last_sp;
};

struct cached_process {
	pid_t pid;
	bool live; /* false: reported from a maps file, binaries opened by path */
	Dwfl *dwfl;
	struct proc_maps *maps; /* what dwfl was built from (live processes) */
	bool attached;		/* dwfl_attach_state() done: allowed once per Dwfl */
	uint64_t checked_ns;	/* maps last compared with the process's, for an unknown address */
	uint64_t generation;	/* tells this Dwfl's modules apart in the symbol cache */
	uint64_t last_use;
	struct unwind_call call;
	struct symbolizer *owner;
	bool shares;		      /* used under the lock only: its modules' Elfs come from owner->elfs */
	struct shared_elf_uses elfs; /* which ones */
	struct {
		Dwfl_Module *mod;
		struct symbol_index *ix; /* NULL: the module's table is small */
	} indexed[INDEXED_MODULES];
};

/* Pages of the live target read during one unwind: a syscall per page, not per word. */
struct stack_page {
	bool valid;
	uint64_t addr;
	uint8_t bytes[STACK_PAGE_SIZE];
};

/*
 * One resolved address of one binary, shared by every process mapping it:
 * looking up a symbol scans the whole symbol table and a line loads DWARF,
 * which we do once per binary and address, not per process and stall.
 */
struct cached_symbol {
	uint64_t binary; /* hash of the build-id (see cache_key); 0: empty slot */
	uint64_t offset; /* address in the ELF file */
	bool named;
	bool in_function;     /* unnamed, but its function's start is known from the CFI */
	uint64_t function_at; /* that start, an address in the ELF file */
	uint64_t into;	      /* how far into its function the address is, when has_entry */
	bool has_entry;
	int line;
	char function[128];
	char file[256];
};

struct symbolizer {
	bool debug_files; /* read separate debug files (names), not only the binaries */
	/*
	 * Held by every call: another thread warms a process here (installs
	 * a Dwfl built outside the lock) while its owner unwinds.
	 */
	pthread_mutex_t lock;
	struct cached_process slots[CACHE_SLOTS];
	struct shared_elfs elfs;
	uint64_t clock;
	uint64_t generations;
	struct cached_symbol symbols[SYMBOL_SLOTS];
	struct stack_page pages[STACK_PAGES];
	unsigned int next_page;
};

/* ---- finding a process's binaries ---------------------------------------- */

/* The file c's process maps as name, opened as it sees it (base/proc.c). */
static int open_mapped_file(struct cached_process *c, const char *name, char **file_name)
{
	const struct proc_mapping *m = c->maps ? proc_maps_find(c->maps, name) : NULL;
	char path[PATH_MAX + 64];
	int fd;

	if (!m)
		return -1;
	fd = proc_open_mapped(c->pid, m, path, sizeof(path));
	if (fd < 0)
		return -1;
	*file_name = strdup(path);
	if (!*file_name) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Opens m's file as an Elf and enters it in c's owner's table: false when it cannot be. */
static bool enter_file(struct cached_process *c, const struct proc_mapping *m)
{
	int fd = proc_open_mapped(c->pid, m, NULL, 0);
	Elf *elf = fd >= 0 ? elf_begin(fd, ELF_C_READ_MMAP, NULL) : NULL;
	bool entered = elf && shared_elf_add(&c->owner->elfs, m, elf, &c->elfs);

	elf_end(elf); /* the table's reference is the one left */
	if (fd >= 0)
		close(fd);
	return entered;
}

/*
 * A Elf for name, shared with the other processes mapping the same file:
 * the table's, entered now if needed. NULL: the caller opens it for this
 * process alone (a file the table cannot hold, a deleted one).
 */
static Elf *shared_mapped_elf(struct cached_process *c, const char *name, char **file_name)
{
	const struct proc_mapping *m = c->maps ? proc_maps_find(c->maps, name) : NULL;
	Elf *elf;

	if (!m)
		return NULL;
	elf = shared_elf_get(&c->owner->elfs, m, &c->elfs);
	if (!elf && enter_file(c, m))
		elf = shared_elf_get(&c->owner->elfs, m, &c->elfs);
	if (elf && !(*file_name = strdup(name))) {
		elf_end(elf);
		elf = NULL;
	}
	return elf;
}

/* Dwfl_Callbacks.find_elf: our process-aware opening, then libdwfl's (vDSO, plain paths). */
static int find_elf(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr base, char **file_name, Elf **elfp)
{
	struct cached_process *c = *userdata;

	if (c && c->live && name[0] == '/') {
		int fd;

		if (c->shares) {
			*elfp = shared_mapped_elf(c, name, file_name);
			if (*elfp)
				return -1;
		}
		fd = open_mapped_file(c, name, file_name);
		if (fd >= 0)
			return fd;
	}
	return dwfl_linux_proc_find_elf(mod, userdata, name, base, file_name, elfp);
}

/*
 * For unwinding: debug info only from the binaries themselves, never from
 * separate debug files (CFI is in .eh_frame, and decompressing libc's
 * libc6-dbg alone costs ~55 ms).
 */
static int no_separate_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
				 const char *file_name, const char *debuglink_file, GElf_Word debuglink_crc,
				 char **debuginfo_file_name)
{
	(void)mod, (void)userdata, (void)modname, (void)base, (void)file_name, (void)debuglink_file;
	(void)debuglink_crc, (void)debuginfo_file_name;
	return -1;
}

static const Dwfl_Callbacks proc_callbacks = {
	.find_elf = find_elf,
	.find_debuginfo = no_separate_debuginfo,
};

/*
 * For names: separate debug files too, found by build-id where installed
 * (/usr/lib/debug/.build-id/, a -dbgsym or -dbg package: stripped binaries
 * get their functions' names; their DWARF is never read, see warm_module),
 * and fetched through debuginfod when DEBUGINFOD_URLS is set (elfutils'
 * libdebuginfod). Only then the standard search: it loads libdebuginfod
 * and its TLS stack (libcurl, gnutls, p11-kit) whether or not a server is
 * set, ~6 ms of a first report for nothing. The reporter's only.
 */
static int find_debug_file(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
			   const char *file_name, const char *debuglink_file, GElf_Word debuglink_crc,
			   char **debuginfo_file_name)
{
	const char *servers = getenv("DEBUGINFOD_URLS");

	if (servers && servers[0])
		return dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name, debuglink_file,
						    debuglink_crc, debuginfo_file_name);
	return dwfl_build_id_find_debuginfo(mod, userdata, modname, base, file_name, debuglink_file, debuglink_crc,
					    debuginfo_file_name);
}

static const Dwfl_Callbacks proc_callbacks_with_debug_files = {
	.find_elf = find_elf,
	.find_debuginfo = find_debug_file,
};

/* dwfl_getmodules callback: hands each module its process, for find_elf. */
static int set_module_process(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr base, void *arg)
{
	(void)mod;
	(void)name;
	(void)base;
	*userdata = arg;
	return DWARF_CB_OK;
}

/*
 * Builds c's Dwfl from maps (a live process's, which c keeps, to open its
 * files and to see when they change), or from a recorded maps file.
 */
static int report_process(struct cached_process *c, struct proc_maps *maps, FILE *recorded)
{
	Dwfl *dwfl = dwfl_begin(c->owner->debug_files ? &proc_callbacks_with_debug_files : &proc_callbacks);
	FILE *f = recorded ? recorded : fmemopen(maps->text, maps->len ? maps->len : 1, "r");
	int err;

	if (!dwfl || !f) {
		if (dwfl)
			dwfl_end(dwfl);
		proc_maps_free(maps);
		return -ENOMEM;
	}
	err = dwfl_linux_proc_maps_report(dwfl, f);
	if (!recorded)
		fclose(f);
	if (err == 0 && dwfl_report_end(dwfl, NULL, NULL) != 0)
		err = EINVAL;
	if (err) {
		dwfl_end(dwfl);
		proc_maps_free(maps);
		/* libdwfl returns a positive errno, or -1 for its own errors */
		return err > 0 ? -err : -ESRCH;
	}
	proc_maps_free(c->maps);
	c->maps = maps;
	dwfl_getmodules(dwfl, set_module_process, c, 0);
	c->dwfl = dwfl;
	c->attached = false;
	c->generation = __atomic_add_fetch(&c->owner->generations, 1, __ATOMIC_RELAXED);
	return 0;
}

/* Builds c's Dwfl from the live process's mappings now. */
static int report_live(struct cached_process *c)
{
	struct proc_maps *maps;
	int err = proc_maps_read(c->pid, &maps);

	if (err)
		return err;
	c->checked_ns = monotonic_ns();
	return report_process(c, maps, NULL);
}

/* Ends c's Dwfl and what was built over its modules. */
static void end_dwfl(struct cached_process *c)
{
	int i;

	for (i = 0; i < INDEXED_MODULES; i++) {
		symbol_index_free(c->indexed[i].ix);
		c->indexed[i].mod = NULL;
		c->indexed[i].ix = NULL;
	}
	if (c->dwfl)
		dwfl_end(c->dwfl);
	c->dwfl = NULL;
}

/* ---- the per-process cache ----------------------------------------------- */

struct symbolizer *symbolizer_new(bool debug_files)
{
	struct symbolizer *s = calloc(1, sizeof(struct symbolizer));
	int i;

	if (!s)
		return NULL;
	s->debug_files = debug_files;
	pthread_mutex_init(&s->lock, NULL);
	for (i = 0; i < CACHE_SLOTS; i++)
		s->slots[i].owner = s;
	return s;
}

static void drop(struct cached_process *c)
{
	struct symbolizer *owner = c->owner;

	end_dwfl(c);
	shared_elf_release(&owner->elfs, &c->elfs);
	proc_maps_free(c->maps);
	memset(c, 0, sizeof(*c));
	c->owner = owner;
}

void symbolizer_free(struct symbolizer *s)
{
	int i;

	if (!s)
		return;
	for (i = 0; i < CACHE_SLOTS; i++)
		drop(&s->slots[i]);
	shared_elfs_clear(&s->elfs);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void symbolizer_forget(struct symbolizer *s, pid_t pid)
{
	int i;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < CACHE_SLOTS; i++)
		if (s->slots[i].dwfl && s->slots[i].pid == pid)
			drop(&s->slots[i]);
	pthread_mutex_unlock(&s->lock);
}

static struct cached_process *find_slot(struct symbolizer *s, pid_t pid)
{
	int i;

	for (i = 0; i < CACHE_SLOTS; i++)
		if (s->slots[i].dwfl && s->slots[i].pid == pid)
			return &s->slots[i];
	return NULL;
}

/* A free slot, or the least recently used one emptied. */
static struct cached_process *free_slot(struct symbolizer *s)
{
	struct cached_process *victim = &s->slots[0];
	int i;

	for (i = 0; i < CACHE_SLOTS; i++) {
		struct cached_process *c = &s->slots[i];

		if (!c->dwfl || c->last_use < victim->last_use)
			victim = c;
	}
	drop(victim);
	return victim;
}

/* A slot for pid, its files shared, built from maps (read now when NULL): NULL with *err on failure. */
static struct cached_process *new_slot(struct symbolizer *s, pid_t pid, struct proc_maps *maps, int *err)
{
	struct cached_process *c = free_slot(s);

	c->pid = pid;
	c->live = true;
	c->shares = true;
	if (maps) {
		c->checked_ns = monotonic_ns();
		*err = report_process(c, maps, NULL);
	} else {
		*err = report_live(c);
	}
	if (*err) {
		drop(c);
		return NULL;
	}
	c->last_use = ++s->clock;
	return c;
}

/* The cached view of pid's mappings, building it on first use. */
static struct cached_process *lookup(struct symbolizer *s, pid_t pid, int *err)
{
	struct cached_process *c = find_slot(s, pid);

	if (!c)
		return new_slot(s, pid, NULL, err);
	c->last_use = ++s->clock;
	return c;
}

/* mod's symbol index, built at its first use; NULL when its table is small or no slot is left. */
static struct symbol_index *module_index(struct cached_process *c, Dwfl_Module *mod)
{
	int i;

	for (i = 0; i < INDEXED_MODULES && c->indexed[i].mod && c->indexed[i].mod != mod; i++)
		;
	if (i == INDEXED_MODULES)
		return NULL;
	if (!c->indexed[i].mod) {
		c->indexed[i].mod = mod;
		c->indexed[i].ix = symbol_index_build(mod, INDEX_MIN_SYMBOLS);
	}
	return c->indexed[i].ix;
}

/* Whether mod's debug info comes from a separate debug file (a -dbg package), not the binary. */
static bool separate_debug_file(Dwfl_Module *mod)
{
	const char *mainfile = NULL, *debugfile = NULL;

	dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, &mainfile, &debugfile);
	return debugfile && (!mainfile || strcmp(mainfile, debugfile) != 0);
}

/*
 * What a first stall would otherwise load: for unwinding, each module's
 * CFI; for names, its symbol table and the DWARF inside the binary (line
 * numbers). A separate debug file gives names only: its DWARF (libc6-dbg's
 * is tens of MB once parsed) would be read again for every process cached.
 */
static int warm_module(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr start, void *arg)
{
	struct cached_process *c = arg;
	Dwarf_Addr bias;

	(void)userdata, (void)name, (void)start;
	if (!c->owner->debug_files) {
		dwfl_module_eh_cfi(mod, &bias);
		return DWARF_CB_OK;
	}
	dwfl_module_getsymtab(mod);
	module_index(c, mod); /* sorting a big table took a first report 1-2 ms */
	if (!separate_debug_file(mod))
		dwfl_module_getdwarf(mod, &bias);
	return DWARF_CB_OK;
}

/* Whether every executable file maps has an entry in s's table. */
static bool all_files_shared(struct symbolizer *s, const struct proc_maps *maps)
{
	for (int i = 0; i < maps->n; i++) {
		const struct proc_mapping *m = &maps->v[i];

		if (m->perms[2] == 'x' && m->path[0] == '/' && !shared_elf_has(&s->elfs, m))
			return false;
	}
	return true;
}

/*
 * dwfl_getmodules callback: enters each ELF file a warmed process opened
 * in its owner's table, opened again for it: libdwfl closes a module's
 * file only when it ends the last reference to its Elf, so an Elf of its
 * own that the table kept would keep its file open for good.
 */
static int share_module(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr start, void *arg)
{
	struct cached_process *c = arg;
	const struct proc_mapping *m = proc_maps_find(c->maps, name);
	const char *mainfile = NULL;

	(void)userdata, (void)start;
	dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, &mainfile, NULL);
	if (m && mainfile && !shared_elf_has(&c->owner->elfs, m))
		enter_file(c, m);
	return DWARF_CB_OK;
}

/*
 * Another thread's warming runs the slow part (opening and parsing
 * binaries not seen before) outside the lock on a Dwfl of its own, with
 * files of its own, which is then installed and its files shared: the
 * owner of s, unwinding under the lock meanwhile, never waits for it. A
 * process whose files are all open already, or one the owner warms, is
 * warmed in place, under the lock, its files shared from the start.
 */
void symbolizer_warm(struct symbolizer *s, pid_t pid, bool by_owner)
{
	struct cached_process built = {.pid = pid, .live = true, .owner = s}, *c;
	struct proc_maps *maps;
	bool present;
	int err;

	pthread_mutex_lock(&s->lock);
	present = find_slot(s, pid) != NULL;
	pthread_mutex_unlock(&s->lock);
	if (present || proc_maps_read(pid, &maps))
		return;
	pthread_mutex_lock(&s->lock);
	if (find_slot(s, pid)) {
		pthread_mutex_unlock(&s->lock);
		proc_maps_free(maps);
		return;
	}
	if (by_owner || all_files_shared(s, maps)) {
		c = new_slot(s, pid, maps, &err);
		if (c)
			dwfl_getmodules(c->dwfl, warm_module, c, 0);
		pthread_mutex_unlock(&s->lock);
		return;
	}
	pthread_mutex_unlock(&s->lock);
	built.checked_ns = monotonic_ns();
	if (report_process(&built, maps, NULL))
		return;
	dwfl_getmodules(built.dwfl, warm_module, &built, 0);
	pthread_mutex_lock(&s->lock);
	if (find_slot(s, pid)) {
		pthread_mutex_unlock(&s->lock);
		drop(&built);
		return;
	}
	c = free_slot(s);
	*c = built;
	c->last_use = ++s->clock;
	c->shares = true;
	dwfl_getmodules(c->dwfl, set_module_process, c, 0); /* find_elf's process is the slot now */
	dwfl_getmodules(c->dwfl, share_module, c, 0);
	pthread_mutex_unlock(&s->lock);
}

/*
 * dwfl_addrmodule, but only a module whose mapped range holds addr: libdwfl's
 * lookup table (reify_segments, elfutils 0.188) never ends a module that
 * starts exactly where the one before it ends, so that module also answers
 * for the unmapped gap after it, up to the next module. A library dlopen'd
 * into that gap was named as the module's last function (libcrypto's), and
 * the maps were not read again: the address was "in a module".
 */
static Dwfl_Module *addr_module(Dwfl *dwfl, Dwarf_Addr addr)
{
	Dwfl_Module *mod = dwfl_addrmodule(dwfl, addr);
	Dwarf_Addr low, high;

	if (mod && dwfl_module_info(mod, NULL, &low, &high, NULL, NULL, NULL, NULL) && (addr < low || addr >= high))
		return NULL;
	return mod;
}

/*
 * The module holding addr. None: the process may have mapped a library
 * since (Python imports C extensions lazily): re-read its maps, at most once
 * a REFRESH_NS, and rebuild the view when its mapped files changed.
 */
/* The executable mapping of c's maps addr lies in, NULL when none. */
static const struct proc_mapping *code_mapping(const struct cached_process *c, uint64_t addr)
{
	int i;

	for (i = 0; c->maps && i < c->maps->n; i++)
		if (addr >= c->maps->v[i].start && addr < c->maps->v[i].end && c->maps->v[i].perms[2] == 'x')
			return &c->maps->v[i];
	return NULL;
}

/* Code in an anonymous executable mapping is a JIT's (a JVM's code cache, V8's): in no file. */
static bool is_jit_mapping(const struct proc_mapping *m)
{
	return m && (!m->path[0] || strncmp(m->path, "[anon", 5) == 0);
}

static Dwfl_Module *find_module(struct cached_process *c, Dwarf_Addr addr)
{
	Dwfl_Module *mod = addr_module(c->dwfl, addr);
	struct proc_maps *now;
	uint64_t t = monotonic_ns();

	/* A JIT's code is in no file: no library mapped since to look for (a JVM's stacks are mostly that). */
	if (mod || !c->live || t - c->checked_ns < REFRESH_NS || is_jit_mapping(code_mapping(c, addr)))
		return mod;
	c->checked_ns = t;
	if (proc_maps_read(c->pid, &now))
		return NULL;
	if (proc_maps_same(now, c->maps)) {
		proc_maps_free(now);
		return NULL;
	}
	end_dwfl(c);
	if (report_process(c, now, NULL)) {
		drop(c);
		return NULL;
	}
	return addr_module(c->dwfl, addr);
}

struct symbolizer *symbolizer_from_maps(pid_t pid, const char *maps_path)
{
	struct symbolizer *s;
	struct cached_process *c;
	FILE *maps;
	int err;

	maps = fopen(maps_path, "re");
	if (!maps)
		return NULL;
	s = symbolizer_new(false);
	if (!s) {
		fclose(maps);
		errno = ENOMEM;
		return NULL;
	}
	c = &s->slots[0];
	c->pid = pid;
	err = report_process(c, NULL, maps);
	fclose(maps);
	if (err) {
		symbolizer_free(s);
		errno = -err;
		return NULL;
	}
	c->last_use = ++s->clock;
	return s;
}

/* ---- symbolization ------------------------------------------------------- */

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= 0x100000001b3ULL; /* FNV-1a prime */
	return h ^ (h >> 29);
}

/*
 * Where addr is for the symbol cache: its binary (the build-id, else this
 * Dwfl's copy only) and its address inside the ELF file, the same in every
 * process whatever the load address.
 */
static uint64_t cache_key(struct cached_process *c, Dwfl_Module *mod, Dwarf_Addr addr, Dwarf_Addr start,
			  uint64_t *offset)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a offset basis */
	const unsigned char *bits;
	GElf_Addr vaddr, bias;
	int len, i;

	/* loads the file, and with it the build-id */
	if (dwfl_module_getelf(mod, &bias)) {
		len = dwfl_module_build_id(mod, &bits, &vaddr);
		if (len > 0) {
			for (i = 0; i < len; i++)
				h = mix(h, bits[i]);
			*offset = addr - bias;
			return h ? h : 1;
		}
	}
	*offset = addr - start;
	h = mix(mix(h, c->generation), start);
	return h ? h : 1;
}

/* The module's GNU build-id in hex, to find its debug file later. */
static void put_build_id(Dwfl_Module *mod, struct stall_frame *out)
{
	const unsigned char *bits;
	GElf_Addr vaddr;
	int len = dwfl_module_build_id(mod, &bits, &vaddr), i;

	out->build_id[0] = '\0';
	for (i = 0; i < len && 2 * i + 2 < (int)sizeof(out->build_id); i++)
		sprintf(out->build_id + 2 * i, "%02x", bits[i]);
}

/*
 * An address without a symbol: the start of its function, from the table
 * of function starts every linked binary keeps for unwinding. So the
 * samples in one unnamed function of a stripped library count as one.
 */
static void function_start(Dwfl_Module *mod, Dwarf_Addr addr, struct cached_symbol *e)
{
	Dwarf_Addr bias;
	Elf *elf = dwfl_module_getelf(mod, &bias);
	const uint8_t *table;
	uint64_t base;
	uint32_t count;
	int64_t lo, hi, want;

	table = elf ? elf_function_table(elf, &base, &count) : NULL;
	if (!table)
		return;
	want = (int64_t)(addr - bias) - (int64_t)base;
	lo = 0;
	hi = (int64_t)count - 1;
	while (lo <= hi) { /* the last entry that starts at or before want */
		int64_t mid = (lo + hi) / 2;
		int32_t at = elf_function_table_start(table, (uint32_t)mid);

		if (at <= want) {
			e->in_function = true;
			e->function_at = base + (int64_t)at;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
}

/* The function at addr of mod, through its index when its table is big. */
static const char *function_at(struct cached_process *c, Dwfl_Module *mod, Dwarf_Addr addr, GElf_Off *off)
{
	struct symbol_index *ix = module_index(c, mod);
	GElf_Sym sym;

	if (ix)
		return symbol_index_lookup(ix, mod, addr, off);
	return dwfl_module_addrinfo(mod, addr, off, &sym, NULL, NULL, NULL);
}

/* Resolves addr in mod into e: the slow part, once per binary and address. */
static void resolve(struct cached_process *c, Dwfl_Module *mod, Dwarf_Addr addr, struct cached_symbol *e)
{
	const char *name, *file;
	Dwfl_Line *line;
	GElf_Off off;
	int lineno = 0;

	GElf_Addr bias;

	e->named = false;
	e->in_function = false;
	e->has_entry = false;
	e->line = 0;
	e->file[0] = '\0';
	name = function_at(c, mod, addr, &off);
	if (name) {
		demangle(name, e->function, sizeof(e->function));
		e->named = true;
		e->into = off;
		e->has_entry = true;
	} else {
		function_start(mod, addr, e);
		if (e->in_function && dwfl_module_getelf(mod, &bias)) {
			e->into = addr - bias - e->function_at;
			e->has_entry = true;
		}
	}
	line = separate_debug_file(mod) ? NULL : dwfl_module_getsrc(mod, addr);
	if (line) {
		file = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
		if (file) {
			snprintf(e->file, sizeof(e->file), "%s", file);
			e->line = lineno;
		}
	}
}

/* symbolize_ip() with the lock held. */
static bool symbolize_locked(struct symbolizer *s, pid_t pid, uint64_t ip, bool is_return, struct stall_frame *out)
{
	/* A return address points after the call: look up the call itself. */
	Dwarf_Addr addr = is_return && ip ? ip - 1 : ip, start;
	struct cached_process *c;
	struct cached_symbol *e;
	const char *modname;
	Dwfl_Module *mod;
	uint64_t binary, offset;
	int err;

	out->kind = FRAME_NATIVE;
	out->ip = ip;
	snprintf(out->function, sizeof(out->function), "0x%llx", (unsigned long long)ip);
	/* Past the user address space: garbage from a frame-pointer walk. */
	if (addr >= 0x800000000000ULL)
		return false;
	c = lookup(s, pid, &err);
	if (!c)
		return false;
	mod = find_module(c, addr);
	if (!mod) {
		const struct proc_mapping *m = code_mapping(c, addr);

		/* [vdso] is the kernel's */
		if (is_jit_mapping(m))
			snprintf(out->module, sizeof(out->module), "[jit]");
		else if (m && m->path[0] == '[')
			snprintf(out->module, sizeof(out->module), "%s", m->path);
		return false;
	}
	modname = dwfl_module_info(mod, NULL, &start, NULL, NULL, NULL, NULL, NULL);
	if (modname)
		snprintf(out->module, sizeof(out->module), "%s", modname);
	binary = cache_key(c, mod, addr, start, &offset);
	put_build_id(mod, out);
	e = &s->symbols[mix(binary, offset) % SYMBOL_SLOTS];
	if (e->binary != binary || e->offset != offset) {
		e->binary = binary;
		e->offset = offset;
		resolve(c, mod, addr, e);
	}
	if (e->has_entry)
		out->entry = addr - e->into;
	if (e->named)
		snprintf(out->function, sizeof(out->function), "%s", e->function);
	else /* for eu-addr2line -e MODULE later: its function's start, else the address, inside the file */
		snprintf(out->function, sizeof(out->function), "%s+0x%llx", base_name(out->module),
			 (unsigned long long)(e->in_function ? e->function_at : offset));
	if (e->file[0]) {
		snprintf(out->file, sizeof(out->file), "%s", e->file);
		out->line = e->line;
	}
	return e->named;
}

bool symbolize_ip(struct symbolizer *s, pid_t pid, uint64_t ip, bool is_return, struct stall_frame *out)
{
	bool named;

	pthread_mutex_lock(&s->lock);
	named = symbolize_locked(s, pid, ip, is_return, out);
	pthread_mutex_unlock(&s->lock);
	return named;
}

/* ---- unwinding ----------------------------------------------------------- */

/* The cached page of the live target at page_addr, reading it on a miss. */
static const uint8_t *live_page(struct symbolizer *s, pid_t pid, uint64_t page_addr)
{
	struct stack_page *p;
	struct iovec local, remote;
	unsigned int i;

	for (i = 0; i < STACK_PAGES; i++)
		if (s->pages[i].valid && s->pages[i].addr == page_addr)
			return s->pages[i].bytes;
	p = &s->pages[s->next_page];
	s->next_page = (s->next_page + 1) % STACK_PAGES;
	local.iov_base = p->bytes;
	local.iov_len = STACK_PAGE_SIZE;
	remote.iov_base = (void *)(uintptr_t)page_addr;
	remote.iov_len = STACK_PAGE_SIZE;
	p->valid = process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)STACK_PAGE_SIZE;
	p->addr = page_addr;
	return p->valid ? p->bytes : NULL;
}

static int read_live(struct symbolizer *s, pid_t pid, uint64_t addr, uint64_t *word)
{
	uint8_t bytes[8];
	size_t done = 0;

	if (addr > UINT64_MAX - sizeof(bytes))
		return -EFAULT;
	/* a word may straddle two pages */
	while (done < sizeof(bytes)) {
		uint64_t a = addr + done;
		uint64_t off = a % STACK_PAGE_SIZE;
		const uint8_t *page = live_page(s, pid, a - off);
		size_t n = sizeof(bytes) - done;

		if (!page)
			return -EFAULT;
		if (n > STACK_PAGE_SIZE - off)
			n = STACK_PAGE_SIZE - off;
		memcpy(bytes + done, page + off, n);
		done += n;
	}
	memcpy(word, bytes, sizeof(bytes));
	return 0;
}

static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct cached_process *c = arg;
	uint64_t word;
	int err;

	(void)dwfl;
	if (c->call.read)
		err = c->call.read(c->call.ctx, addr, &word);
	else
		err = read_live(c->owner, c->pid, addr, &word);
	if (err)
		return false;
	*result = word;
	return true;
}

/* Only ever the one thread of the current call. */
static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	(void)dwfl;
	(void)arg;
	(void)thread_argp;
	return 0;
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	struct cached_process *c = arg;

	(void)dwfl;
	*thread_argp = c;
	return tid == c->call.tid;
}

static bool set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	struct cached_process *c = arg;
	Dwarf_Word regs[LS_NR_REGS];
	int i;

	for (i = 0; i < LS_NR_REGS; i++)
		regs[i] = c->call.regs->r[i];
	dwfl_thread_state_register_pc(thread, regs[REG_PC]);
	return dwfl_thread_state_registers(thread, 0, LS_NR_REGS, regs);
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = next_thread,
	.get_thread = get_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

static int take_frame(Dwfl_Frame *frame, void *arg)
{
	struct unwind_call *call = arg;
	Dwarf_Addr pc;
	Dwarf_Word sp, bp = 0;

	if (!dwfl_frame_pc(frame, &pc, NULL) || pc == 0)
		return DWARF_CB_ABORT;
	/* Callers live higher on the stack: a CFA that does not grow is a loop. */
	if (dwfl_frame_reg(frame, 7, &sp) == 0) {
		if (call->n > 0 && sp <= call->last_sp)
			return DWARF_CB_ABORT;
		call->last_sp = sp;
	}
	if (call->fps && dwfl_frame_reg(frame, 6, &bp) != 0)
		bp = 0;
	if (call->fps)
		call->fps[call->n] = bp;
	call->ips[call->n++] = pc;
	return call->n < call->max ? DWARF_CB_OK : DWARF_CB_ABORT;
}

/* One walk of c's thread from regs: the count, or -errno. */
static int unwind_once(struct symbolizer *s, struct cached_process *c, pid_t tid, const struct unwind_regs *regs,
		       unwind_read_fn read, void *ctx, uint64_t *ips, uint64_t *fps, int max)
{
	unsigned int i;

	if (!c->attached) {
		if (!dwfl_attach_state(c->dwfl, NULL, c->pid, &thread_callbacks, c))
			return -ENOEXEC; /* none of its binaries could be opened */
		c->attached = true;
	}
	for (i = 0; i < STACK_PAGES; i++)
		s->pages[i].valid = false; /* the target ran since the last call */
	c->call = (struct unwind_call){
		.tid = tid,
		.regs = regs,
		.read = read,
		.ctx = ctx,
		.ips = ips,
		.fps = fps,
		.max = max,
	};
	/* Ends in an error when a frame has no CFI: the frames before it stand. */
	dwfl_getthread_frames(c->dwfl, tid, take_frame, &c->call);
	if (c->call.n == 0) {
		if (fps)
			fps[0] = regs->r[REG_FP];
		ips[c->call.n++] = regs->r[REG_PC];
	}
	return c->call.n;
}

int unwind_stack(struct symbolizer *s, pid_t pid, pid_t tid, const struct unwind_regs *regs, unwind_read_fn read,
		 void *ctx, uint64_t *ips, int max)
{
	return unwind_stack_fp(s, pid, tid, regs, read, ctx, ips, NULL, max);
}

int unwind_stack_fp(struct symbolizer *s, pid_t pid, pid_t tid, const struct unwind_regs *regs, unwind_read_fn read,
		    void *ctx, uint64_t *ips, uint64_t *fps, int max)
{
	struct cached_process *c;
	uint64_t generation;
	int err = 0, n;

	if (!s || !regs || !ips || max < 1)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	c = lookup(s, pid, &err);
	if (!c) {
		pthread_mutex_unlock(&s->lock);
		return err;
	}
	/* mapped since the view was built: rebuild it before attaching */
	find_module(c, regs->r[REG_PC]);
	n = c->dwfl ? unwind_once(s, c, tid, regs, read, ctx, ips, fps, max) : -ESRCH;
	/*
	 * The walk stopped at an address in no module: a library mapped since
	 * (dlopen). When that rebuilds the view, walk again.
	 */
	if (n > 0 && n < max && c->dwfl && !addr_module(c->dwfl, ips[n - 1] - (n > 1))) {
		generation = c->generation;
		find_module(c, ips[n - 1] - (n > 1));
		if (c->dwfl && c->generation != generation)
			n = unwind_once(s, c, tid, regs, read, ctx, ips, fps, max);
	}
	pthread_mutex_unlock(&s->lock);
	return n;
}

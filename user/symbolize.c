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
#include <errno.h>
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

#include "demangle.h"
#include "perf_map.h"
#include "symbolize.h"

#define CACHE_SLOTS	32
#define STACK_PAGES	8
#define STACK_PAGE_SIZE 4096ULL
#define SYMBOL_SLOTS	1024

/* What the current unwind_stack() call unwinds; repointed on every call. */
struct unwind_call {
	pid_t tid;
	const struct unwind_regs *regs;
	unwind_read_fn read; /* NULL: the live process */
	void *ctx;
	uint64_t *ips;
	int max;
	int n;
	uint64_t last_sp;
};

struct cached_process {
	pid_t pid;
	bool live; /* false: reported from a maps file, binaries opened by path */
	Dwfl *dwfl;
	bool attached;	     /* dwfl_attach_state() done: allowed once per Dwfl */
	bool refreshed;	     /* rebuilt once for an unknown address already */
	uint64_t generation; /* tells this Dwfl's modules apart in the symbol cache */
	uint64_t last_use;
	struct unwind_call call;
	struct symbolizer *owner;
	struct perf_map *jit; /* the JIT's /tmp/perf-PID.map, if it writes one */
	bool jit_missing;
	time_t started; /* the process's start, to tell its perf map from a stale one */
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
	int line;
	char function[128];
	char file[256];
};

struct symbolizer {
	struct cached_process slots[CACHE_SLOTS];
	uint64_t clock;
	uint64_t generations;
	struct cached_symbol symbols[SYMBOL_SLOTS];
	struct stack_page pages[STACK_PAGES];
	unsigned int next_page;
};

/* ---- finding a process's binaries ---------------------------------------- */

/* First line of /proc/PID/maps mapping exactly name: its range, device and inode. */
static int find_mapping(pid_t pid, const char *name, uint64_t *start, uint64_t *end, unsigned int *dmajor,
			unsigned int *dminor, uint64_t *ino)
{
	char path[64], *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int err = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while ((len = getline(&line, &cap, f)) > 0) {
		int pos = 0;

		if (line[len - 1] == '\n')
			line[len - 1] = '\0';
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %*s %*x %x:%x %" SCNu64 " %n", start, end, dmajor, dminor,
			   ino, &pos) < 5 ||
		    pos <= 0)
			continue;
		if (strcmp(line + pos + strspn(line + pos, " \t"), name) == 0) {
			err = 0;
			break;
		}
	}
	free(line);
	fclose(f);
	return err;
}

static int open_returning_name(const char *path, char **file_name)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	*file_name = strdup(path);
	if (!*file_name) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * The file pid really maps as name: through /proc/PID/root when it is still
 * the mapped inode (the process may live in another mount namespace), else
 * through /proc/PID/map_files (deleted or replaced binaries). -1 when neither.
 */
static int open_mapped_file(pid_t pid, const char *name, char **file_name)
{
	unsigned int dmajor, dminor;
	uint64_t start, end, ino;
	char path[PATH_MAX + 64];
	struct stat st;
	int fd;

	if (find_mapping(pid, name, &start, &end, &dmajor, &dminor, &ino))
		return -1;
	if (!strstr(name, " (deleted)")) {
		snprintf(path, sizeof(path), "/proc/%d/root%s", pid, name);
		fd = open_returning_name(path, file_name);
		if (fd >= 0) {
			if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_ino == ino &&
			    major(st.st_dev) == dmajor && minor(st.st_dev) == dminor)
				return fd;
			free(*file_name);
			*file_name = NULL;
			close(fd);
		}
	}
	snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, pid, start, end);
	return open_returning_name(path, file_name);
}

/* Dwfl_Callbacks.find_elf: our process-aware opening, then libdwfl's (vDSO, plain paths). */
static int find_elf(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr base, char **file_name, Elf **elfp)
{
	struct cached_process *c = *userdata;

	if (c && c->live && name[0] == '/') {
		int fd = open_mapped_file(c->pid, name, file_name);

		if (fd >= 0)
			return fd;
	}
	return dwfl_linux_proc_find_elf(mod, userdata, name, base, file_name, elfp);
}

/*
 * Debug info only from the binaries themselves, never from separate debug
 * files: decompressing libc's (libc6-dbg) alone costs ~55 ms of a stall's
 * first report, for line numbers inside libc that name nothing of the app.
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

/* dwfl_getmodules callback: hands each module its process, for find_elf. */
static int set_module_process(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr base, void *arg)
{
	(void)mod;
	(void)name;
	(void)base;
	*userdata = arg;
	return DWARF_CB_OK;
}

/* Builds c's Dwfl from /proc/PID/maps, or from maps when given. */
static int report_process(struct cached_process *c, FILE *maps)
{
	Dwfl *dwfl = dwfl_begin(&proc_callbacks);
	int err;

	if (!dwfl)
		return -ENOMEM;
	err = maps ? dwfl_linux_proc_maps_report(dwfl, maps) : dwfl_linux_proc_report(dwfl, c->pid);
	if (err == 0 && dwfl_report_end(dwfl, NULL, NULL) != 0)
		err = EINVAL;
	if (err) {
		dwfl_end(dwfl);
		/* libdwfl returns a positive errno, or -1 for its own errors */
		return err > 0 ? -err : -ESRCH;
	}
	dwfl_getmodules(dwfl, set_module_process, c, 0);
	c->dwfl = dwfl;
	c->attached = false;
	c->generation = ++c->owner->generations;
	return 0;
}

/* ---- the per-process cache ----------------------------------------------- */

struct symbolizer *symbolizer_new(void)
{
	struct symbolizer *s = calloc(1, sizeof(struct symbolizer));
	int i;

	if (s)
		for (i = 0; i < CACHE_SLOTS; i++)
			s->slots[i].owner = s;
	return s;
}

static void drop(struct cached_process *c)
{
	struct symbolizer *owner = c->owner;

	if (c->dwfl)
		dwfl_end(c->dwfl);
	perf_map_free(c->jit);
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
	free(s);
}

void symbolizer_forget(struct symbolizer *s, pid_t pid)
{
	int i;

	for (i = 0; i < CACHE_SLOTS; i++)
		if (s->slots[i].dwfl && s->slots[i].pid == pid)
			drop(&s->slots[i]);
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

/* The cached view of pid's mappings, building it on first use. */
static struct cached_process *lookup(struct symbolizer *s, pid_t pid, int *err)
{
	struct cached_process *c;
	int i;

	for (i = 0; i < CACHE_SLOTS; i++) {
		c = &s->slots[i];
		if (c->dwfl && c->pid == pid) {
			c->last_use = ++s->clock;
			return c;
		}
	}
	c = free_slot(s);
	c->pid = pid;
	c->live = true;
	*err = report_process(c, NULL);
	if (*err) {
		drop(c);
		return NULL;
	}
	c->last_use = ++s->clock;
	return c;
}

static int warm_module(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr start, void *arg)
{
	Dwarf_Addr bias;

	(void)userdata, (void)name, (void)start, (void)arg;
	dwfl_module_getsymtab(mod);
	dwfl_module_getdwarf(mod, &bias);
	return DWARF_CB_OK;
}

void symbolizer_warm(struct symbolizer *s, pid_t pid)
{
	struct cached_process *c;
	int err;

	c = lookup(s, pid, &err);
	if (c)
		dwfl_getmodules(c->dwfl, warm_module, NULL, 0);
}

/* The module holding addr; rebuilds the view once if none does (dlopen, JIT since). */
static Dwfl_Module *find_module(struct cached_process *c, Dwarf_Addr addr)
{
	Dwfl_Module *mod = dwfl_addrmodule(c->dwfl, addr);

	if (mod || c->refreshed || !c->live)
		return mod;
	c->refreshed = true;
	dwfl_end(c->dwfl);
	c->dwfl = NULL;
	if (report_process(c, NULL)) {
		drop(c);
		return NULL;
	}
	return dwfl_addrmodule(c->dwfl, addr);
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
	s = symbolizer_new();
	if (!s) {
		fclose(maps);
		errno = ENOMEM;
		return NULL;
	}
	c = &s->slots[0];
	c->pid = pid;
	err = report_process(c, maps);
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

/* Resolves addr in mod into e: the slow part, once per binary and address. */
static void resolve(Dwfl_Module *mod, Dwarf_Addr addr, struct cached_symbol *e)
{
	const char *name, *file;
	Dwfl_Line *line;
	GElf_Off off;
	GElf_Sym sym;
	int lineno = 0;

	e->named = false;
	e->line = 0;
	e->file[0] = '\0';
	name = dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL, NULL);
	if (name) {
		demangle(name, e->function, sizeof(e->function));
		e->named = true;
	}
	line = dwfl_module_getsrc(mod, addr);
	if (line) {
		file = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
		if (file) {
			snprintf(e->file, sizeof(e->file), "%s", file);
			e->line = lineno;
		}
	}
}

/* JIT code is in no file: name it from the perf map, (re)loading the map when it has grown. */
static const char *jit_lookup(struct cached_process *c, uint64_t addr)
{
	char path[64];
	const char *name = NULL;
	struct stat st;

	if (c->jit)
		name = perf_map_lookup(c->jit, addr);
	if (name || !c->live)
		return name;
	if (!c->started)
		c->started = process_start_time(c->pid);
	if (!perf_map_find(c->pid, c->started, path, sizeof(path), &st)) {
		c->jit_missing = true;
		return NULL;
	}
	c->jit_missing = false;
	if (c->jit && (uint64_t)st.st_size <= perf_map_bytes(c->jit))
		return NULL;
	perf_map_free(c->jit);
	c->jit = NULL;
	if (perf_map_load(path, &c->jit))
		return NULL;
	return perf_map_lookup(c->jit, addr);
}

void symbolize_ip(struct symbolizer *s, pid_t pid, uint64_t ip, bool is_return, struct stall_frame *out)
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
		return;
	c = lookup(s, pid, &err);
	if (!c)
		return;
	mod = find_module(c, addr);
	if (!mod) {
		const char *jit = jit_lookup(c, addr);

		if (jit) {
			out->kind = FRAME_JS;
			snprintf(out->function, sizeof(out->function), "%s", jit);
		}
		return;
	}
	modname = dwfl_module_info(mod, NULL, &start, NULL, NULL, NULL, NULL, NULL);
	if (modname)
		snprintf(out->module, sizeof(out->module), "%s", modname);
	binary = cache_key(c, mod, addr, start, &offset);
	e = &s->symbols[mix(binary, offset) % SYMBOL_SLOTS];
	if (e->binary != binary || e->offset != offset) {
		e->binary = binary;
		e->offset = offset;
		resolve(mod, addr, e);
	}
	if (e->named) {
		snprintf(out->function, sizeof(out->function), "%s", e->function);
	} else {
		/* Code copied into a module's range at run time (node's interpreter trampolines). */
		const char *jit = jit_lookup(c, addr);

		if (jit) {
			out->kind = FRAME_JS;
			out->module[0] = 0;
			snprintf(out->function, sizeof(out->function), "%s", jit);
		}
	}
	if (e->file[0]) {
		snprintf(out->file, sizeof(out->file), "%s", e->file);
		out->line = e->line;
	}
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
	Dwarf_Word regs[17];
	int i;

	for (i = 0; i < 17; i++)
		regs[i] = c->call.regs->r[i];
	dwfl_thread_state_register_pc(thread, regs[16]);
	return dwfl_thread_state_registers(thread, 0, 17, regs);
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
	Dwarf_Word sp;

	if (!dwfl_frame_pc(frame, &pc, NULL) || pc == 0)
		return DWARF_CB_ABORT;
	/* Callers live higher on the stack: a CFA that does not grow is a loop. */
	if (dwfl_frame_reg(frame, 7, &sp) == 0) {
		if (call->n > 0 && sp <= call->last_sp)
			return DWARF_CB_ABORT;
		call->last_sp = sp;
	}
	call->ips[call->n++] = pc;
	return call->n < call->max ? DWARF_CB_OK : DWARF_CB_ABORT;
}

int unwind_stack(struct symbolizer *s, pid_t pid, pid_t tid, const struct unwind_regs *regs, unwind_read_fn read,
		 void *ctx, uint64_t *ips, int max)
{
	struct cached_process *c;
	unsigned int i;
	int err = 0;

	if (!s || !regs || !ips || max < 1)
		return -EINVAL;
	c = lookup(s, pid, &err);
	if (!c)
		return err;
	/* mapped since the view was built: rebuild it before attaching */
	find_module(c, regs->r[16]);
	if (!c->dwfl)
		return -ESRCH;
	if (!c->attached) {
		if (!dwfl_attach_state(c->dwfl, NULL, pid, &thread_callbacks, c))
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
		.max = max,
	};
	/* Ends in an error when a frame has no CFI: the frames before it stand. */
	dwfl_getthread_frames(c->dwfl, tid, take_frame, &c->call);
	if (c->call.n == 0)
		ips[c->call.n++] = regs->r[16];
	return c->call.n;
}

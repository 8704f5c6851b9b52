// SPDX-License-Identifier: GPL-2.0
/*
 * Locating CPython inside a process: which mapped file defines _PyRuntime,
 * where that symbol is at run time, and which version the interpreter is.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/proc.h"
#include "runtimes/python/elf.h"

#define MAX_CANDIDATES 8

/* Symbols looked up in one file. */
struct elf_syms {
	const char *const *names; /* wanted symbols */
	uint64_t value[2];	  /* st_value of names[i], 0 if absent */
	bool is_exec;		  /* ET_EXEC: symbols are absolute */
	uint64_t bias;		  /* load bias for ET_DYN */
};

bool py_is_python_file(const char *path)
{
	const char *base = base_name(path);

	/* "python3.11", "libpython3.11.so.1.0", "python3", "pypy3" ... */
	return !strncmp(base, "python", 6) || !strncmp(base, "libpython", 9) || !strncmp(base, "pypy", 4);
}

/* glibc's "libc.so.6" (or "libc-2.31.so" before glibc 2.34) */
static bool looks_like_libc(const char *path)
{
	const char *base = base_name(path);

	return !strncmp(base, "libc.so", 7) || !strncmp(base, "libc-2.", 7);
}

static void version_from_name(const char *path, int *major, int *minor)
{
	const char *s = strstr(base_name(path), "python");
	int ma, mi;

	if (s && sscanf(s, "python%d.%d", &ma, &mi) == 2) {
		*major = ma;
		*minor = mi;
	}
}

/* The first (lowest) mapping of each distinct file of maps that match(). */
static int find_candidates(const struct proc_maps *maps, bool (*match)(const char *path),
			   const struct proc_mapping **c, int max)
{
	int n = 0, i, j;

	for (i = 0; i < maps->n && n < max; i++) {
		const struct proc_mapping *m = &maps->v[i];

		if (m->path[0] != '/' || !match(m->path))
			continue;
		for (j = 0; j < n; j++)
			if (!strcmp(c[j]->path, m->path))
				break;
		if (j == n)
			c[n++] = m;
	}
	return n;
}

static void scan_symbols(Elf *elf, struct elf_syms *s)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;
		size_t i, j, n;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_DYNSYM && sh.sh_type != SHT_SYMTAB))
			continue;
		data = elf_getdata(scn, NULL);
		if (!data || !sh.sh_entsize)
			continue;
		n = sh.sh_size / sh.sh_entsize;
		for (i = 0; i < n; i++) {
			GElf_Sym sym;
			const char *name;

			if (!gelf_getsym(data, i, &sym) || sym.st_shndx == SHN_UNDEF)
				continue;
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (!name)
				continue;
			for (j = 0; j < 2 && s->names[j]; j++)
				if (!s->value[j] && !strcmp(name, s->names[j]))
					s->value[j] = sym.st_value;
		}
	}
}

/*
 * Load bias of a shared object / PIE: the mapping at file offset c->offset
 * starts at c->start, and the PT_LOAD holding that offset says which virtual
 * address the file wants there.
 */
static int load_bias(Elf *elf, const struct proc_mapping *c, uint64_t *bias)
{
	size_t i, n;

	if (elf_getphdrnum(elf, &n))
		return -ENOEXEC;
	for (i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		/* p_vaddr - p_offset is a multiple of the page size */
		if (c->offset >= (ph.p_offset & ~0xfffULL) && c->offset < ph.p_offset + ph.p_filesz) {
			*bias = c->start - c->offset - (ph.p_vaddr - ph.p_offset);
			return 0;
		}
	}
	return -ENOEXEC;
}

/* Looks up s->names (up to 2, NULL-terminated) in the file of c. */
static int inspect_file(pid_t pid, const struct proc_mapping *c, struct elf_syms *s)
{
	GElf_Ehdr eh;
	Elf *elf;
	int fd, err = 0;

	s->value[0] = s->value[1] = 0;
	s->bias = 0;
	fd = proc_open_mapped(pid, c, NULL, 0);
	if (fd < 0)
		return fd;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || !gelf_getehdr(elf, &eh)) {
		err = -ENOEXEC;
		goto out;
	}
	scan_symbols(elf, s);
	s->is_exec = eh.e_type == ET_EXEC;
	if (s->value[0] && !s->is_exec)
		err = load_bias(elf, c, &s->bias);
out:
	if (elf)
		elf_end(elf);
	close(fd);
	return err;
}

/* Py_Version (3.11+) holds PY_VERSION_HEX, e.g. 0x030b04f0 for 3.11.4. */
static void version_from_memory(pid_t pid, uint64_t addr, int *major, int *minor)
{
	uint64_t v = 0;
	struct iovec local = {&v, sizeof(v)};
	struct iovec remote = {(void *)(uintptr_t)addr, sizeof(v)};

	if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != (ssize_t)sizeof(v))
		return;
	if (((v >> 24) & 0xff) == 3) {
		*major = 3;
		*minor = (v >> 16) & 0xff;
	}
}

int py_elf_find(pid_t pid, const struct proc_maps *maps, struct py_elf_info *info)
{
	static const char *const names[] = {"_PyRuntime", "Py_Version", NULL};
	const struct proc_mapping *c[MAX_CANDIDATES];
	bool saw_python = false;
	int n, i, err = -ENOENT;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ELIBBAD;
	n = find_candidates(maps, py_is_python_file, c, MAX_CANDIDATES);
	for (i = 0; i < n; i++) {
		struct elf_syms s = {.names = names};
		uint64_t bias;
		int r;

		saw_python = true;
		r = inspect_file(pid, c[i], &s);
		if (r < 0) {
			err = r;
			continue;
		}
		if (!s.value[0])
			continue; /* e.g. the executable of a --enable-shared build */
		bias = s.is_exec ? 0 : s.bias;
		memset(info, 0, sizeof(*info));
		/* same size: the precision only keeps gcc's truncation check quiet */
		snprintf(info->path, sizeof(info->path), "%.*s", (int)sizeof(info->path) - 1, c[i]->path);
		info->runtime_addr = s.value[0] + bias;
		version_from_name(c[i]->path, &info->major, &info->minor);
		if (s.value[1])
			version_from_memory(pid, s.value[1] + bias, &info->major, &info->minor);
		return 0;
	}
	/* Python-looking files without _PyRuntime: 2.7, 3.6, or unreadable files */
	if (saw_python && err == -ENOENT)
		return -EPROTONOSUPPORT;
	return err;
}

int py_elf_libc_symbol(pid_t pid, const struct proc_maps *maps, const char *name, uint64_t *addr)
{
	const char *names[] = {name, NULL};
	const struct proc_mapping *c[MAX_CANDIDATES];
	int n, i, err = -ENOENT;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ELIBBAD;
	n = find_candidates(maps, looks_like_libc, c, MAX_CANDIDATES);
	for (i = 0; i < n; i++) {
		struct elf_syms s = {.names = names};
		int r = inspect_file(pid, c[i], &s);

		if (r < 0) {
			err = r;
			continue;
		}
		if (s.value[0]) {
			*addr = s.value[0] + (s.is_exec ? 0 : s.bias);
			return 0;
		}
	}
	return err;
}

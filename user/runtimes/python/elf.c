// SPDX-License-Identifier: GPL-2.0
/*
 * Locating CPython inside a process: which mapped file defines _PyRuntime,
 * where that symbol is at run time, and which version the interpreter is.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>

#include "base/proc.h"
#include "runtimes/python/elf.h"
#include "symbols/elf_symbols.h"

#define MAX_CANDIDATES 8

/* Symbols looked up in one file. */
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
	static const char *const names[] = {"_PyRuntime", "Py_Version"};
	const struct proc_mapping *c[MAX_CANDIDATES];
	bool saw_python = false;
	int n, i, err = -ENOENT;

	n = find_candidates(maps, py_is_python_file, c, MAX_CANDIDATES);
	for (i = 0; i < n; i++) {
		uint64_t addrs[2];
		int r;

		saw_python = true;
		r = elf_symbol_addresses(pid, c[i], names, addrs, 2);
		if (r < 0) {
			err = r;
			continue;
		}
		if (!addrs[0])
			continue; /* e.g. the executable of a --enable-shared build */
		memset(info, 0, sizeof(*info));
		/* same size: the precision only keeps gcc's truncation check quiet */
		snprintf(info->path, sizeof(info->path), "%.*s", (int)sizeof(info->path) - 1, c[i]->path);
		info->runtime_addr = addrs[0];
		version_from_name(c[i]->path, &info->major, &info->minor);
		if (addrs[1])
			version_from_memory(pid, addrs[1], &info->major, &info->minor);
		return 0;
	}
	/* Python-looking files without _PyRuntime: 2.7, 3.6, or unreadable files */
	if (saw_python && err == -ENOENT)
		return -EPROTONOSUPPORT;
	return err;
}

int py_elf_libc_symbol(pid_t pid, const struct proc_maps *maps, const char *name, uint64_t *addr)
{
	const char *names[] = {name};
	const struct proc_mapping *c[MAX_CANDIDATES];
	int n, i, err = -ENOENT;

	n = find_candidates(maps, looks_like_libc, c, MAX_CANDIDATES);
	for (i = 0; i < n; i++) {
		int r = elf_symbol_addresses(pid, c[i], names, addr, 1);

		if (r < 0) {
			err = r;
			continue;
		}
		if (*addr)
			return 0;
	}
	return err;
}

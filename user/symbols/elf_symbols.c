// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <gelf.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "symbols/elf_symbols.h"

static void scan_symbols(Elf *elf, const char *const *names, uint64_t *values, int n)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;
		size_t i, count;
		int j;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_DYNSYM && sh.sh_type != SHT_SYMTAB))
			continue;
		data = elf_getdata(scn, NULL);
		if (!data || !sh.sh_entsize)
			continue;
		count = sh.sh_size / sh.sh_entsize;
		for (i = 0; i < count; i++) {
			GElf_Sym sym;
			const char *name;

			if (!gelf_getsym(data, i, &sym) || sym.st_shndx == SHN_UNDEF)
				continue;
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (!name)
				continue;
			for (j = 0; j < n; j++)
				if (!values[j] && !strcmp(name, names[j]))
					values[j] = sym.st_value;
		}
	}
}

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

int elf_symbol_addresses(pid_t pid, const struct proc_mapping *m, const char *const *names, uint64_t *addrs, int n)
{
	GElf_Ehdr eh;
	uint64_t bias = 0;
	bool any = false;
	Elf *elf;
	int fd, err = 0, i;

	memset(addrs, 0, n * sizeof(addrs[0]));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ELIBBAD;
	fd = proc_open_mapped(pid, m, NULL, 0);
	if (fd < 0)
		return fd;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || !gelf_getehdr(elf, &eh)) {
		err = -ENOEXEC;
		goto out;
	}
	scan_symbols(elf, names, addrs, n);
	for (i = 0; i < n; i++)
		any |= addrs[i] != 0;
	/* ET_EXEC: the symbols are absolute */
	if (any && eh.e_type != ET_EXEC)
		err = load_bias(elf, m, &bias);
	for (i = 0; i < n && !err; i++)
		if (addrs[i])
			addrs[i] += bias;
out:
	if (elf)
		elf_end(elf);
	close(fd);
	if (err)
		memset(addrs, 0, n * sizeof(addrs[0]));
	return err;
}

// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* The file m maps, opened with libelf: 0 and *elf, *fd; or -errno. */
static int open_elf(pid_t pid, const struct proc_mapping *m, Elf **elf, int *fd)
{
	GElf_Ehdr eh;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ELIBBAD;
	*fd = proc_open_mapped(pid, m, NULL, 0);
	if (*fd < 0)
		return *fd;
	*elf = elf_begin(*fd, ELF_C_READ, NULL);
	if (*elf && gelf_getehdr(*elf, &eh))
		return 0;
	if (*elf)
		elf_end(*elf);
	*elf = NULL;
	close(*fd);
	return -ENOEXEC;
}

/* The load bias of m's file: 0 for ET_EXEC, whose addresses are absolute. */
static int bias_of(Elf *elf, const struct proc_mapping *m, uint64_t *bias)
{
	GElf_Ehdr eh;

	*bias = 0;
	if (!gelf_getehdr(elf, &eh))
		return -ENOEXEC;
	return eh.e_type == ET_EXEC ? 0 : load_bias(elf, m, bias);
}

int elf_symbol_addresses(pid_t pid, const struct proc_mapping *m, const char *const *names, uint64_t *addrs, int n)
{
	uint64_t bias = 0;
	bool any = false;
	Elf *elf;
	int fd, err, i;

	memset(addrs, 0, n * sizeof(addrs[0]));
	err = open_elf(pid, m, &elf, &fd);
	if (err)
		return err;
	scan_symbols(elf, names, addrs, n);
	for (i = 0; i < n; i++)
		any |= addrs[i] != 0;
	if (any)
		err = bias_of(elf, m, &bias);
	for (i = 0; i < n && !err; i++)
		if (addrs[i])
			addrs[i] += bias;
	elf_end(elf);
	close(fd);
	if (err)
		memset(addrs, 0, n * sizeof(addrs[0]));
	return err;
}

const uint8_t *elf_function_table(Elf *elf, uint64_t *base, uint32_t *count)
{
	const unsigned char *hdr = NULL;
	size_t nphdr, i, len = 0;

	if (elf_getphdrnum(elf, &nphdr))
		return NULL;
	for (i = 0; i < nphdr && !hdr; i++) {
		GElf_Phdr ph;
		Elf_Data *d;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_GNU_EH_FRAME)
			continue;
		d = elf_getdata_rawchunk(elf, (int64_t)ph.p_offset, ph.p_filesz, ELF_T_BYTE);
		if (d && d->d_buf) {
			hdr = d->d_buf;
			len = d->d_size;
			*base = ph.p_vaddr;
		}
	}
	/* version 1, eh_frame_ptr (4 bytes), fde_count udata4, table datarel|sdata4 */
	if (!hdr || len < 12 || hdr[0] != 1 || hdr[2] != 0x03 || hdr[3] != 0x3b)
		return NULL;
	memcpy(count, hdr + 8, 4);
	if (*count == 0 || *count > (len - 12) / 8)
		return NULL;
	return hdr + 12;
}

int32_t elf_function_table_start(const uint8_t *table, uint32_t i)
{
	int32_t at;

	memcpy(&at, table + 8 * (size_t)i, 4);
	return at;
}

#define CODE_WINDOW (256u << 10) /* of code read at once */

/* The function starts and executable segments of elf (size bytes), loaded with bias, into c. */
static int read_code(Elf *elf, uint64_t size, uint64_t bias, struct elf_code *c)
{
	const uint8_t *table;
	uint64_t base;
	uint32_t count, i;
	size_t n, k;

	table = elf_function_table(elf, &base, &count);
	if (!table || elf_getphdrnum(elf, &n))
		return -ENOENT;
	for (k = 0; k < n && c->nsegs < (int)(sizeof(c->seg) / sizeof(c->seg[0])); k++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)k, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X) ||
		    ph.p_offset > size || ph.p_filesz > size - ph.p_offset)
			continue;
		c->seg[c->nsegs].start = ph.p_vaddr + bias;
		c->seg[c->nsegs].end = ph.p_vaddr + bias + ph.p_filesz;
		c->seg[c->nsegs++].offset = ph.p_offset;
	}
	c->starts = malloc(count * sizeof(c->starts[0]));
	c->window = malloc(CODE_WINDOW);
	if (!c->starts || !c->window)
		return -ENOMEM;
	for (i = 0; i < count; i++)
		c->starts[i] = base + (int64_t)elf_function_table_start(table, i) + bias;
	c->nstarts = (int)count;
	return 0;
}

int elf_code_open(pid_t pid, const struct proc_mapping *m, struct elf_code **out)
{
	struct elf_code *c = calloc(1, sizeof(*c));
	struct stat st;
	uint64_t bias;
	Elf *elf;
	int err;

	if (!c)
		return -ENOMEM;
	err = open_elf(pid, m, &elf, &c->fd);
	if (err) {
		c->fd = -1;
		elf_code_close(c);
		return err;
	}
	err = fstat(c->fd, &st) || st.st_size <= 0 ? -ENOEXEC : bias_of(elf, m, &bias);
	if (!err)
		err = read_code(elf, (uint64_t)st.st_size, bias, c);
	elf_end(elf);
	if (err) {
		elf_code_close(c);
		return err;
	}
	*out = c;
	return 0;
}

int elf_code_read(void *code, uint64_t addr, void *buf, size_t len)
{
	struct elf_code *c = code;
	uint64_t want;
	int i;

	if (addr >= c->window_at && len <= c->window_len && addr - c->window_at <= c->window_len - len) {
		memcpy(buf, c->window + (addr - c->window_at), len);
		return 0;
	}
	for (i = 0; i < c->nsegs; i++) {
		if (addr < c->seg[i].start || addr >= c->seg[i].end || len > c->seg[i].end - addr || len > CODE_WINDOW)
			continue;
		want = c->seg[i].end - addr < CODE_WINDOW ? c->seg[i].end - addr : CODE_WINDOW;
		c->window_len = 0;
		if (pread(c->fd, c->window, want, (off_t)(c->seg[i].offset + (addr - c->seg[i].start))) != (ssize_t)want)
			return -EIO;
		c->window_at = addr;
		c->window_len = want;
		memcpy(buf, c->window, len);
		return 0;
	}
	return -EFAULT;
}

void elf_code_close(struct elf_code *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c->window);
	free(c->starts);
	free(c);
}

// SPDX-License-Identifier: GPL-2.0
/* A module's function symbols sorted by address (see symbol_index.h). */
#include <stdlib.h>

#include "symbols/symbol_index.h"

struct indexed_symbol {
	GElf_Addr start, end; /* end: start + size, or the next symbol's start when sizeless */
	int ndx;	      /* for dwfl_module_getsym_info */
	int rank;	      /* among symbols at one address: a sized global one wins */
};

struct symbol_index {
	int n;
	struct indexed_symbol v[];
};

static int by_start(const void *a, const void *b)
{
	const struct indexed_symbol *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return y->rank - x->rank; /* the best first */
}

struct symbol_index *symbol_index_build(Dwfl_Module *mod, int min)
{
	int total = dwfl_module_getsymtab(mod), i, n = 0, kept = 0;
	struct symbol_index *ix;

	if (total < min || total <= 0)
		return NULL;
	ix = malloc(sizeof(*ix) + (size_t)total * sizeof(ix->v[0]));
	if (!ix)
		return NULL;
	for (i = 0; i < total; i++) {
		GElf_Sym sym;
		GElf_Addr addr;
		int type;

		if (!dwfl_module_getsym_info(mod, i, &sym, &addr, NULL, NULL, NULL) || sym.st_shndx == SHN_UNDEF)
			continue;
		type = GELF_ST_TYPE(sym.st_info);
		if ((type != STT_FUNC && type != STT_GNU_IFUNC) || !addr)
			continue;
		ix->v[n].start = addr;
		ix->v[n].end = addr + sym.st_size;
		ix->v[n].ndx = i;
		ix->v[n].rank = (sym.st_size > 0) * 2 + (GELF_ST_BIND(sym.st_info) != STB_LOCAL);
		n++;
	}
	qsort(ix->v, n, sizeof(ix->v[0]), by_start);
	/* One entry per address, the best; a sizeless one reaches to the next. */
	for (i = 0; i < n; i++) {
		if (kept && ix->v[kept - 1].start == ix->v[i].start)
			continue;
		ix->v[kept++] = ix->v[i];
	}
	for (i = 0; i < kept; i++)
		if (ix->v[i].end == ix->v[i].start)
			ix->v[i].end = i + 1 < kept ? ix->v[i + 1].start : ix->v[i].start + 1;
	ix->n = kept;
	return ix;
}

void symbol_index_free(struct symbol_index *ix)
{
	free(ix);
}

const char *symbol_index_lookup(const struct symbol_index *ix, Dwfl_Module *mod, Dwarf_Addr addr, GElf_Off *off)
{
	int lo = 0, hi = ix->n - 1, at = -1;
	GElf_Sym sym;
	GElf_Addr start;
	const char *name;

	while (lo <= hi) { /* the last symbol that starts at or before addr */
		int mid = lo + (hi - lo) / 2;

		if (ix->v[mid].start <= addr) {
			at = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	if (at < 0 || addr >= ix->v[at].end)
		return NULL;
	name = dwfl_module_getsym_info(mod, ix->v[at].ndx, &sym, &start, NULL, NULL, NULL);
	if (name && off)
		*off = addr - start;
	return name;
}

#ifndef LOOPSTALL_SYMBOL_INDEX_H
#define LOOPSTALL_SYMBOL_INDEX_H
#include <elfutils/libdwfl.h>

/*
 * A module's function symbols sorted by address. libdwfl finds the symbol
 * of an address by scanning the whole table, every time: node's 184k
 * symbols cost ~2 ms an address, most of a first stall report. Built once
 * per module that has many, searched in O(log n) after.
 */
struct symbol_index;

/* mod's index when its table has at least min symbols: NULL when smaller (or out of memory). */
struct symbol_index *symbol_index_build(Dwfl_Module *mod, int min);
void symbol_index_free(struct symbol_index *ix);
/* dwfl_module_addrinfo() through the index: the function at addr and *off into it, NULL if none. */
const char *symbol_index_lookup(const struct symbol_index *ix, Dwfl_Module *mod, Dwarf_Addr addr, GElf_Off *off);

#endif

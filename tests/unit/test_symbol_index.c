// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for user/symbols/symbol_index.c: over node's 184k symbols (the
 * table it was made for) and this test's own binary, the index names every
 * probed address as libdwfl's full scan does.
 */
#include <check.h>
#include <elfutils/libdwfl.h>
#include <string.h>

#include "run_suite.h"
#include "symbols/symbol_index.h"

static const Dwfl_Callbacks offline = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
};

/* Probes (libdwfl: ~2 ms an address in node) the middle and the first byte of up to max function symbols of path; returns how many agreed. */
static int compare_with_libdwfl(const char *path, int max)
{
	Dwfl *dwfl = dwfl_begin(&offline);
	Dwfl_Module *mod;
	struct symbol_index *ix;
	int total, i, step, probed = 0;

	ck_assert_ptr_nonnull(dwfl);
	mod = dwfl_report_offline(dwfl, "", path, -1);
	ck_assert_ptr_nonnull(mod);
	dwfl_report_end(dwfl, NULL, NULL);
	total = dwfl_module_getsymtab(mod);
	ck_assert_int_gt(total, 0);
	ix = symbol_index_build(mod, 1);
	ck_assert_ptr_nonnull(ix);
	step = total / max > 0 ? total / max : 1;
	for (i = 0; i < total; i += step) {
		GElf_Sym sym, s2;
		GElf_Addr addr;
		GElf_Off off1 = 0, off2 = 0;
		const char *want, *got;
		int k;

		if (!dwfl_module_getsym_info(mod, i, &sym, &addr, NULL, NULL, NULL) ||
		    GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF || !sym.st_size)
			continue;
		for (k = 0; k < 2; k++) {
			GElf_Addr at = addr + (k ? sym.st_size / 2 : 0);

			want = dwfl_module_addrinfo(mod, at, &off1, &s2, NULL, NULL, NULL);
			got = symbol_index_lookup(ix, mod, at, &off2);
			ck_assert_msg(want && got, "0x%lx: %s vs %s", (unsigned long)at, want, got);
			/* Aliases share an address: the same function either way. */
			ck_assert_msg(strcmp(want, got) == 0 || off1 == off2, "0x%lx: %s vs %s", (unsigned long)at, want, got);
			ck_assert_uint_eq(off1, off2);
			probed++;
		}
	}
	ck_assert_ptr_null(symbol_index_lookup(ix, mod, 1, NULL)); /* before every function */
	symbol_index_free(ix);
	ck_assert_ptr_null(symbol_index_build(mod, total + 1)); /* small tables are not indexed */
	dwfl_end(dwfl);
	return probed;
}

START_TEST(node_symbols_as_libdwfl_names_them)
{
	ck_assert_int_gt(compare_with_libdwfl("/usr/bin/node", 400), 300);
}
END_TEST

START_TEST(own_binary_symbols_as_libdwfl_names_them)
{
	ck_assert_int_gt(compare_with_libdwfl("/proc/self/exe", 100000), 100);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {node_symbols_as_libdwfl_names_them, own_binary_symbols_as_libdwfl_names_them};

	return run_tests("symbol_index", tests, sizeof(tests) / sizeof(tests[0]));
}

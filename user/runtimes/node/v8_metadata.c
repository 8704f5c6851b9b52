// SPDX-License-Identifier: GPL-2.0
/* V8's v8dbg_* constants, read from the node binary's symbol table. */
#include <errno.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "runtimes/node/v8_metadata.h"

#define FIELD(name, member)    {"v8dbg_" name, offsetof(struct v8_metadata, member), false}
#define OPTIONAL(name, member) {"v8dbg_" name, offsetof(struct v8_metadata, member), true}

static const struct {
	const char *symbol;
	size_t at;
	bool optional; /* -1 when absent: what reads it is left out */
} fields[] = {
	FIELD("off_fp_function", fp_function),
	FIELD("off_fp_context", fp_context),
	FIELD("off_fp_bytecode_array", fp_bytecode_array),
	FIELD("off_fp_bytecode_offset", fp_bytecode_offset),
	FIELD("class_Map__instance_type__uint16_t", map_instance_type),
	FIELD("class_JSFunction__shared__SharedFunctionInfo", jsfunction_shared),
	FIELD("class_SharedFunctionInfo__name_or_scope_info__Object", sfi_name_or_scope_info),
	FIELD("class_SharedFunctionInfo__script_or_debug_info__HeapObject", sfi_script_or_debug_info),
	FIELD("class_Script__name__Object", script_name),
	FIELD("class_Script__line_ends__Object", script_line_ends),
	FIELD("class_Script__source__Object", script_source),
	FIELD("class_String__length__int32_t", string_length),
	FIELD("class_SeqOneByteString__chars__char", seq_one_byte_chars),
	FIELD("class_SeqTwoByteString__chars__char", seq_two_byte_chars),
	FIELD("class_ConsString__first__String", cons_first),
	FIELD("class_ConsString__second__String", cons_second),
	FIELD("class_ThinString__actual__String", thin_actual),
	FIELD("class_SlicedString__parent__String", sliced_parent),
	FIELD("class_SlicedString__offset__SMI", sliced_offset),
	FIELD("class_FixedArrayBase__length__SMI", fixed_array_length),
	FIELD("class_FixedArray__data__uintptr_t", fixed_array_data),
	FIELD("class_BytecodeArray__data__uintptr_t", bytecode_array_data),
	FIELD("type_JSFunction__JS_FUNCTION_TYPE", type_js_function),
	FIELD("type_SharedFunctionInfo__SHARED_FUNCTION_INFO_TYPE", type_sfi),
	FIELD("type_Script__SCRIPT_TYPE", type_script),
	FIELD("type_ScopeInfo__SCOPE_INFO_TYPE", type_scope_info),
	FIELD("type_BytecodeArray__BYTECODE_ARRAY_TYPE", type_bytecode_array),
	FIELD("type_ByteArray__BYTE_ARRAY_TYPE", type_byte_array),
	FIELD("FirstNonstringType", first_nonstring_type),
	FIELD("StringRepresentationMask", string_representation_mask),
	FIELD("StringEncodingMask", string_encoding_mask),
	FIELD("OneByteStringTag", one_byte_string_tag),
	FIELD("SeqStringTag", seq_string_tag),
	FIELD("ConsStringTag", cons_string_tag),
	FIELD("SlicedStringTag", sliced_string_tag),
	FIELD("ThinStringTag", thin_string_tag),
	FIELD("scopeinfo_idx_ncontextlocals", scopeinfo_idx_ncontextlocals),
	FIELD("scopeinfo_idx_first_vars", scopeinfo_idx_first_vars),
	OPTIONAL("context_idx_scope_info", context_idx_scope_info),
	OPTIONAL("context_min_slots", context_min_slots),
	FIELD("SmiShiftSize", smi_shift_size),
	FIELD("TaggedSize", tagged_size),
};

#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static int64_t *slot(struct v8_metadata *md, size_t i)
{
	return (int64_t *)((char *)md + fields[i].at);
}

/* The first field not found, named in missing; 0 when all were. */
static int check(const bool *found, struct v8_metadata *md, char *missing, size_t len)
{
	size_t i;

	for (i = 0; i < NFIELDS; i++) {
		if (found[i])
			continue;
		if (fields[i].optional) {
			*slot(md, i) = -1;
			continue;
		}
		snprintf(missing, len, "its V8 metadata lacks %s", fields[i].symbol);
		return -ENOENT;
	}
	if (md->tagged_size != 8 || md->smi_shift_size != 31) {
		/* Pointer compression (4-byte fields, 31-bit Smis): not read. */
		snprintf(missing, len, "its V8 compresses pointers (v8dbg_TaggedSize %lld)", (long long)md->tagged_size);
		return -ENOENT;
	}
	return 0;
}

int v8_metadata_count(void)
{
	return (int)NFIELDS;
}

const char *v8_metadata_name(int i)
{
	return i >= 0 && i < (int)NFIELDS ? fields[i].symbol : NULL;
}

int64_t v8_metadata_value(const struct v8_metadata *md, int i)
{
	return i >= 0 && i < (int)NFIELDS ? *slot((struct v8_metadata *)md, (size_t)i) : 0;
}

int v8_metadata_from_pairs(const char *const *names, const int64_t *values, int n, struct v8_metadata *md,
			   char *missing, size_t len)
{
	bool found[NFIELDS] = {false};
	size_t i;
	int j;

	memset(md, 0, sizeof(*md));
	for (j = 0; j < n; j++)
		for (i = 0; i < NFIELDS; i++)
			if (!found[i] && strcmp(names[j], fields[i].symbol) == 0) {
				*slot(md, i) = values[j];
				found[i] = true;
			}
	return check(found, md, missing, len);
}

/* The int the symbol's bytes hold: from its section, 0 in .bss. */
static bool symbol_value(Elf *elf, const GElf_Sym *sym, int64_t *value)
{
	Elf_Scn *scn = elf_getscn(elf, sym->st_shndx);
	GElf_Shdr sh;
	Elf_Data *data;
	int32_t v;
	uint64_t off;

	if (!scn || !gelf_getshdr(scn, &sh) || sym->st_value < sh.sh_addr)
		return false;
	if (sh.sh_type == SHT_NOBITS) {
		*value = 0;
		return true;
	}
	off = sym->st_value - sh.sh_addr;
	data = elf_getdata(scn, NULL);
	if (!data || !data->d_buf || off > data->d_size || data->d_size - off < sizeof(v))
		return false;
	memcpy(&v, (const char *)data->d_buf + off, sizeof(v));
	*value = v;
	return true;
}

int v8_metadata_read(int fd, struct v8_metadata *md, char *missing, size_t len)
{
	bool found[NFIELDS] = {false};
	Elf_Scn *scn = NULL;
	Elf *elf;
	int err;

	memset(md, 0, sizeof(*md));
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf)
		return -ENOEXEC;
	/* The constants are exported: .dynsym holds them, a stripped node too. */
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data, *strings;
		size_t n, k, i;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM || !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		strings = elf_getdata(elf_getscn(elf, sh.sh_link), NULL);
		if (!strings || !strings->d_buf || !strings->d_size)
			continue;
		n = data ? sh.sh_size / sh.sh_entsize : 0;
		/* 75k symbols in node: their names are looked at in place, not through elf_strptr(). */
		for (k = 0; k < n; k++) {
			GElf_Sym sym;
			const char *name;

			if (!gelf_getsym(data, k, &sym) || sym.st_shndx == SHN_UNDEF || sym.st_name >= strings->d_size ||
			    strings->d_size - sym.st_name < 7)
				continue;
			name = (const char *)strings->d_buf + sym.st_name;
			if (memcmp(name, "v8dbg_", 6) != 0 || !memchr(name, 0, strings->d_size - sym.st_name))
				continue;
			for (i = 0; i < NFIELDS; i++)
				if (!found[i] && strcmp(name, fields[i].symbol) == 0)
					found[i] = symbol_value(elf, &sym, slot(md, i));
		}
	}
	elf_end(elf);
	err = check(found, md, missing, len);
	return err;
}

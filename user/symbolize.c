// SPDX-License-Identifier: GPL-2.0
/* Native frames to function, module and line, through libdwfl. */
#include <elfutils/libdwfl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "symbolize.h"

#define CACHE_SLOTS 32

struct cached_process {
	pid_t pid;
	Dwfl *dwfl;
	uint64_t last_use;
	bool refreshed; /* rebuilt once for an unknown address already */
};

struct symbolizer {
	struct cached_process slots[CACHE_SLOTS];
	uint64_t clock;
};

static const Dwfl_Callbacks proc_callbacks = {
	.find_elf = dwfl_linux_proc_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
};

struct symbolizer *symbolizer_new(void)
{
	return calloc(1, sizeof(struct symbolizer));
}

static void drop(struct cached_process *c)
{
	if (c->dwfl)
		dwfl_end(c->dwfl);
	memset(c, 0, sizeof(*c));
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

static Dwfl *report_process(pid_t pid)
{
	Dwfl *dwfl = dwfl_begin(&proc_callbacks);

	if (!dwfl)
		return NULL;
	if (dwfl_linux_proc_report(dwfl, pid) != 0 || dwfl_report_end(dwfl, NULL, NULL) != 0) {
		dwfl_end(dwfl);
		return NULL;
	}
	return dwfl;
}

/* The cached view of pid's mappings, evicting the least recently used. */
static struct cached_process *lookup(struct symbolizer *s, pid_t pid)
{
	struct cached_process *victim = &s->slots[0];
	int i;

	for (i = 0; i < CACHE_SLOTS; i++) {
		struct cached_process *c = &s->slots[i];

		if (c->dwfl && c->pid == pid) {
			c->last_use = ++s->clock;
			return c;
		}
		if (!c->dwfl || c->last_use < victim->last_use)
			victim = c;
	}
	drop(victim);
	victim->dwfl = report_process(pid);
	if (!victim->dwfl)
		return NULL;
	victim->pid = pid;
	victim->last_use = ++s->clock;
	return victim;
}

void symbolize_ip(struct symbolizer *s, pid_t pid, uint64_t ip, bool is_return, struct stall_frame *out)
{
	/* A return address points after the call: look up the call itself. */
	Dwarf_Addr addr = is_return && ip ? ip - 1 : ip;
	struct cached_process *c = lookup(s, pid);
	const char *name, *modname, *file;
	Dwfl_Module *mod = NULL;
	Dwfl_Line *line;
	GElf_Off off;
	GElf_Sym sym;
	int lineno = 0;

	out->kind = FRAME_NATIVE;
	out->ip = ip;
	snprintf(out->function, sizeof(out->function), "0x%llx", (unsigned long long)ip);
	if (!c)
		return;
	mod = dwfl_addrmodule(c->dwfl, addr);
	if (!mod && !c->refreshed) {
		/* Mapped since we looked (dlopen, JIT): look again, once. */
		dwfl_end(c->dwfl);
		c->dwfl = report_process(pid);
		c->refreshed = true;
		if (!c->dwfl) {
			drop(c);
			return;
		}
		mod = dwfl_addrmodule(c->dwfl, addr);
	}
	if (!mod)
		return;
	modname = dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
	if (modname)
		snprintf(out->module, sizeof(out->module), "%s", modname);
	name = dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL, NULL);
	if (name)
		snprintf(out->function, sizeof(out->function), "%s", name);
	line = dwfl_module_getsrc(mod, addr);
	if (line) {
		file = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
		if (file) {
			snprintf(out->file, sizeof(out->file), "%s", file);
			out->line = lineno;
		}
	}
}

// SPDX-License-Identifier: GPL-2.0
/* CPython's C functions by their Python names, from the method tables (see methods.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arch.h"
#include "runtimes/python/elf.h"
#include "runtimes/python/methods.h"

#define MAX_FILES	 256
#define MAX_RANGES	 16	     /* mappings of one file */
#define MAX_DATA_BYTES	 (16u << 20) /* of one mapping scanned */
#define MAX_TOTAL_BYTES	 (64u << 20) /* of all scanned */
#define MAX_METHODS	 (1u << 18)
#define METHOD_DEF_SIZE	 32  /* ml_name, ml_meth, ml_flags (+ padding), ml_doc */
#define MODULE_DEF_NAME	 40  /* PyModuleDef: after PyModuleDef_Base */
#define MODULE_DEF_TABLE 64
#define TYPE_NAME	 24  /* PyTypeObject: tp_name after PyObject_VAR_HEAD, in 3.8-3.13 */
#define TYPE_TABLE	 232 /* tp_methods */
#define SPEC_SLOTS	 24  /* PyType_Spec: name, basicsize, itemsize, flags, slots */
#define SLOT_TP_METHODS	 64  /* Py_tp_methods */
#define MAX_SLOT	 96
#define METH_FLAGS	 0x3ffu /* METH_VARARGS ... METH_METHOD */
#define METH_CALLS	 (0x1u | 0x4u | 0x8u | 0x80u | 0x200u)
#define MAX_METHOD_CODE	 512 /* bytes of a method scanned for its jumps: 96% of python3.11's, input()'s at 392 */

struct method {
	uint64_t entry; /* ml_meth */
	uint64_t name;	/* ml_name */
	uint64_t table; /* the first PyMethodDef of its table */
};

struct owner {
	uint64_t table; /* its methods */
	uint64_t name;	/* m_name, tp_name, the spec's name */
};

/* A function a method jumps to: the rest of the method's call runs there. */
struct tail {
	uint64_t target; /* that function's start */
	int method;	 /* in v; -1 when methods of two entries jump there */
};

struct py_methods {
	int n, nowners, ntails;
	struct method *v;  /* by entry */
	struct owner *o;   /* by table */
	struct tail *t;	   /* by target */
};

/* One mapped file: where its pointers may point, and where its code is. */
struct file_ranges {
	const char *path;
	uint64_t lo, hi; /* around all of them: most words fall outside at once */
	int n;
	struct {
		uint64_t start, end;
		bool text;
	} r[MAX_RANGES];
};

bool py_methods_module(const char *path)
{
	return py_is_python_file(path) || strstr(path, ".cpython-") || strstr(path, "/lib-dynload/") ||
	       strstr(path, ".abi3.so");
}

static bool in_file(const struct file_ranges *f, uint64_t addr, bool text)
{
	int i;

	if (addr < f->lo || addr >= f->hi)
		return false;
	for (i = 0; i < f->n; i++)
		if (addr >= f->r[i].start && addr < f->r[i].end && (!text || f->r[i].text))
			return true;
	return false;
}

static uint64_t word(const uint8_t *buf, size_t at)
{
	return mem_get_u64(buf, at);
}

/* A PyMethodDef at at: a name and docs in the file, a function in its code, sane flags. */
static bool is_method_def(const struct file_ranges *f, const uint8_t *buf, size_t len, size_t at)
{
	uint64_t flags;

	if (at + METHOD_DEF_SIZE > len)
		return false;
	flags = word(buf, at + 16); /* the cheapest test first: most words are no flags */
	return flags && !(flags & ~(uint64_t)METH_FLAGS) && (flags & METH_CALLS) && in_file(f, word(buf, at + 8), true) &&
	       in_file(f, word(buf, at), false) && (!word(buf, at + 24) || in_file(f, word(buf, at + 24), false));
}

static int by_entry(const void *a, const void *b)
{
	const struct method *x = a, *y = b;

	return x->entry < y->entry ? -1 : x->entry > y->entry;
}

static int by_value(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int by_table(const void *a, const void *b)
{
	const struct owner *x = a, *y = b;

	return x->table < y->table ? -1 : x->table > y->table;
}

static int grow(void **v, int n, int *cap, size_t size)
{
	void *more;

	if (n < *cap)
		return 0;
	if ((unsigned)*cap >= MAX_METHODS)
		return -E2BIG;
	more = realloc(*v, (size_t)(*cap ? *cap * 2 : 256) * size);
	if (!more)
		return -ENOMEM;
	*v = more;
	*cap = *cap ? *cap * 2 : 256;
	return 0;
}

/* Whether addr starts one of the tables found (tables: sorted). */
static bool is_table(const uint64_t *tables, int n, uint64_t addr)
{
	int lo = 0, hi = n - 1;

	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;

		if (tables[mid] == addr)
			return true;
		if (tables[mid] < addr)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return false;
}

struct scan {
	struct py_methods *pm;
	int cap, ocap;
	uint64_t *tables; /* distinct table starts, sorted: for the owners' pass */
	int ntables;
};

static int add_owner(struct scan *sc, uint64_t table, uint64_t name)
{
	struct py_methods *pm = sc->pm;
	int err = grow((void **)&pm->o, pm->nowners, &sc->ocap, sizeof(pm->o[0]));

	if (err)
		return err;
	pm->o[pm->nowners].table = table;
	pm->o[pm->nowners++].name = name;
	return 0;
}

/* The methods of one data mapping (at addr, len bytes in buf). */
static int scan_methods(struct scan *sc, const struct file_ranges *f, const uint8_t *buf, size_t len, uint64_t addr)
{
	struct py_methods *pm = sc->pm;
	uint64_t table = 0;
	size_t at, next = 0; /* where a record after the last one would start */
	int err;

	for (at = 0; at + METHOD_DEF_SIZE <= len; at += 8) {
		if (!is_method_def(f, buf, len, at))
			continue;
		if (at != next || !table)
			table = addr + at;
		err = grow((void **)&pm->v, pm->n, &sc->cap, sizeof(pm->v[0]));
		if (err)
			return err;
		pm->v[pm->n].entry = word(buf, at + 8);
		pm->v[pm->n].name = word(buf, at);
		pm->v[pm->n++].table = table;
		next = at + METHOD_DEF_SIZE;
		at += METHOD_DEF_SIZE - 8;
	}
	return 0;
}

/*
 * The tables' owners in one data mapping: a PyModuleDef or a PyTypeObject
 * pointing at a table, or a PyType_Spec whose slots hold Py_tp_methods.
 */
static int scan_owners(struct scan *sc, const struct file_ranges *f, const uint8_t *buf, size_t len, uint64_t addr)
{
	size_t at;
	int err = 0;

	for (at = 0; at + 8 <= len && !err; at += 8) {
		uint64_t v = word(buf, at);

		/* the tables are in this mapping: most words point elsewhere, or nowhere */
		if (at >= MODULE_DEF_TABLE && v >= addr && v - addr < len && is_table(sc->tables, sc->ntables, v)) {
			size_t def = at - MODULE_DEF_TABLE, type = at >= TYPE_TABLE ? at - TYPE_TABLE : (size_t)-1;

			if (in_file(f, word(buf, def + MODULE_DEF_NAME), false))
				err = add_owner(sc, v, word(buf, def + MODULE_DEF_NAME));
			else if (type != (size_t)-1 && in_file(f, word(buf, type + TYPE_NAME), false))
				err = add_owner(sc, v, word(buf, type + TYPE_NAME));
		}
		/* A spec: a name, then (at SPEC_SLOTS) its slots, one of them {Py_tp_methods, table}. */
		if (!err && at + SPEC_SLOTS + 8 <= len && in_file(f, v, false)) {
			uint64_t slots = word(buf, at + SPEC_SLOTS);
			int k;

			for (k = 0; slots >= addr && slots - addr < len && k < MAX_SLOT; k++) {
				size_t s = slots - addr + 16 * (size_t)k;
				uint64_t id;

				if (s + 16 > len)
					break;
				id = word(buf, s);
				if (id == 0 || id > MAX_SLOT)
					break;
				if (id == SLOT_TP_METHODS && is_table(sc->tables, sc->ntables, word(buf, s + 8))) {
					err = add_owner(sc, word(buf, s + 8), v);
					break;
				}
			}
		}
	}
	return err;
}

static void file_ranges_of(const struct proc_maps *maps, const char *path, struct file_ranges *f)
{
	int i;

	f->path = path;
	f->n = 0;
	f->lo = UINT64_MAX;
	f->hi = 0;
	for (i = 0; i < maps->n && f->n < MAX_RANGES; i++)
		if (strcmp(maps->v[i].path, path) == 0 && maps->v[i].perms[0] == 'r') {
			f->r[f->n].start = maps->v[i].start;
			f->r[f->n].end = maps->v[i].end;
			f->r[f->n++].text = maps->v[i].perms[2] == 'x';
			if (maps->v[i].start < f->lo)
				f->lo = maps->v[i].start;
			if (maps->v[i].end > f->hi)
				f->hi = maps->v[i].end;
		}
}

/*
 * One writable mapping: its method tables, then their owners, which C
 * declares beside them (a module's PyModuleDef and its PyMethodDef array
 * are both in .data).
 */
static int scan_mapping(struct scan *sc, const struct file_ranges *f, const uint8_t *buf, size_t len, uint64_t addr)
{
	struct py_methods *pm = sc->pm;
	int first = pm->n, err = scan_methods(sc, f, buf, len, addr), i;

	if (err || pm->n == first)
		return err;
	free(sc->tables);
	sc->ntables = 0;
	sc->tables = malloc((size_t)(pm->n - first) * sizeof(sc->tables[0]));
	if (!sc->tables)
		return -ENOMEM;
	for (i = first; i < pm->n; i++)
		if (!sc->ntables || sc->tables[sc->ntables - 1] != pm->v[i].table)
			sc->tables[sc->ntables++] = pm->v[i].table;
	qsort(sc->tables, sc->ntables, sizeof(sc->tables[0]), by_value);
	return scan_owners(sc, f, buf, len, addr);
}

int py_methods_read(const struct mem_reader *m, const struct proc_maps *maps, struct py_methods **out)
{
	struct scan sc = {0};
	struct file_ranges f;
	const char *seen[MAX_FILES];
	size_t total = 0;
	int nseen = 0, i, j, err = 0;

	sc.pm = calloc(1, sizeof(*sc.pm));
	if (!sc.pm)
		return -ENOMEM;
	for (i = 0; i < maps->n && !err; i++) {
		const struct proc_mapping *mp = &maps->v[i];

		if (mp->path[0] != '/' || !py_methods_module(mp->path))
			continue;
		for (j = 0; j < nseen && strcmp(seen[j], mp->path); j++)
			;
		if (j < nseen || nseen == MAX_FILES)
			continue;
		seen[nseen++] = mp->path;
		file_ranges_of(maps, mp->path, &f);
		for (j = 0; j < maps->n && !err; j++) {
			const struct proc_mapping *d = &maps->v[j];
			size_t len = d->end - d->start;
			uint8_t *buf;

			if (strcmp(d->path, mp->path) || strncmp(d->perms, "rw", 2) || len > MAX_DATA_BYTES ||
			    total + len > MAX_TOTAL_BYTES)
				continue;
			total += len;
			buf = malloc(len);
			if (!buf) {
				err = -ENOMEM;
				break;
			}
			if (mem_read(m, d->start, buf, len) == 0)
				err = scan_mapping(&sc, &f, buf, len, d->start);
			free(buf);
		}
	}
	free(sc.tables);
	if (err && err != -E2BIG) {
		py_methods_free(sc.pm);
		return err;
	}
	if (sc.pm->n) /* none found: no array to sort */
		qsort(sc.pm->v, sc.pm->n, sizeof(sc.pm->v[0]), by_entry);
	if (sc.pm->nowners)
		qsort(sc.pm->o, sc.pm->nowners, sizeof(sc.pm->o[0]), by_table);
	*out = sc.pm;
	return 0;
}

void py_methods_free(struct py_methods *pm)
{
	if (!pm)
		return;
	free(pm->v);
	free(pm->o);
	free(pm->t);
	free(pm);
}

/* The index of the first start > addr (starts: sorted). */
static int next_start(const uint64_t *starts, int n, uint64_t addr)
{
	int lo = 0, hi = n;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (starts[mid] <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool is_start(const uint64_t *starts, int n, uint64_t addr)
{
	int at = next_start(starts, n, addr);

	return at > 0 && starts[at - 1] == addr;
}

static int add_tail(struct py_methods *pm, int *cap, uint64_t target, int method)
{
	int err = grow((void **)&pm->t, pm->ntails, cap, sizeof(pm->t[0]));

	if (err)
		return err;
	pm->t[pm->ntails].target = target;
	pm->t[pm->ntails++].method = method;
	return 0;
}

static int by_target(const void *a, const void *b)
{
	const struct tail *x = a, *y = b;

	if (x->target != y->target)
		return x->target < y->target ? -1 : 1;
	return x->method < y->method ? -1 : x->method > y->method;
}

/* The direct jumps of method i's code (from entry up to the next function's start) to another function's start. */
static int method_tails(struct py_methods *pm, int *cap, int i, const uint8_t *code, size_t len, const uint64_t *starts,
			int nstarts)
{
	uint64_t entry = pm->v[i].entry, to;
	size_t at;
	int err = 0;

	for (at = arch_next_jump(code, len, 0, entry, &to); at < len && !err;
	     at = arch_next_jump(code, len, at + 1, entry, &to))
		if ((to < entry || to >= entry + len) && is_start(starts, nstarts, to))
			err = add_tail(pm, cap, to, i);
	return err;
}

int py_methods_read_tails(struct py_methods *pm, const struct mem_reader *m, const uint64_t *starts, int nstarts)
{
	uint8_t code[MAX_METHOD_CODE];
	int cap = pm->ntails, i, j, err = 0;

	for (i = 0; i < pm->n && !err; i++) {
		int next = next_start(starts, nstarts, pm->v[i].entry);
		uint64_t entry = pm->v[i].entry, end;

		/* one scan per entry (aliases share it); only a function of these whose end is known */
		if ((i && pm->v[i - 1].entry == entry) || next == 0 || starts[next - 1] != entry || next == nstarts)
			continue;
		end = starts[next] - entry > MAX_METHOD_CODE ? entry + MAX_METHOD_CODE : starts[next];
		if (mem_read(m, entry, code, end - entry) == 0)
			err = method_tails(pm, &cap, i, code, end - entry, starts, nstarts);
	}
	if (err)
		return err;
	if (pm->ntails)
		qsort(pm->t, pm->ntails, sizeof(pm->t[0]), by_target);
	/* one target of two methods' code names neither; j: where the kept ones go */
	for (i = 0, j = 0; i < pm->ntails; i++) {
		if (j && pm->t[j - 1].target == pm->t[i].target) {
			if (pm->t[j - 1].method != pm->t[i].method)
				pm->t[j - 1].method = -1;
			continue;
		}
		pm->t[j++] = pm->t[i];
	}
	pm->ntails = j;
	return 0;
}

int py_methods_count(const struct py_methods *pm)
{
	return pm ? pm->n : 0;
}

/* A dotted identifier at addr ("sleep", "_socket.socket"): its length, or -1. */
static int read_name(const struct mem_reader *m, uint64_t addr, char *buf, size_t len)
{
	size_t want = len < 64 ? len : 64, i;

	/* the name may end near the end of its mapping: try shorter reads */
	while (want > 1 && mem_read(m, addr, buf, want))
		want /= 2;
	if (want <= 1)
		return -1;
	for (i = 0; i < want && buf[i]; i++) {
		char c = buf[i];

		if (!(c == '_' || c == '.' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			return -1;
	}
	if (i == want || i == 0)
		return -1;
	return (int)i;
}

/*
 * The module or type a C function's owner is public as: the name code
 * writes, which Python re-exports from its private C module (os.read is
 * posix.read; a threading.Lock is a _thread.lock; socket.socket subclasses
 * _socket.socket). An owner is renamed when it is a key or within one.
 */
static const struct {
	const char *owner, *public;
} public_owners[] = {
	{"builtins", ""}, /* input(), not builtins.input() */
	{"posix", "os"},
	{"_thread.lock", "threading.Lock"},
	{"_thread.RLock", "threading.RLock"},
	{"_socket.socket", "socket.socket"},
	{"_io", "io"},
	{"_queue.SimpleQueue", "queue.SimpleQueue"},
	{"_pickle", "pickle"},
	{"_hashlib", "hashlib"},
	{"_bz2", "bz2"},
	{"_lzma", "lzma"},
	{"_contextvars", "contextvars"},
	{"_asyncio", "asyncio"},
	{"_functools", "functools"},
	{"_struct", "struct"},
	{"_csv", "csv"},
	{"_datetime", "datetime"},
	{"_random.Random", "random.Random"},
	{"_collections", "collections"},
};

static void public_owner(char *owner, size_t len)
{
	char rest[64]; /* owners are read into 64 bytes */
	size_t i, n;

	for (i = 0; i < sizeof(public_owners) / sizeof(public_owners[0]); i++) {
		n = strlen(public_owners[i].owner);
		if (strncmp(owner, public_owners[i].owner, n) == 0 && (owner[n] == 0 || owner[n] == '.')) {
			/* a public name of "" takes no dot before the rest */
			snprintf(rest, sizeof(rest), "%s", owner + n + (!public_owners[i].public[0] && owner[n]));
			snprintf(owner, len, "%s%s", public_owners[i].public, rest);
			return;
		}
	}
}

/*
 * One C function listed under several names in its table (_thread.lock's
 * acquire_lock, acquire and __enter__): the one code calls, the shortest
 * that is no dunder.
 */
static void better_alias(const struct mem_reader *m, const struct py_methods *pm, const struct method *hit, char *name,
			 size_t len)
{
	const struct method *v = pm->v;
	char other[64];
	int i = (int)(hit - v);

	while (i > 0 && v[i - 1].entry == hit->entry)
		i--;
	for (; i < pm->n && v[i].entry == hit->entry; i++) {
		if (v[i].table != hit->table || read_name(m, v[i].name, other, sizeof(other)) < 0 ||
		    strncmp(other, "__", 2) == 0)
			continue;
		if (strncmp(name, "__", 2) == 0 || strlen(other) < strlen(name))
			snprintf(name, len, "%s", other);
	}
}


/* The first owner of table whose name reads as one ("" when none): the shape scan also takes words that merely look like a spec. */
static void owner_of(const struct mem_reader *m, const struct py_methods *pm, uint64_t table, char *owner, size_t len)
{
	int lo = 0, hi = pm->nowners, at;

	owner[0] = 0;
	while (lo < hi) {
		at = lo + (hi - lo) / 2;
		if (pm->o[at].table < table)
			lo = at + 1;
		else
			hi = at;
	}
	for (at = lo; at < pm->nowners && pm->o[at].table == table && !owner[0]; at++)
		if (read_name(m, pm->o[at].name, owner, len) < 0)
			owner[0] = 0;
}

/*
 * Types that list another type's C functions as their own: io's buffered
 * reader and writer share theirs with the rarer BufferedRandom (a file
 * opened "r+b") and BufferedRWPair. A function is named by another owner
 * of it when there is one.
 */
static bool borrows_methods(const char *owner)
{
	return strcmp(owner, "_io.BufferedRandom") == 0 || strcmp(owner, "_io.BufferedRWPair") == 0;
}

/* The method whose call function (starting at entry) runs, or NULL. */
static const struct method *method_at(const struct py_methods *pm, uint64_t entry)
{
	int lo = 0, hi = pm->n - 1;

	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;

		if (pm->v[mid].entry == entry)
			return &pm->v[mid];
		if (pm->v[mid].entry < entry)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

/* Whether the instruction before caller is a call straight to entry (so no method jumped there). */
static bool called_directly(const struct mem_reader *m, uint64_t caller, uint64_t entry)
{
	uint8_t call[ARCH_CALL_LEN];

	return caller && mem_read(m, caller - ARCH_CALL_LEN, call, sizeof(call)) == 0 && arch_calls(call, caller, entry);
}

/* The method that jumped to the function at entry, which its caller did not call itself; or NULL. */
static const struct method *method_jumping_to(const struct py_methods *pm, const struct mem_reader *m, uint64_t entry,
					      uint64_t caller)
{
	int lo = 0, hi = pm->ntails - 1;

	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;

		if (pm->t[mid].target == entry) {
			if (pm->t[mid].method < 0 || called_directly(m, caller, entry))
				return NULL;
			return &pm->v[pm->t[mid].method];
		}
		if (pm->t[mid].target < entry)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

int py_methods_name(const struct py_methods *pm, const struct mem_reader *m, uint64_t entry, uint64_t caller,
		    char *buf, size_t len)
{
	const struct method *hit;
	char name[64], owner[64], other[64];
	bool jumped;
	int i;

	if (!pm || !entry || len < 2)
		return -ENOENT;
	hit = method_at(pm, entry);
	jumped = !hit;
	if (!hit)
		hit = method_jumping_to(pm, m, entry, caller);
	if (!hit)
		return -ENOENT;
	entry = hit->entry;
	owner_of(m, pm, hit->table, owner, sizeof(owner));
	for (i = (int)(hit - pm->v); i > 0 && pm->v[i - 1].entry == entry; i--)
		;
	for (; borrows_methods(owner) && i < pm->n && pm->v[i].entry == entry; i++)
		if (pm->v[i].table != hit->table) {
			owner_of(m, pm, pm->v[i].table, other, sizeof(other));
			if (other[0] && !borrows_methods(other)) {
				hit = &pm->v[i];
				snprintf(owner, sizeof(owner), "%s", other);
			}
		}
	if (read_name(m, hit->name, name, sizeof(name)) < 0)
		return -ENOENT;
	better_alias(m, pm, hit, name, sizeof(name));
	public_owner(owner, sizeof(owner));
	snprintf(buf, len, "%s%s%s", owner, owner[0] ? "." : "", name);
	return jumped;
}

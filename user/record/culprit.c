// SPDX-License-Identifier: GPL-2.0
/* The culprit rule and the frame format. */
#include <string.h>

#include "base/proc.h"
#include "base/syscalls.h"
#include "record/culprit.h"

/* The libc wrapper of the syscall the loop blocked in ("__GI___clock_nanosleep" for clock_nanosleep). */
static bool is_syscall_wrapper(const struct stall_record *r, const struct stall_frame *f)
{
	const char *name = syscall_name(r->syscall_nr);

	/* A function its runtime named (Python's posix.read, _socket.socket.connect) is the API the code called. */
	return f->kind == FRAME_NATIVE && !f->runtime_function && r->syscall_nr >= 0 && name &&
	       strstr(f->function, name);
}

/* A file of the standard library or an installed package, not the application's. */
static bool is_python_library(const char *file)
{
	const char *lib = strstr(file, "/lib/python");

	if (file[0] == '<') /* <frozen importlib._bootstrap> */
		return true;
	if (strstr(file, "/site-packages/") || strstr(file, "/dist-packages/"))
		return true;
	/* .../lib/python3.11/asyncio/events.py, .../lib/python3/...: the interpreter's own */
	return lib && (lib[11] == '3' || lib[11] == '2');
}

/*
 * JavaScript frames read from V8 have their script as file; from a perf map
 * they are named "JS:~handler /app/server.js:12:3" (or LazyCompile:,
 * Function:), and the rest of a perf map is V8's own (Builtin:,
 * BytecodeHandler:, Stub:). node's own scripts ("node:fs") and installed
 * packages are libraries.
 */
static bool is_js_library(const struct stall_frame *f)
{
	const char *function = f->function;

	if (f->file[0])
		return strncmp(f->file, "node:", 5) == 0 || strstr(f->file, "/node_modules/");
	if (strncmp(function, "JS:", 3) != 0 && strncmp(function, "LazyCompile:", 12) != 0 &&
	    strncmp(function, "Function:", 9) != 0)
		return true;
	return strstr(function, " node:") || strstr(function, "/node_modules/");
}

/*
 * Another JIT's code, by its perf map's name cut to the function
 * ("Slow.handle"): the JIT's own code has no dotted name (a JVM's
 * "Interpreter", "StubRoutines (1)"), and the platform's packages and the
 * common frameworks' are libraries.
 */
static bool is_jit_own(const char *function)
{
	return !strchr(function, '.') && !strstr(function, "::");
}

static bool is_jit_library(const char *function)
{
	static const char *const packages[] = {"java.",	   "javax.", "jdk.", "sun.", "com.sun.", "kotlin.", "kotlinx.",
					       "scala.",   "io.netty.", "io.vertx.", "reactor.", "org.springframework.",
					       "System.", "Microsoft."};
	size_t i;

	if (is_jit_own(function))
		return true;
	for (i = 0; i < sizeof(packages) / sizeof(packages[0]); i++)
		if (strncmp(function, packages[i], strlen(packages[i])) == 0)
			return true;
	return false;
}

/* The C library's own code: a call's wrapper ("__open" for openat) and its internals, never the caller. */
static bool is_c_library(const struct stall_frame *f)
{
	const char *m = base_name(f->module);

	return f->kind == FRAME_NATIVE && (strncmp(m, "libc.so", 7) == 0 || strncmp(m, "libc-", 5) == 0 ||
					   strncmp(m, "libpthread", 10) == 0 || strncmp(m, "ld-musl", 7) == 0);
}

/* A function with a name: not an address ("0x5d64b4", "python3.11+0x5d64b4"). */
static bool is_named(const struct stall_frame *f)
{
	return f->function[0] && strncmp(f->function, "0x", 2) != 0 && !strstr(f->function, "+0x");
}

/* A native server's own code: its executable (named or not), not a library. */
/*
 * Libraries built into a native executable, by the first part of their
 * demangled names: Rust's standard library and async runtime, C++'s
 * templates. Code of the executable's, not the application's ("<tokio::
 * ...>::poll" and "<&F as core::...>" too; "<my_app::T as core::...>" is
 * the application's).
 */
static bool is_bundled_library(const char *function)
{
	static const char *const crates[] = {"std::", "core::", "alloc::", "tokio::", "mio::"};
	size_t i;

	while (*function == '<' || *function == '&')
		function++;
	for (i = 0; i < sizeof(crates) / sizeof(crates[0]); i++)
		if (strncmp(function, crates[i], strlen(crates[i])) == 0)
			return true;
	return false;
}

static bool is_native_app(const struct stall_record *r, const struct stall_frame *f)
{
	return r && !r->runtime[0] && r->exe[0] && strcmp(f->module, r->exe) == 0 && !is_bundled_library(f->function);
}

bool frame_is_application(const struct stall_record *r, const struct stall_frame *f)
{
	switch (f->kind) {
	case FRAME_PYTHON: return !is_python_library(f->file);
	case FRAME_JS: return !is_js_library(f);
	case FRAME_JIT: return !is_jit_library(f->function);
	case FRAME_NATIVE: return is_native_app(r, f);
	}
	return false;
}

/*
 * The innermost frame of the runtime (Python, then the application's
 * JavaScript), else a named one outside the C library (its caller), else
 * any named one.
 */
static int fallback(const struct stall_record *r)
{
	int i;

	for (i = 0; i < r->nframes; i++)
		if (r->frames[i].kind == FRAME_PYTHON)
			return i;
	for (i = 0; i < r->nframes; i++)
		if (r->frames[i].kind == FRAME_JS && !is_js_library(&r->frames[i]))
			return i;
	for (i = 0; i < r->nframes; i++)
		if (is_named(&r->frames[i]) && !is_c_library(&r->frames[i]))
			return i;
	for (i = 0; i < r->nframes; i++)
		if (is_named(&r->frames[i]) && !is_syscall_wrapper(r, &r->frames[i]))
			return i;
	return r->nframes ? 0 : -1;
}

struct culprit culprit_of(const struct stall_record *r)
{
	struct culprit c = {0};
	int at = -1, i;

	for (i = 0; i < r->nframes && at < 0; i++)
		if (frame_is_application(r, &r->frames[i]))
			at = i;
	if (at < 0)
		at = fallback(r);
	if (at < 0)
		return c;
	c.at = &r->frames[at];
	/*
	 * via: the library function the culprit called on the way to the
	 * blocking point, of its own kind: urlopen for Python (or a C function
	 * its runtime names: Python's time.sleep, a JVM's java.lang.Thread.sleep), node:fs's
	 * readFileSync for JavaScript, usleep for a native server (not the
	 * syscall's own wrapper, which the cause already names). Never the
	 * C internals under Python or JavaScript code (__open, a semaphore's
	 * slow path): those name no call the application made.
	 */
	for (i = at - 1; i >= 0 && !c.via; i--) {
		const struct stall_frame *f = &r->frames[i];

		if ((f->kind == c.at->kind || (f->runtime_function && c.at->kind != FRAME_NATIVE)) &&
		    !frame_is_application(r, f) && is_named(f) && !f->interpreter && !is_syscall_wrapper(r, f) &&
		    !(is_c_library(f) && !frame_is_application(r, c.at)) &&
		    !(f->kind == FRAME_JIT && is_jit_own(f->function)))
			c.via = f;
	}
	/* The coroutine it runs in, when it is not one: the application's first, else any. */
	for (i = at; i < r->nframes && !c.coroutine; i++)
		if (r->frames[i].kind == FRAME_PYTHON && r->frames[i].coroutine && frame_is_application(r, &r->frames[i]))
			c.coroutine = &r->frames[i];
	for (i = at; i < r->nframes && !c.coroutine; i++)
		if (r->frames[i].kind == FRAME_PYTHON && r->frames[i].coroutine)
			c.coroutine = &r->frames[i];
	if (c.coroutine == c.at)
		c.coroutine = NULL;
	return c;
}

/*
 * A file by what tells it apart: a library's from its package on
 * (requests/api.py, json/decoder.py, express/lib/router.js), so it is not
 * taken for the application's api.py; the application's from its root on
 * (api/views.py), else by its base name; a module by its base name.
 */
const char *frame_where(const struct stall_frame *f)
{
	return f->kind == FRAME_PYTHON || f->file[0] ? f->file : f->module;
}

const char *frame_short_where(const struct stall_frame *f)
{
	static const char *const roots[] = {"/site-packages/", "/dist-packages/", "/node_modules/"};
	const char *path = frame_where(f), *from = NULL, *p;

	if (path != f->file)
		return base_name(path);
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++)
		for (p = strstr(path, roots[i]); p; p = strstr(p + 1, roots[i]))
			from = p + strlen(roots[i]);
	/* Python's standard library: .../lib/python3.11/ */
	for (p = strstr(path, "/lib/python"); !from && p; p = strstr(p + 1, "/lib/python")) {
		size_t n = strspn(p + 11, "0123456789.");

		if (n && p[11 + n] == '/')
			from = p + 12 + n;
	}
	if (!from && f->app_root_len && f->app_root_len < strlen(path))
		from = path + f->app_root_len;
	return from && *from ? from : base_name(path);
}

void frame_put(FILE *out, const struct stall_frame *f, unsigned int form, escape_fn escape)
{
	const char *where = frame_where(f);

	escape(out, f->function[0] ? f->function : "?");
	if (where[0]) {
		fputs(" (", out);
		escape(out, form & FRAME_SHORT ? frame_short_where(f) : where);
		if (where == f->file && f->line)
			fprintf(out, ":%d", f->line);
		fputc(')', out);
	}
	if (!(form & FRAME_TAGS))
		return;
	if (f->coroutine)
		fputs(" [coroutine]", out);
	if (f->task[0]) {
		fputs(" [task ", out);
		escape(out, f->task);
		fputc(']', out);
	}
}

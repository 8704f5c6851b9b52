// SPDX-License-Identifier: GPL-2.0
/* The service a process is, from its command line: the program, and the application it runs. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "attrib/service.h"
#include "base/proc.h"

#define MAX_ARGS    64
#define CMDLINE_MAX 4096 /* bytes of a command line looked at: the program and its first arguments */

struct args {
	const char *v[MAX_ARGS];
	int n;
};

/* Arguments end with a NUL; the last one here ends at len. */
static void split(const char *cmdline, size_t len, char *copy, struct args *a)
{
	size_t at = 0;

	memcpy(copy, cmdline, len);
	copy[len] = 0;
	a->n = 0;
	while (at < len && a->n < MAX_ARGS) {
		size_t n = strlen(copy + at);

		a->v[a->n++] = copy + at;
		at += n + 1;
	}
}

static bool is(const char *prog, const char *patterns)
{
	char one[32];
	const char *p = patterns;

	while (*p) {
		size_t n = strcspn(p, "|");

		snprintf(one, sizeof(one), "%.*s", (int)n, p);
		if (fnmatch(one, prog, 0) == 0)
			return true;
		p += n + (p[n] == '|');
	}
	return false;
}

/* "main:app", "app.main:create_app()": the module:attribute an ASGI/WSGI server is told to run. */
static bool is_app_spec(const char *s)
{
	const char *colon = strchr(s, ':');
	const char *p;

	if (!colon || colon == s || !(isalpha((unsigned char)s[0]) || s[0] == '_') || !colon[1])
		return false;
	for (p = s; *p; p++)
		if (p != colon && !isalnum((unsigned char)*p) && !strchr("_.()", *p))
			return false;
	return true;
}

/* Options of the interpreter that take the next argument as their value. */
static bool takes_value(const char *prog, const char *opt)
{
	if (is(prog, "python*|pypy*"))
		return is(opt, "-W|-X|-Q");
	if (is(prog, "node|nodejs"))
		return is(opt, "-r|--require|--import|--loader|--experimental-loader|--conditions|-C|--inspect-port");
	if (is(prog, "java"))
		return is(opt, "-cp|-classpath|--class-path|-p|--module-path|--add-modules|--add-opens|--add-exports");
	if (is(prog, "ruby*"))
		return is(opt, "-I|-r|-C|-E");
	return false;
}

/* The first argument after i that is not an option (nor an option's value): -1 when none. */
static int first_operand(const char *prog, const struct args *a, int i)
{
	for (; i < a->n; i++) {
		if (strcmp(a->v[i], "--") == 0)
			return i + 1 < a->n ? i + 1 : -1;
		if (a->v[i][0] != '-')
			return i;
		if (takes_value(prog, a->v[i]))
			i++;
	}
	return -1;
}

/* prog, then the first module:attribute among its arguments: "gunicorn app:app". */
static void with_app(const char *prog, const struct args *a, int from, char *out, size_t cap)
{
	int i;

	for (i = from; i < a->n; i++) {
		if (is_app_spec(a->v[i])) {
			snprintf(out, cap, "%s %s", prog, a->v[i]);
			return;
		}
	}
	snprintf(out, cap, "%s", prog);
}

/* "nginx: worker process", "gunicorn: worker [app:app]": a title the process set over its argv. */
static void from_title(const char *title, char *out, size_t cap)
{
	size_t name = strcspn(title, ": ");
	const char *open = strchr(title, '['), *close = open ? strchr(open, ']') : NULL;

	if (open && close && close > open + 1)
		snprintf(out, cap, "%.*s %.*s", (int)name, title, (int)(close - open - 1), open + 1);
	else
		snprintf(out, cap, "%.*s", (int)name, title);
}

void service_of_cmdline(const char *cmdline, size_t len, char *out, size_t cap)
{
	char copy[CMDLINE_MAX + 1];
	struct args a;
	const char *prog;
	int i;

	out[0] = 0;
	if (len > CMDLINE_MAX)
		len = CMDLINE_MAX;
	while (len > 0 && cmdline[len - 1] == 0)
		len--; /* a title pads the rest of argv's space with NULs: not arguments */
	split(cmdline, len, copy, &a);
	if (a.n == 0 || !a.v[0][0])
		return;
	if (a.n == 1 && strchr(a.v[0], ' ')) {
		from_title(a.v[0], out, cap);
		return;
	}
	prog = base_name(a.v[0]);
	if (is(prog, "python*|pypy*")) {
		for (i = 1; i < a.n; i++) {
			if (strcmp(a.v[i], "-m") == 0 && i + 1 < a.n) {
				with_app(a.v[i + 1], &a, i + 2, out, cap); /* python3 -m gunicorn app:app */
				return;
			}
			if (strcmp(a.v[i], "-c") == 0) {
				snprintf(out, cap, "%s -c", prog);
				return;
			}
			if (strcmp(a.v[i], "-") == 0)
				break; /* the script from stdin; what follows is its arguments */
			if (a.v[i][0] != '-')
				break;
			if (takes_value(prog, a.v[i]))
				i++;
		}
		/* python3 checkout_service.py; python3 /usr/bin/gunicorn app:app */
		if (i < a.n && a.v[i][0] != '-')
			with_app(base_name(a.v[i]), &a, i + 1, out, cap);
		else
			snprintf(out, cap, "%s", prog);
		return;
	}
	if (is(prog, "node|nodejs|bun|deno|ruby*|php*|perl*")) {
		i = first_operand(prog, &a, 1);
		if (i < 0)
			snprintf(out, cap, "%s", prog);
		else if (is(prog, "node|nodejs|bun|deno"))
			snprintf(out, cap, "%s %s", prog, base_name(a.v[i])); /* node server.js */
		else
			snprintf(out, cap, "%s", base_name(a.v[i])); /* app.rb */
		return;
	}
	if (is(prog, "java")) {
		for (i = 1; i + 1 < a.n; i++) {
			if (strcmp(a.v[i], "-jar") == 0) {
				snprintf(out, cap, "%s", base_name(a.v[i + 1]));
				return;
			}
		}
		i = first_operand(prog, &a, 1);
		snprintf(out, cap, "%s", i < 0 ? prog : a.v[i]); /* its main class */
		return;
	}
	with_app(prog, &a, 1, out, cap); /* uvicorn main:app, redis-server, nginx */
}

bool service_says_little(const char *service)
{
	size_t n = strlen(service);

	return !n || (n > 3 && strcmp(service + n - 3, " -c") == 0) ||
	       is(service, "python|python[0-9]*|pypy|pypy[0-9]*|node|nodejs|bun|deno|ruby|ruby[0-9]*|php|php[0-9]*|"
				   "perl|perl[0-9]*|java");
}

int service_read(pid_t pid, char *out, size_t cap)
{
	char path[48], buf[CMDLINE_MAX];
	ssize_t n;
	int fd;

	out[0] = 0;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return -errno;
	/* Cut at the buffer: its last argument may be incomplete, so it goes. */
	if (n == sizeof(buf))
		while (n > 0 && buf[n - 1])
			n--;
	service_of_cmdline(buf, (size_t)n, out, cap);
	return 0;
}

int app_root_read(pid_t pid, char *out, size_t cap)
{
	char path[48];
	ssize_t n;

	out[0] = 0;
	snprintf(path, sizeof(path), "/proc/%d/cwd", pid);
	n = readlink(path, out, cap - 1);
	if (n < 0)
		return -errno;
	out[n] = 0;
	/* Cut at the buffer, or not a directory's name (" (deleted)"): nothing rather than a wrong root. */
	if ((size_t)n == cap - 1 || strcmp(out, "/") == 0 || out[0] != '/' || strstr(out, " (deleted)"))
		out[0] = 0;
	return 0;
}

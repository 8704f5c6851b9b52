// SPDX-License-Identifier: GPL-2.0
/*
 * JSON lines back into stall records: the reverse of output_json.c, for
 * what reads logs. A line is scanned (base/json_scan.c) and read from
 * where its values are, with no copy of the document; what the scanner
 * refuses (escapes, non-ASCII text, anything unusual) goes to jansson,
 * which reads it the same way. Both fill a record alike (the fuzzer
 * checks it).
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/json_scan.h"
#include "base/syscalls.h"
#include "record/record_read.h"


/* Files below the record's app_root are shown from there, in its frames and the culprit's. */
static void mark_app_root(struct read_record *out)
{
	stall_record_mark_app_root(&out->rec);
	frame_mark_app_root(&out->at, out->rec.container.app_root);
	frame_mark_app_root(&out->via, out->rec.container.app_root);
	frame_mark_app_root(&out->coroutine, out->rec.container.app_root);
}

static void copy(char *dst, size_t len, json_t *v)
{
	const char *s = json_is_string(v) ? json_string_value(v) : "";

	snprintf(dst, len, "%s", s);
}

/* A duration a record can hold: finite, not negative, under 30 years (a line saying otherwise is bad). */
static bool duration_ok(double ms)
{
	return isfinite(ms) && ms >= 0 && ms < 1e12;
}

static uint64_t ns_of(json_t *ms)
{
	double v = json_is_number(ms) ? json_number_value(ms) : 0;

	return v > 0 && v < 1e15 ? (uint64_t)(v * 1e6) : 0;
}

/* Numbers are read as doubles (syscall_args hold 64-bit values jansson's integers cannot). */
static int int_of(json_t *v, int dflt)
{
	double d = json_is_number(v) ? json_number_value(v) : dflt;

	return d >= -1 && d <= 0x7fffffff && d == (int)d ? (int)d : dflt;
}

static int read_frame(json_t *o, struct stall_frame *f)
{
	const char *kind;
	json_t *addr;

	if (!json_is_object(o))
		return -EINVAL;
	memset(f, 0, sizeof(*f));
	kind = json_string_value(json_object_get(o, "kind"));
	if (!kind)
		return -EINVAL;
	f->kind = strcmp(kind, "python") == 0 ? FRAME_PYTHON
		  : strcmp(kind, "js") == 0   ? FRAME_JS
		  : strcmp(kind, "jit") == 0  ? FRAME_JIT
					      : FRAME_NATIVE;
	copy(f->function, sizeof(f->function), json_object_get(o, "function"));
	copy(f->file, sizeof(f->file), json_object_get(o, "file"));
	copy(f->module, sizeof(f->module), json_object_get(o, "module"));
	copy(f->task, sizeof(f->task), json_object_get(o, "task"));
	copy(f->build_id, sizeof(f->build_id), json_object_get(o, "build_id"));
	f->line = int_of(json_object_get(o, "line"), 0);
	if (f->line < 0)
		f->line = 0;
	f->coroutine = json_is_true(json_object_get(o, "coroutine"));
	f->interpreter = json_is_true(json_object_get(o, "interpreter"));
	addr = json_object_get(o, "addr");
	if (json_is_string(addr))
		sscanf(json_string_value(addr), "%lx", &f->ip);
	return 0;
}

/* "2026-12-01T15:28:14.123Z", as output_json writes it. */
static int read_time(const char *s, struct read_record *out)
{
	struct tm tm = {0};
	const char *rest;
	unsigned ms = 0;

	if (!s || !(rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)))
		return -EINVAL;
	if (*rest == '.' && sscanf(rest + 1, "%3u", &ms) != 1)
		return -EINVAL;
	out->rec.start_wall.tv_sec = timegm(&tm);
	out->rec.start_wall.tv_nsec = (long)ms * 1000000;
	out->start = (double)out->rec.start_wall.tv_sec + ms / 1000.0;
	return 0;
}

static int syscall_number(const char *name)
{
	int nr;

	if (!name)
		return -1;
	if (sscanf(name, "syscall_%d", &nr) == 1)
		return nr;
	for (nr = 0; nr < 1024; nr++) {
		const char *s = syscall_name(nr);

		if (s && strcmp(s, name) == 0)
			return nr;
	}
	return -1;
}

static int cause_of(const char *name, enum stall_cause *cause)
{
	int c;

	for (c = CAUSE_CPU; name && c <= CAUSE_STOPPED; c++)
		if (strcmp(stall_cause_name(c), name) == 0) {
			*cause = c;
			return 0;
		}
	return -EINVAL;
}

static void read_waited(json_t *w, struct stall_record *r)
{
	json_t *fds = json_object_get(w, "fds"), *child = json_object_get(w, "child");
	json_t *holder = json_object_get(w, "lock_holder");
	size_t i;

	if (!json_is_object(w))
		return;
	copy(r->waited.path, sizeof(r->waited.path), json_object_get(w, "path"));
	copy(r->waited.to_path, sizeof(r->waited.to_path), json_object_get(w, "to_path"));
	copy(r->waited.peer, sizeof(r->waited.peer), json_object_get(w, "peer"));
	if (json_is_object(child)) {
		r->waited.child = int_of(json_object_get(child, "pid"), 0);
		copy(r->waited.child_cmd, sizeof(r->waited.child_cmd), json_object_get(child, "command"));
	}
	if (json_is_object(holder)) {
		r->waited.lock_holder = int_of(json_object_get(holder, "pid"), 0);
		copy(r->waited.lock_holder_cmd, sizeof(r->waited.lock_holder_cmd), json_object_get(holder, "command"));
	}
	for (i = 0; json_is_array(fds) && i < json_array_size(fds) && i < WAIT_MAX_FDS; i++) {
		json_t *fd = json_array_get(fds, i);

		r->waited.fds[i].fd = int_of(json_object_get(fd, "fd"), -1);
		copy(r->waited.fds[i].target, sizeof(r->waited.fds[i].target), json_object_get(fd, "target"));
		r->waited.nfds++;
	}
}

static void read_holder(json_t *h, struct stall_record *r, const char *lock)
{
	json_t *stack = json_object_get(h, "stack");
	size_t i;

	if (!json_is_object(h))
		return;
	r->holder.tid = int_of(json_object_get(h, "tid"), 0);
	snprintf(r->holder.lock, sizeof(r->holder.lock), "%s", lock);
	copy(r->holder.thread, sizeof(r->holder.thread), json_object_get(h, "thread"));
	if (read_frame(json_object_get(h, "frame"), &r->holder.frame))
		memset(&r->holder.frame, 0, sizeof(r->holder.frame));
	for (i = 0; json_is_array(stack) && i < json_array_size(stack) && i < HOLDER_MAX_FRAMES; i++)
		if (read_frame(json_array_get(stack, i), &r->holder.frames[r->holder.nframes]) == 0)
			r->holder.nframes++;
}

/* The frames of a stack (or the hot list's), as many as fit; -EINVAL for one that is no frame. */
static int read_frames(json_t *a, struct stall_record *r)
{
	size_t i;

	for (i = 0; json_is_array(a) && i < json_array_size(a) && r->nframes < STALL_MAX_FRAMES; i++)
		if (read_frame(json_array_get(a, i), &r->frames[r->nframes++]))
			return -EINVAL;
	return 0;
}

static void read_hot(json_t *a, struct stall_record *r)
{
	size_t i;

	for (i = 0; json_is_array(a) && i < json_array_size(a) && r->nhot < STALL_MAX_HOT; i++) {
		json_t *h = json_array_get(a, i);
		struct hot_frame *hf = &r->hot[r->nhot];

		if (read_frame(h, &hf->frame))
			continue;
		hf->samples = int_of(json_object_get(h, "samples"), 0);
		hf->self = int_of(json_object_get(h, "self"), 0);
		hf->of_runtime = json_is_string(json_object_get(h, "of")) &&
				 strcmp(json_string_value(json_object_get(h, "of")), "native") != 0;
		r->nhot++;
	}
}

/* A culprit frame the line names: into f, pointed at by *p; NULL when absent. */
static int read_named(json_t *o, const char *key, struct stall_frame *f, const struct stall_frame **p)
{
	json_t *v = json_object_get(o, key);

	*p = NULL;
	if (!v)
		return 0;
	if (read_frame(v, f))
		return -EINVAL;
	*p = f;
	return 0;
}

static void reset(struct read_record *out)
{
	struct stall_record *r = &out->rec;

	stall_record_clear(r);
	r->syscall_nr = -1;
	r->fd = -1;
	memset(&out->culprit, 0, sizeof(out->culprit));
	out->start = 0;
}

static int read_stall(json_t *o, struct read_record *out)
{
	struct stall_record *r = &out->rec;
	const char *phase = json_string_value(json_object_get(o, "phase"));
	json_t *duration = json_object_get(o, "duration_ms"), *b = json_object_get(o, "breakdown_ms"), *v;

	reset(out);
	if (!phase || (strcmp(phase, "begin") && strcmp(phase, "end")) || !json_is_number(duration) ||
	    !duration_ok(json_number_value(duration)) || int_of(json_object_get(o, "pid"), 0) <= 0 ||
	    int_of(json_object_get(o, "tid"), 0) <= 0)
		return -EINVAL;
	if (cause_of(json_string_value(json_object_get(o, "cause")), &r->cause) ||
	    read_time(json_string_value(json_object_get(o, "start")), out))
		return -EINVAL;
	r->ended = strcmp(phase, "end") == 0;
	r->pid = int_of(json_object_get(o, "pid"), 0);
	r->tid = int_of(json_object_get(o, "tid"), 0);
	copy(r->comm, sizeof(r->comm), json_object_get(o, "comm"));
	copy(r->container.service, sizeof(r->container.service), json_object_get(o, "service"));
	copy(r->container.app_root, sizeof(r->container.app_root), json_object_get(o, "app_root"));
	r->duration_ns = ns_of(duration);
	r->threshold_ns = ns_of(json_object_get(o, "threshold_ms"));
	r->syscall_nr = syscall_number(json_string_value(json_object_get(o, "syscall")));
	r->syscall_ns = ns_of(json_object_get(o, "syscall_ms"));
	r->fd = int_of(json_object_get(o, "fd"), -1);
	copy(r->fd_desc, sizeof(r->fd_desc), json_object_get(o, "fd_target"));
	r->throttled_ns = ns_of(json_object_get(o, "throttled_ms"));
	r->cpu_ns = ns_of(json_object_get(b, "cpu"));
	r->blocked_sys_ns = ns_of(json_object_get(b, "syscall"));
	r->runq_ns = ns_of(json_object_get(b, "runqueue"));
	r->other_ns = ns_of(json_object_get(b, "other"));
	r->stopped_ns = ns_of(json_object_get(b, "stopped"));
	copy(r->runtime, sizeof(r->runtime), json_object_get(o, "runtime"));
	copy(r->framework, sizeof(r->framework), json_object_get(o, "framework"));
	r->exited = json_is_true(json_object_get(o, "exited"));
	r->unfinished = json_is_true(json_object_get(o, "unfinished"));
	r->exiting = json_is_true(json_object_get(o, "exiting"));
	copy(r->found_by, sizeof(r->found_by), json_object_get(o, "found_by"));
	read_waited(json_object_get(o, "waited_for"), r);
	if ((v = json_object_get(o, "gil_holder")))
		read_holder(v, r, "gil");
	else if ((v = json_object_get(o, "lock_holder")))
		read_holder(v, r, "mutex");
	if ((v = json_object_get(o, "request")) && json_is_object(v)) {
		copy(r->request.method, sizeof(r->request.method), json_object_get(v, "method"));
		copy(r->request.path, sizeof(r->request.path), json_object_get(v, "path"));
		copy(r->request.client, sizeof(r->request.client), json_object_get(v, "client"));
	}
	if (read_frames(json_object_get(o, "stack"), r))
		return -EINVAL;
	read_hot(json_object_get(o, "hot"), r);
	if ((v = json_object_get(o, "samples"))) {
		r->n_samples = int_of(json_object_get(v, "native"), 0);
		r->n_runtime_samples = int_of(json_object_get(v, "python"), 0);
	}
	if (read_named(o, "culprit", &out->at, &out->culprit.at) ||
	    read_named(o, "via", &out->via, &out->culprit.via) ||
	    read_named(o, "coroutine", &out->coroutine, &out->culprit.coroutine))
		return -EINVAL;
	mark_app_root(out);
	return 1;
}

/*
 * The same reading from a scanned line. Where jansson's reading needs a
 * C string (times, syscall names, addresses), a short copy of it; one too
 * long for the copy sends the line to jansson (-EAGAIN).
 */
#define SHORT_MAX 64

struct scan_read {
	struct json_scan js;
	bool bad; /* a value the copies cannot hold */
};

static const char *s_short(struct scan_read *sr, int v, char *buf)
{
	size_t n;
	const char *s = json_scan_str(&sr->js, v, &n);

	if (!s)
		return NULL;
	if (n >= SHORT_MAX) {
		sr->bad = true;
		return NULL;
	}
	memcpy(buf, s, n);
	buf[n] = 0;
	return buf;
}

static void s_copy(struct scan_read *sr, char *dst, size_t len, int v)
{
	size_t n = 0;
	const char *s = json_scan_str(&sr->js, v, &n);

	if (!s)
		n = 0;
	if (n >= len)
		n = len - 1;
	if (n)
		memcpy(dst, s, n);
	dst[n] = 0;
}

static int s_get(struct scan_read *sr, int o, const char *key)
{
	return json_scan_get(&sr->js, o, key);
}

static uint64_t s_ns(struct scan_read *sr, int ms)
{
	double v = 0;

	json_scan_num(&sr->js, ms, &v);
	return v > 0 && v < 1e15 ? (uint64_t)(v * 1e6) : 0;
}

static int s_int(struct scan_read *sr, int v, int dflt)
{
	double d = dflt;

	json_scan_num(&sr->js, v, &d);
	return d >= -1 && d <= 0x7fffffff && d == (int)d ? (int)d : dflt;
}

static bool s_true(struct scan_read *sr, int v)
{
	return json_scan_is(&sr->js, v, JS_TRUE);
}

static bool s_is(struct scan_read *sr, const char *key, int v)
{
	size_t n, k = strlen(key);
	const char *s = json_scan_str(&sr->js, v, &n);

	return s && n == k && !memcmp(s, key, k);
}

/* "0x" and 1 to 16 lower-case hex digits, as output_json writes addresses, without sscanf; false for the rest. */
static bool hex_addr(const char *s, unsigned long *ip)
{
	unsigned long v = 0;
	int i;

	if (s[0] != '0' || s[1] != 'x')
		return false;
	for (i = 2; s[i]; i++) {
		int c = s[i];

		if (i == 18)
			return false;
		if (c >= '0' && c <= '9')
			v = v << 4 | (unsigned long)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (unsigned long)(c - 'a' + 10);
		else
			return false;
	}
	if (i == 2)
		return false;
	*ip = v;
	return true;
}

static bool key_is(const char *k, size_t n, const char *key)
{
	return n == strlen(key) && !memcmp(k, key, n);
}

/* One pass over the frame's keys (there are no duplicates: the scanner refuses them). */
static int s_frame(struct scan_read *sr, int o, struct stall_frame *f)
{
	const struct json_scan_tok *toks = sr->js.toks;
	char buf[SHORT_MAX];
	const char *addr;
	bool kind = false;
	uint32_t k;

	if (!json_scan_is(&sr->js, o, JS_OBJECT))
		return -EINVAL;
	memset(f, 0, sizeof(*f));
	for (k = o + 1; k < toks[o].end; k = toks[k + 1].end) {
		const char *key = sr->js.text + toks[k].start;
		size_t n = toks[k].len;
		int v = (int)k + 1;

		if (key_is(key, n, "kind")) {
			kind = json_scan_is(&sr->js, v, JS_STRING);
			f->kind = s_is(sr, "python", v) ? FRAME_PYTHON
				  : s_is(sr, "js", v)	  ? FRAME_JS
				  : s_is(sr, "jit", v)	  ? FRAME_JIT
							  : FRAME_NATIVE;
		} else if (key_is(key, n, "function")) {
			s_copy(sr, f->function, sizeof(f->function), v);
		} else if (key_is(key, n, "file")) {
			s_copy(sr, f->file, sizeof(f->file), v);
		} else if (key_is(key, n, "module")) {
			s_copy(sr, f->module, sizeof(f->module), v);
		} else if (key_is(key, n, "task")) {
			s_copy(sr, f->task, sizeof(f->task), v);
		} else if (key_is(key, n, "build_id")) {
			s_copy(sr, f->build_id, sizeof(f->build_id), v);
		} else if (key_is(key, n, "line")) {
			f->line = s_int(sr, v, 0);
			if (f->line < 0)
				f->line = 0;
		} else if (key_is(key, n, "coroutine")) {
			f->coroutine = s_true(sr, v);
		} else if (key_is(key, n, "interpreter")) {
			f->interpreter = s_true(sr, v);
		} else if (key_is(key, n, "addr")) {
			addr = s_short(sr, v, buf);
			if (addr && !hex_addr(addr, &f->ip))
				sscanf(addr, "%lx", &f->ip);
		}
	}
	if (!kind) {
		/* As jansson's reading leaves it: emptied, no more. */
		memset(f, 0, sizeof(*f));
		return -EINVAL;
	}
	return 0;
}

static void s_waited(struct scan_read *sr, int w, struct stall_record *r)
{
	int fds = s_get(sr, w, "fds"), child = s_get(sr, w, "child"), holder = s_get(sr, w, "lock_holder"), fd;
	size_t i;

	if (!json_scan_is(&sr->js, w, JS_OBJECT))
		return;
	s_copy(sr, r->waited.path, sizeof(r->waited.path), s_get(sr, w, "path"));
	s_copy(sr, r->waited.to_path, sizeof(r->waited.to_path), s_get(sr, w, "to_path"));
	s_copy(sr, r->waited.peer, sizeof(r->waited.peer), s_get(sr, w, "peer"));
	if (json_scan_is(&sr->js, child, JS_OBJECT)) {
		r->waited.child = s_int(sr, s_get(sr, child, "pid"), 0);
		s_copy(sr, r->waited.child_cmd, sizeof(r->waited.child_cmd), s_get(sr, child, "command"));
	}
	if (json_scan_is(&sr->js, holder, JS_OBJECT)) {
		r->waited.lock_holder = s_int(sr, s_get(sr, holder, "pid"), 0);
		s_copy(sr, r->waited.lock_holder_cmd, sizeof(r->waited.lock_holder_cmd), s_get(sr, holder, "command"));
	}
	for (i = 0, fd = json_scan_first(&sr->js, fds); fd >= 0 && i < WAIT_MAX_FDS;
	     i++, fd = json_scan_next(&sr->js, fds, fd)) {
		r->waited.fds[i].fd = s_int(sr, s_get(sr, fd, "fd"), -1);
		s_copy(sr, r->waited.fds[i].target, sizeof(r->waited.fds[i].target), s_get(sr, fd, "target"));
		r->waited.nfds++;
	}
}

static void s_holder(struct scan_read *sr, int h, struct stall_record *r, const char *lock)
{
	int stack = s_get(sr, h, "stack"), e;
	size_t i;

	if (!json_scan_is(&sr->js, h, JS_OBJECT))
		return;
	r->holder.tid = s_int(sr, s_get(sr, h, "tid"), 0);
	snprintf(r->holder.lock, sizeof(r->holder.lock), "%s", lock);
	s_copy(sr, r->holder.thread, sizeof(r->holder.thread), s_get(sr, h, "thread"));
	if (s_frame(sr, s_get(sr, h, "frame"), &r->holder.frame))
		memset(&r->holder.frame, 0, sizeof(r->holder.frame));
	for (i = 0, e = json_scan_first(&sr->js, stack); e >= 0 && i < HOLDER_MAX_FRAMES;
	     i++, e = json_scan_next(&sr->js, stack, e))
		if (s_frame(sr, e, &r->holder.frames[r->holder.nframes]) == 0)
			r->holder.nframes++;
}

static int s_frames(struct scan_read *sr, int a, struct stall_record *r)
{
	int e;

	for (e = json_scan_first(&sr->js, a); e >= 0 && r->nframes < STALL_MAX_FRAMES;
	     e = json_scan_next(&sr->js, a, e))
		if (s_frame(sr, e, &r->frames[r->nframes++]))
			return -EINVAL;
	return 0;
}

static void s_hot(struct scan_read *sr, int a, struct stall_record *r)
{
	int h;

	for (h = json_scan_first(&sr->js, a); h >= 0 && r->nhot < STALL_MAX_HOT; h = json_scan_next(&sr->js, a, h)) {
		struct hot_frame *hf = &r->hot[r->nhot];
		int of;

		if (s_frame(sr, h, &hf->frame))
			continue;
		hf->samples = s_int(sr, s_get(sr, h, "samples"), 0);
		hf->self = s_int(sr, s_get(sr, h, "self"), 0);
		of = s_get(sr, h, "of");
		hf->of_runtime = json_scan_is(&sr->js, of, JS_STRING) && !s_is(sr, "native", of);
		r->nhot++;
	}
}

static int s_named(struct scan_read *sr, int o, const char *key, struct stall_frame *f, const struct stall_frame **p)
{
	int v = s_get(sr, o, key);

	*p = NULL;
	if (v < 0)
		return 0;
	if (s_frame(sr, v, f))
		return -EINVAL;
	*p = f;
	return 0;
}

static int s_stall(struct scan_read *sr, int o, struct read_record *out)
{
	struct stall_record *r = &out->rec;
	int phase = s_get(sr, o, "phase"), duration = s_get(sr, o, "duration_ms"), b = s_get(sr, o, "breakdown_ms"), v;
	char buf[SHORT_MAX];
	double ms = 0;
	const char *s;

	reset(out);
	if (!(s_is(sr, "begin", phase) || s_is(sr, "end", phase)) || !json_scan_is(&sr->js, duration, JS_NUMBER) ||
	    !json_scan_num(&sr->js, duration, &ms) || !duration_ok(ms) || s_int(sr, s_get(sr, o, "pid"), 0) <= 0 ||
	    s_int(sr, s_get(sr, o, "tid"), 0) <= 0)
		return -EINVAL;
	s = s_short(sr, s_get(sr, o, "cause"), buf);
	if (sr->bad || cause_of(s, &r->cause))
		return -EINVAL;
	s = s_short(sr, s_get(sr, o, "start"), buf);
	if (sr->bad || read_time(s, out))
		return -EINVAL;
	r->ended = s_is(sr, "end", phase);
	r->pid = s_int(sr, s_get(sr, o, "pid"), 0);
	r->tid = s_int(sr, s_get(sr, o, "tid"), 0);
	s_copy(sr, r->comm, sizeof(r->comm), s_get(sr, o, "comm"));
	s_copy(sr, r->container.service, sizeof(r->container.service), s_get(sr, o, "service"));
	s_copy(sr, r->container.app_root, sizeof(r->container.app_root), s_get(sr, o, "app_root"));
	r->duration_ns = s_ns(sr, duration);
	r->threshold_ns = s_ns(sr, s_get(sr, o, "threshold_ms"));
	r->syscall_nr = syscall_number(s_short(sr, s_get(sr, o, "syscall"), buf));
	r->syscall_ns = s_ns(sr, s_get(sr, o, "syscall_ms"));
	r->fd = s_int(sr, s_get(sr, o, "fd"), -1);
	s_copy(sr, r->fd_desc, sizeof(r->fd_desc), s_get(sr, o, "fd_target"));
	r->throttled_ns = s_ns(sr, s_get(sr, o, "throttled_ms"));
	r->cpu_ns = s_ns(sr, s_get(sr, b, "cpu"));
	r->blocked_sys_ns = s_ns(sr, s_get(sr, b, "syscall"));
	r->runq_ns = s_ns(sr, s_get(sr, b, "runqueue"));
	r->other_ns = s_ns(sr, s_get(sr, b, "other"));
	r->stopped_ns = s_ns(sr, s_get(sr, b, "stopped"));
	s_copy(sr, r->runtime, sizeof(r->runtime), s_get(sr, o, "runtime"));
	s_copy(sr, r->framework, sizeof(r->framework), s_get(sr, o, "framework"));
	r->exited = s_true(sr, s_get(sr, o, "exited"));
	r->unfinished = s_true(sr, s_get(sr, o, "unfinished"));
	r->exiting = s_true(sr, s_get(sr, o, "exiting"));
	s_copy(sr, r->found_by, sizeof(r->found_by), s_get(sr, o, "found_by"));
	s_waited(sr, s_get(sr, o, "waited_for"), r);
	if ((v = s_get(sr, o, "gil_holder")) >= 0)
		s_holder(sr, v, r, "gil");
	else if ((v = s_get(sr, o, "lock_holder")) >= 0)
		s_holder(sr, v, r, "mutex");
	if ((v = s_get(sr, o, "request")) >= 0 && json_scan_is(&sr->js, v, JS_OBJECT)) {
		s_copy(sr, r->request.method, sizeof(r->request.method), s_get(sr, v, "method"));
		s_copy(sr, r->request.path, sizeof(r->request.path), s_get(sr, v, "path"));
		s_copy(sr, r->request.client, sizeof(r->request.client), s_get(sr, v, "client"));
	}
	if (s_frames(sr, s_get(sr, o, "stack"), r))
		return -EINVAL;
	s_hot(sr, s_get(sr, o, "hot"), r);
	if ((v = s_get(sr, o, "samples")) >= 0) {
		r->n_samples = s_int(sr, s_get(sr, v, "native"), 0);
		r->n_runtime_samples = s_int(sr, s_get(sr, v, "python"), 0);
	}
	if (s_named(sr, o, "culprit", &out->at, &out->culprit.at) ||
	    s_named(sr, o, "via", &out->via, &out->culprit.via) ||
	    s_named(sr, o, "coroutine", &out->coroutine, &out->culprit.coroutine))
		return -EINVAL;
	mark_app_root(out);
	return 1;
}

/* One scanner for the process's lines (loopstall report reads them on one thread). */
static struct scan_read *scanner;

int record_read_scan(const char *line, size_t len, struct read_record *out)
{
	int event, ret;

	if (len > RECORD_LINE_MAX)
		return -EINVAL;
	if (!scanner) {
		scanner = calloc(1, sizeof(*scanner));
		if (!scanner || json_scan_init(&scanner->js)) {
			free(scanner);
			scanner = NULL;
			return -EAGAIN;
		}
	}
	scanner->bad = false;
	if (json_scan_parse(&scanner->js, line, len))
		return -EAGAIN;
	event = s_get(scanner, 0, "event");
	if (!json_scan_is(&scanner->js, event, JS_STRING))
		return -EINVAL;
	if (!s_is(scanner, "stall", event))
		return 0;
	ret = s_stall(scanner, 0, out);
	/* A value too long for the short copies: jansson reads the line whole. */
	return scanner->bad ? -EAGAIN : ret;
}

int record_read_json(const char *line, size_t len, struct read_record *out)
{
	int ret = record_read_scan(line, len, out);

	return ret == -EAGAIN ? record_read_jansson(line, len, out) : ret;
}

int record_read_jansson(const char *line, size_t len, struct read_record *out)
{
	json_error_t err;
	json_t *o;
	const char *event;
	int ret;

	if (len > RECORD_LINE_MAX)
		return -EINVAL;
	o = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &err);
	if (!o)
		return -EINVAL;
	event = json_string_value(json_object_get(o, "event"));
	if (!json_is_object(o) || !event)
		ret = -EINVAL;
	else if (strcmp(event, "stall") == 0)
		ret = read_stall(o, out);
	else
		ret = 0;
	json_decref(o);
	return ret;
}

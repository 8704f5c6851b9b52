// SPDX-License-Identifier: GPL-2.0
/*
 * The hint rules: which one a stall record matches, and its text. The
 * rules are data (record/hints.rules); this file only knows how to read
 * a record against them.
 */
#include <fnmatch.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/proc.h"
#include "base/syscalls.h"
#include "record/hint.h"

static const struct hint_rule rules[] = {
#include "hint_rules.h"
};

#define NRULES (sizeof(rules) / sizeof(rules[0]))

const struct hint_rule *hint_rules(size_t *n)
{
	*n = NRULES;
	return rules;
}

const struct hint_rule *hint_by_id(const char *id)
{
	size_t i;

	for (i = 0; i < NRULES; i++)
		if (strcmp(rules[i].id, id) == 0)
			return &rules[i];
	return NULL;
}

/* Whether s matches one of the |-separated globs of patterns. */
static bool matches(const char *patterns, const char *s)
{
	char one[512];
	const char *p = patterns;

	if (!s)
		return false;
	while (*p) {
		size_t n = strcspn(p, "|");

		if (n < sizeof(one)) {
			memcpy(one, p, n);
			one[n] = 0;
			if (fnmatch(one, s, 0) == 0)
				return true;
		}
		p += n;
		if (*p == '|')
			p++;
	}
	return false;
}

/*
 * A hot frame counts when it was on the stack in a quarter of its samples
 * at least: one sample in passing says nothing of what the stall did.
 */
static bool hot_counts(const struct stall_record *r, const struct hot_frame *h)
{
	int of = h->of_runtime ? r->n_runtime_samples : r->n_samples;

	return of > 0 && (uint64_t)h->samples * 4 >= (uint64_t)of;
}

/* The first frame of the stack, then of the hot list, whose field (function, file, module) matches. */
static const struct stall_frame *find_frame(const struct stall_record *r, enum hint_key key, const char *patterns)
{
	int i, n = r->nframes < STALL_MAX_FRAMES ? r->nframes : STALL_MAX_FRAMES;
	int nhot = r->nhot < STALL_MAX_HOT ? r->nhot : STALL_MAX_HOT;

	for (i = 0; i < n + nhot; i++) {
		const struct stall_frame *f = i < n ? &r->frames[i] : &r->hot[i - n].frame;
		const char *field;

		if (i >= n && !hot_counts(r, &r->hot[i - n]))
			continue;
		field = key == HINT_FRAME ? f->function : key == HINT_FRAME_FILE ? f->file : f->module;

		if (field[0] && matches(patterns, field))
			return f;
	}
	return NULL;
}

static bool fd_target_matches(const struct stall_record *r, const char *patterns)
{
	int i;

	if (r->fd_desc[0] && matches(patterns, r->fd_desc))
		return true;
	if (r->waited.path[0] && matches(patterns, r->waited.path))
		return true;
	for (i = 0; i < r->waited.nfds && i < WAIT_MAX_FDS; i++)
		if (r->waited.fds[i].target[0] && matches(patterns, r->waited.fds[i].target))
			return true;
	return false;
}

static bool in_coroutine(const struct culprit *c)
{
	return (c->at && c->at->coroutine) || c->coroutine;
}

static const struct stall_frame *holder_innermost(const struct stall_record *r)
{
	if (r->holder.tid <= 0)
		return NULL;
	if (r->holder.nframes > 0 && r->holder.frames[0].function[0])
		return &r->holder.frames[0];
	return r->holder.frame.function[0] ? &r->holder.frame : NULL;
}

static bool key_holds(const struct stall_record *r, const struct culprit *c, enum hint_key key, const char *p)
{
	const struct stall_frame *h;

	switch (key) {
	case HINT_RUNTIME: return matches(p, r->runtime[0] ? r->runtime : "native");
	case HINT_COMM: return matches(p, r->comm);
	case HINT_CAUSE: return matches(p, stall_cause_name(r->cause));
	case HINT_SYSCALL: return r->syscall_nr >= 0 && matches(p, syscall_name(r->syscall_nr));
	case HINT_CULPRIT: return c->at && matches(p, c->at->function);
	case HINT_CULPRIT_FILE: return c->at && matches(p, frame_where(c->at));
	case HINT_VIA: return c->via && matches(p, c->via->function);
	case HINT_VIA_FILE: return c->via && matches(p, frame_where(c->via));
	case HINT_FRAME:
	case HINT_FRAME_FILE:
	case HINT_FRAME_MODULE: return find_frame(r, key, p) != NULL;
	case HINT_FD_TARGET: return fd_target_matches(r, p);
	case HINT_IN_COROUTINE: return in_coroutine(c) == (strcmp(p, "yes") == 0);
	case HINT_THROTTLED: return (r->throttled_ns > 0) == (strcmp(p, "yes") == 0);
	case HINT_HOLDER_FRAME: return (h = holder_innermost(r)) && matches(p, h->function);
	case HINT_FRAMEWORK: return r->framework[0] && matches(p, r->framework);
	case HINT_NKEYS: break;
	}
	return false;
}

const struct hint_rule *hint_match(const struct stall_record *r, const struct culprit *c)
{
	size_t i;
	int k;

	for (i = 0; i < NRULES; i++) {
		for (k = 0; k < HINT_NKEYS; k++)
			if (rules[i].match[k] && !key_holds(r, c, k, rules[i].match[k]))
				break;
		if (k == HINT_NKEYS)
			return &rules[i];
	}
	return NULL;
}

/* What a placeholder names, or "" */
static void placeholder(const struct hint_rule *h, const struct stall_record *r, const struct culprit *c,
			const char *name, size_t n, char *buf, size_t len)
{
	const struct stall_frame *f = NULL;
	int i;

	buf[0] = 0;
	if (n == 7 && strncmp(name, "culprit", n) == 0)
		f = c->at;
	else if (n == 3 && strncmp(name, "via", n) == 0)
		f = c->via;
	else if (n == 5 && strncmp(name, "frame", n) == 0 && h->match[HINT_FRAME])
		f = find_frame(r, HINT_FRAME, h->match[HINT_FRAME]);
	else if (n == 6 && strncmp(name, "holder", n) == 0)
		f = holder_innermost(r);
	if (f == holder_innermost(r) && f && r->holder.frame.function[0] && f != &r->holder.frame &&
	    strcmp(f->function, r->holder.frame.function) != 0) {
		/* The holder's innermost frame, then its application's: "match (__init__.py:166) called by check (app.py:4)" */
		const struct stall_frame *app = &r->holder.frame;

		snprintf(buf, len, "%s (%s:%d) called by %s (%s:%d)", f->function, frame_short_where(f), f->line,
			 app->function, frame_short_where(app), app->line);
		return;
	}
	if (f) {
		const char *where = frame_where(f);

		/* The culprit and the holder with where they are; a call by its name, as code names it. */
		if (f != c->via && (f == c->at || f == holder_innermost(r)) && where[0] && f->line)
			snprintf(buf, len, "%s (%s:%d)", f->function, frame_short_where(f), f->line);
		else
			snprintf(buf, len, "%s", f->function);
		return;
	}
	if (n == 9 && strncmp(name, "fd_target", n) == 0) {
		const char *t = r->fd_desc[0] ? r->fd_desc : r->waited.path;

		for (i = 0; !t[0] && i < r->waited.nfds && i < WAIT_MAX_FDS; i++)
			t = r->waited.fds[i].target;
		snprintf(buf, len, "%s", t);
	}
}

void hint_text(const struct hint_rule *h, const struct stall_record *r, const struct culprit *c, char *buf, size_t len)
{
	const char *s = h->text;
	size_t used = 0;
	char value[400];

	if (!len)
		return;
	while (*s && used + 1 < len) {
		const char *close = *s == '{' ? strchr(s, '}') : NULL;

		if (close) {
			size_t n;

			placeholder(h, r, c, s + 1, close - s - 1, value, sizeof(value));
			n = strlen(value);
			if (n > len - 1 - used)
				n = len - 1 - used;
			memcpy(buf + used, value, n);
			used += n;
			s = close + 1;
			continue;
		}
		buf[used++] = *s++;
	}
	buf[used] = 0;
}

// SPDX-License-Identifier: GPL-2.0
/* Folded stacks and speedscope files. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/escape.h"
#include "base/proc.h"
#include "record/culprit.h"
#include "report/stack_export.h"

#define MAX_FRAMES (1 << 20)
#define MAX_STACKS (1 << 20)

/* The frames a flame graph shows, outermost first, into idx (of r->frames): their count. */
static int shown_frames(const struct stall_record *r, int *idx)
{
	int i, n = 0, nframes = r->nframes < STALL_MAX_FRAMES ? r->nframes : STALL_MAX_FRAMES;

	for (i = nframes - 1; i >= 0; i--)
		if (!r->frames[i].interpreter)
			idx[n++] = i;
	return n;
}

/* A folded frame: no ';' (the separator) and, being escaped, no newline or control byte. */
static void folded_name(FILE *out, const char *s)
{
	char buf[300];
	size_t i;

	for (i = 0; s[i] && i < sizeof(buf) - 1; i++)
		buf[i] = s[i] == ';' ? ':' : s[i];
	buf[i] = 0;
	term_escape(out, buf);
}

static void folded_frame(FILE *out, const struct stall_frame *f)
{
	const char *where = frame_where(f);

	folded_name(out, f->function[0] ? f->function : "?");
	if (where[0]) {
		fputs(" (", out);
		folded_name(out, frame_short_where(f));
		if (f->file[0] && f->line)
			fprintf(out, ":%d", f->line);
		fputc(')', out);
	}
}

static unsigned long weight_ms(const struct stall_record *r)
{
	unsigned long ms = (unsigned long)((r->duration_ns + 500000) / 1000000);

	return ms ? ms : 1;
}

void folded_write(FILE *out, const struct stall_record *r)
{
	int idx[STALL_MAX_FRAMES], n = shown_frames(r, idx), i;

	folded_name(out, r->comm[0] ? r->comm : "?");
	for (i = 0; i < n; i++) {
		fputc(';', out);
		folded_frame(out, &r->frames[idx[i]]);
	}
	fprintf(out, " %lu\n", weight_ms(r));
}

/* ---- speedscope ---------------------------------------------------------------------- */

/* An open-addressing map of byte strings to entry indexes. */
struct map {
	uint32_t *slots; /* index + 1, 0: empty */
	size_t nslots;
};

struct sframe {
	char *name, *file;
	int line;
};

struct sstack {
	uint32_t profile, depth, next; /* next: the profile's next stack, + 1 */
	uint32_t *frames;
	double weight;
};

struct sprofile {
	pid_t pid;
	char comm[16];
	uint32_t first, last; /* its stacks, + 1 */
	double total;
};

struct speedscope {
	struct map frame_map, stack_map;
	struct sframe *frames;
	size_t nframes, cap_frames;
	struct sstack *stacks;
	size_t nstacks, cap_stacks;
	struct sprofile *profiles;
	size_t nprofiles, cap_profiles;
};

static uint64_t hash_bytes(const void *p, size_t n, uint64_t h)
{
	const unsigned char *b = p;

	while (n--)
		h = (h ^ *b++) * 1099511628211ULL;
	return h;
}

static int map_grow(struct map *m, size_t used, uint64_t (*hash_of)(void *ctx, uint32_t i), void *ctx)
{
	size_t n = m->nslots ? m->nslots * 2 : 4096, i;
	uint32_t *slots;

	if ((used + 1) * 10 <= m->nslots * 7)
		return 0;
	slots = calloc(n, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (i = 0; i < m->nslots; i++) {
		size_t s;

		if (!m->slots[i])
			continue;
		for (s = hash_of(ctx, m->slots[i] - 1) & (n - 1); slots[s]; s = (s + 1) & (n - 1))
			;
		slots[s] = m->slots[i];
	}
	free(m->slots);
	m->slots = slots;
	m->nslots = n;
	return 0;
}

static int reserve(void **arr, size_t *cap, size_t n, size_t size)
{
	void *p;
	size_t c;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 256;
	p = realloc(*arr, c * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = c;
	return 0;
}

static uint64_t frame_hash(const char *name, const char *file, int line)
{
	uint64_t h = hash_bytes(name, strlen(name) + 1, 1469598103934665603ULL);

	h = hash_bytes(file, strlen(file) + 1, h);
	return hash_bytes(&line, sizeof(line), h);
}

static uint64_t frame_hash_of(void *ctx, uint32_t i)
{
	struct speedscope *s = ctx;

	return frame_hash(s->frames[i].name, s->frames[i].file, s->frames[i].line);
}

static uint64_t stack_hash(uint32_t profile, const uint32_t *frames, uint32_t depth)
{
	uint64_t h = hash_bytes(&profile, sizeof(profile), 1469598103934665603ULL);

	return hash_bytes(frames, depth * sizeof(*frames), h);
}

static uint64_t stack_hash_of(void *ctx, uint32_t i)
{
	struct speedscope *s = ctx;

	return stack_hash(s->stacks[i].profile, s->stacks[i].frames, s->stacks[i].depth);
}

struct speedscope *speedscope_new(void)
{
	return calloc(1, sizeof(struct speedscope));
}

void speedscope_free(struct speedscope *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nframes; i++) {
		free(s->frames[i].name);
		free(s->frames[i].file);
	}
	for (i = 0; i < s->nstacks; i++)
		free(s->stacks[i].frames);
	free(s->frames);
	free(s->stacks);
	free(s->profiles);
	free(s->frame_map.slots);
	free(s->stack_map.slots);
	free(s);
}

/* The index of a frame, added when new: >= 0, or -errno. */
static long frame_index(struct speedscope *s, const struct stall_frame *f)
{
	const char *name = f->function[0] ? f->function : "?";
	const char *file = f->file[0] ? f->file : f->module;
	int line = f->file[0] ? f->line : 0;
	uint64_t h = frame_hash(name, file, line);
	size_t slot;

	if (map_grow(&s->frame_map, s->nframes, frame_hash_of, s))
		return -ENOMEM;
	for (slot = h & (s->frame_map.nslots - 1); s->frame_map.slots[slot];
	     slot = (slot + 1) & (s->frame_map.nslots - 1)) {
		struct sframe *e = &s->frames[s->frame_map.slots[slot] - 1];

		if (e->line == line && strcmp(e->name, name) == 0 && strcmp(e->file, file) == 0)
			return s->frame_map.slots[slot] - 1;
	}
	if (s->nframes >= MAX_FRAMES)
		return -ENOSPC;
	if (reserve((void **)&s->frames, &s->cap_frames, s->nframes, sizeof(*s->frames)))
		return -ENOMEM;
	s->frames[s->nframes] = (struct sframe){strdup(name), strdup(file), line};
	if (!s->frames[s->nframes].name || !s->frames[s->nframes].file) {
		free(s->frames[s->nframes].name);
		free(s->frames[s->nframes].file);
		return -ENOMEM;
	}
	s->frame_map.slots[slot] = ++s->nframes;
	return s->nframes - 1;
}

static long profile_index(struct speedscope *s, const struct stall_record *r)
{
	size_t i;

	/* Most logs hold few processes: a linear search, the newest first. */
	for (i = s->nprofiles; i-- > 0;)
		if (s->profiles[i].pid == r->pid)
			return i;
	if (s->nprofiles >= MAX_STACKS)
		return -ENOSPC;
	if (reserve((void **)&s->profiles, &s->cap_profiles, s->nprofiles, sizeof(*s->profiles)))
		return -ENOMEM;
	memset(&s->profiles[s->nprofiles], 0, sizeof(s->profiles[0]));
	s->profiles[s->nprofiles].pid = r->pid;
	snprintf(s->profiles[s->nprofiles].comm, sizeof(s->profiles[0].comm), "%s", r->comm);
	return s->nprofiles++;
}

int speedscope_add(struct speedscope *s, const struct stall_record *r)
{
	int idx[STALL_MAX_FRAMES], n = shown_frames(r, idx), i;
	uint32_t frames[STALL_MAX_FRAMES];
	long p = profile_index(s, r), fi;
	double w = (double)r->duration_ns / 1e6;
	uint64_t h;
	size_t slot;
	struct sstack *st;

	if (p < 0)
		return (int)p;
	for (i = 0; i < n; i++) {
		fi = frame_index(s, &r->frames[idx[i]]);
		if (fi < 0)
			return (int)fi;
		frames[i] = (uint32_t)fi;
	}
	s->profiles[p].total += w;
	h = stack_hash((uint32_t)p, frames, n);
	if (map_grow(&s->stack_map, s->nstacks, stack_hash_of, s))
		return -ENOMEM;
	for (slot = h & (s->stack_map.nslots - 1); s->stack_map.slots[slot];
	     slot = (slot + 1) & (s->stack_map.nslots - 1)) {
		st = &s->stacks[s->stack_map.slots[slot] - 1];
		if (st->profile == p && st->depth == (uint32_t)n && !memcmp(st->frames, frames, n * sizeof(*frames))) {
			st->weight += w;
			return 0;
		}
	}
	if (s->nstacks >= MAX_STACKS) {
		s->profiles[p].total -= w;
		return -ENOSPC;
	}
	if (reserve((void **)&s->stacks, &s->cap_stacks, s->nstacks, sizeof(*s->stacks)))
		return -ENOMEM;
	st = &s->stacks[s->nstacks];
	*st = (struct sstack){.profile = (uint32_t)p, .depth = (uint32_t)n, .weight = w};
	st->frames = malloc((n ? n : 1) * sizeof(*frames));
	if (!st->frames)
		return -ENOMEM;
	memcpy(st->frames, frames, n * sizeof(*frames));
	s->stack_map.slots[slot] = ++s->nstacks;
	if (s->profiles[p].last)
		s->stacks[s->profiles[p].last - 1].next = s->nstacks;
	else
		s->profiles[p].first = s->nstacks;
	s->profiles[p].last = s->nstacks;
	return 0;
}

int speedscope_write(struct speedscope *s, FILE *out, const char *name)
{
	size_t i;
	uint32_t k, j;

	fputs("{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\",\"shared\":{\"frames\":[", out);
	for (i = 0; i < s->nframes; i++) {
		fputs(i ? ",{\"name\":\"" : "{\"name\":\"", out);
		json_escape(out, s->frames[i].name);
		fputc('"', out);
		if (s->frames[i].file[0]) {
			fputs(",\"file\":\"", out);
			json_escape(out, s->frames[i].file);
			fputc('"', out);
		}
		if (s->frames[i].line > 0)
			fprintf(out, ",\"line\":%d", s->frames[i].line);
		fputc('}', out);
	}
	fputs("]},\"profiles\":[", out);
	for (i = 0; i < s->nprofiles; i++) {
		const struct sprofile *p = &s->profiles[i];

		fputs(i ? ",{\"type\":\"sampled\",\"name\":\"" : "{\"type\":\"sampled\",\"name\":\"", out);
		json_escape(out, p->comm);
		fprintf(out, " (pid %d)\",\"unit\":\"milliseconds\",\"startValue\":0,\"endValue\":%.3f,\"samples\":[",
			p->pid, p->total);
		for (k = p->first; k; k = s->stacks[k - 1].next) {
			const struct sstack *st = &s->stacks[k - 1];

			fputs(k == p->first ? "[" : ",[", out);
			for (j = 0; j < st->depth; j++)
				fprintf(out, j ? ",%u" : "%u", st->frames[j]);
			fputc(']', out);
		}
		fputs("],\"weights\":[", out);
		for (k = p->first; k; k = s->stacks[k - 1].next)
			fprintf(out, k == p->first ? "%.3f" : ",%.3f", s->stacks[k - 1].weight);
		fputs("]}", out);
	}
	fputs("],\"name\":\"", out);
	json_escape(out, name);
	fputs("\",\"activeProfileIndex\":0,\"exporter\":\"loopstall\"}\n", out);
	return fflush(out) || ferror(out) ? -EIO : 0;
}

#ifndef LOOPSTALL_HINT_H
#define LOOPSTALL_HINT_H
#include <stddef.h>

#include "record/culprit.h"
#include "record/stall_record.h"

/*
 * How to stop a stall: the first rule of record/hints.rules (turned into a
 * table at build time by tools/gen-hints.py) that a record matches. Every
 * output renders the same hint, as it renders the same culprit.
 */
enum hint_key {
	HINT_RUNTIME,
	HINT_COMM,
	HINT_CAUSE,
	HINT_SYSCALL,
	HINT_CULPRIT,
	HINT_CULPRIT_FILE,
	HINT_VIA,
	HINT_VIA_FILE,
	HINT_FRAME,
	HINT_FRAME_FILE,
	HINT_FRAME_MODULE,
	HINT_FD_TARGET,
	HINT_IN_COROUTINE,
	HINT_THROTTLED,
	HINT_HOLDER_FRAME,
	HINT_FRAMEWORK,
	HINT_NKEYS,
};

struct hint_rule {
	const char *id;
	const char *text;	       /* with {culprit}, {via}, {frame}, {holder}, {fd_target} */
	const char *link;	       /* NULL when none */
	const char *match[HINT_NKEYS]; /* patterns separated by |, NULL: any */
};

/* The hint of r, whose culprit is c (culprit_of(r), or as a log recorded it), or NULL. */
const struct hint_rule *hint_match(const struct stall_record *r, const struct culprit *c);
/* h's text with its placeholders filled from r, cut to len - 1 bytes; not escaped. */
void hint_text(const struct hint_rule *h, const struct stall_record *r, const struct culprit *c, char *buf, size_t len);
/* Every rule, in order (n of them); by id, or NULL. */
const struct hint_rule *hint_rules(size_t *n);
const struct hint_rule *hint_by_id(const char *id);

#endif

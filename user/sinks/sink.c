// SPDX-License-Identifier: GPL-2.0
/* Fan-out of records to every sink that implements the call. */
#include <stddef.h>

#include "sinks/sink.h"

#define EACH(list, op, ...)                                                                                            \
	for (struct sink *s = (list); s; s = s->next)                                                                  \
		if (s->ops->op)                                                                                        \
	s->ops->op(s, ##__VA_ARGS__)

void sinks_stall(struct sink *list, const struct stall_record *r)
{
	EACH(list, stall, r);
}

void sinks_kill(struct sink *list, const struct kill_record *k)
{
	EACH(list, kill, k);
}

void sinks_summary(struct sink *list, const struct loop_summary *ls)
{
	EACH(list, summary, ls);
}

void sinks_loss(struct sink *list, const struct loss_record *l)
{
	EACH(list, loss, l);
}

void sinks_tick(struct sink *list)
{
	EACH(list, tick);
}

bool sinks_tick_wanted(const struct sink *list)
{
	for (; list; list = list->next)
		if (list->ops->tick)
			return true;
	return false;
}

void sinks_reopen(struct sink *list)
{
	EACH(list, reopen);
}

void sinks_flush(struct sink *list)
{
	EACH(list, flush);
}

void sinks_push(struct sink **list, struct sink *s)
{
	s->next = *list;
	*list = s;
}

void sinks_destroy(struct sink *list)
{
	struct sink *next;

	for (; list; list = next) {
		next = list->next;
		list->ops->destroy(list);
	}
}

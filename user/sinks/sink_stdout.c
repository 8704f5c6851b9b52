// SPDX-License-Identifier: GPL-2.0
/* Records to stdout, as text or JSON lines, flushed per record. */
#include <errno.h>
#include <stdlib.h>

#include "record/output.h"
#include "sinks/sink.h"

struct stdout_sink {
	struct sink base;
	bool json;
};

/* Whole records: with loopstall top --batch, snapshots share stdout (stdio's lock is recursive). */
static void on_stall(struct sink *s, const struct stall_record *r)
{
	flockfile(stdout);
	if (((struct stdout_sink *)s)->json)
		output_json(stdout, r);
	else
		output_text(stdout, r);
	fflush(stdout);
	funlockfile(stdout);
}

static void on_kill(struct sink *s, const struct kill_record *k)
{
	flockfile(stdout);
	if (((struct stdout_sink *)s)->json)
		output_kill_json(stdout, k);
	else
		output_kill_text(stdout, k);
	fflush(stdout);
	funlockfile(stdout);
}

static void on_summary(struct sink *s, const struct loop_summary *ls)
{
	flockfile(stdout);
	if (((struct stdout_sink *)s)->json)
		output_summary_json(stdout, ls);
	else
		output_summary_text(stdout, ls);
	fflush(stdout);
	funlockfile(stdout);
}

static void on_loss(struct sink *s, const struct loss_record *l)
{
	flockfile(stdout);
	if (((struct stdout_sink *)s)->json)
		output_loss_json(stdout, l);
	else
		output_loss_text(stdout, l);
	fflush(stdout);
	funlockfile(stdout);
}

static void flush(struct sink *s)
{
	(void)s;
	fflush(stdout);
}

static void destroy(struct sink *s)
{
	free(s);
}

static const struct sink_ops stdout_ops = {
	.name = "stdout",
	.stall = on_stall,
	.kill = on_kill,
	.summary = on_summary,
	.loss = on_loss,
	.flush = flush,
	.destroy = destroy,
};

int sink_stdout_new(bool json, struct sink **out)
{
	struct stdout_sink *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->base.ops = &stdout_ops;
	s->json = json;
	*out = &s->base;
	return 0;
}

#ifndef LOOPSTALL_CULPRITS_H
#define LOOPSTALL_CULPRITS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "record/culprit.h"
#include "record/hint.h"
#include "record/stall_record.h"

/*
 * Stalls grouped by their culprit (function, file or module, line): how
 * many, how long in all and at the median, p99 and worst, the cause that
 * took most of their time, when first and last seen, in which processes,
 * and the hint that most of their time got. For loopstall report and
 * top's culprit view. Memory is bounded: durations go to a log-linear
 * histogram (quantiles within 7%), and past max_rows culprits the rest
 * are counted together in one row without a culprit ("other culprits").
 */
#define CULPRIT_BUCKETS 320
#define CULPRIT_PIDS	8
#define CULPRIT_COMMS	3
#define CULPRIT_HINTS	4

struct culprit_row {
	bool has_at;
	bool other; /* the row of culprits past max_rows */
	bool holds_gil; /* GIL stalls, by the function the GIL's holder ran */
	struct stall_frame at;
	char via[128];
	uint64_t count;
	double total_ms, min_ms, max_ms;
	double first, last; /* seconds since the epoch: the first stall's start, the last one's end */
	double cause_ms[CAUSE_STOPPED + 1];
	pid_t pids[CULPRIT_PIDS];
	int npids;
	bool more_pids; /* more than CULPRIT_PIDS processes */
	char comms[CULPRIT_COMMS][16];
	int ncomms;
	char services[CULPRIT_COMMS][96]; /* of the processes: "gunicorn app:app" */
	int nservices;
	struct {
		const struct hint_rule *rule;
		double ms;
		char text[512];
	} hints[CULPRIT_HINTS];
	int nhints;
	uint32_t hist[CULPRIT_BUCKETS];
	char key[680];
};

struct culprit_table;

struct culprit_table *culprit_table_new(size_t max_rows);
/* Counts r (an end record) for its culprit c; start: when it began (seconds since the epoch). 0 or -ENOMEM. */
int culprit_table_add(struct culprit_table *t, const struct stall_record *r, const struct culprit *c, double start);
/* The rows by total stall time, most first: n of them, valid until the next add. */
struct culprit_row **culprit_table_sorted(struct culprit_table *t, size_t *n);
/* The q quantile (0..1) of a row's durations, in ms. */
double culprit_row_quantile(const struct culprit_row *row, double q);
/* The cause that took most of a row's time. */
enum stall_cause culprit_row_cause(const struct culprit_row *row);
/* The hint most of a row's time got (its text as the longest stall with it had it), or NULL. */
const char *culprit_row_hint(const struct culprit_row *row, const struct hint_rule **rule);
void culprit_table_free(struct culprit_table *t);

#endif

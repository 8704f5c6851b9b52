#ifndef LOOPSTALL_RECORD_READ_H
#define LOOPSTALL_RECORD_READ_H
#include <stddef.h>

#include "record/culprit.h"
#include "record/stall_record.h"

/*
 * A stall record read back from one JSON line that --json or --log wrote:
 * the fields the hints and loopstall report use, with the culprit as the
 * line names it (the rule that picked it needed the process, gone since).
 * Lines are untrusted: every string is cut to its field, every count to
 * its array, and anything not a record is refused.
 */
struct read_record {
	struct stall_record rec;
	struct stall_frame at, via, coroutine;
	struct culprit culprit; /* points into at, via and coroutine (NULL where the line has none) */
	double start;		/* when the stall began, seconds since the epoch */
};

/* The longest line read: longer ones are not records. */
#define RECORD_LINE_MAX (4 << 20)

/*
 * Reads line (len bytes, no NUL needed) into out: 1 for a stall record,
 * 0 for a well-formed line of another event (summary, kill), -EINVAL for
 * a line that is no record (bad or truncated JSON, a missing field).
 */
int record_read_json(const char *line, size_t len, struct read_record *out);
/*
 * The two ways record_read_json reads, for the fuzzer to hold them to the
 * same result: the scanner (-EAGAIN for a line it leaves to jansson) and
 * jansson.
 */
int record_read_scan(const char *line, size_t len, struct read_record *out);
int record_read_jansson(const char *line, size_t len, struct read_record *out);

#endif

#ifndef LOOPSTALL_DURATION_H
#define LOOPSTALL_DURATION_H
#include <stddef.h>
#include <stdint.h>

#define NSEC_PER_USEC 1000ULL
#define NSEC_PER_MSEC 1000000ULL
#define NSEC_PER_SEC  1000000000ULL

/* CLOCK_MONOTONIC in ns: the clock of bpf_ktime_get_ns(), so kernel timestamps compare with it. */
uint64_t monotonic_ns(void);

/* Parses "250ms", "2s", "1.5s", "1m", "100us", "1h" into nanoseconds. 0 or -EINVAL. */
int duration_parse(const char *text, uint64_t *ns);
/* Short human form: "850us", "120ms", "3.00s", "2m05s". */
void duration_format(uint64_t ns, char *buf, size_t len);

#endif

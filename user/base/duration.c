// SPDX-License-Identifier: GPL-2.0
/* Durations given on the command line and printed in reports. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/duration.h"

static const struct {
	const char *suffix;
	double ns;
} units[] = {
	{"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9},
};

int duration_parse(const char *text, uint64_t *ns)
{
	const char *p = text;
	char number[32];
	double value;
	size_t i, n;
	int dots = 0;

	/* Digits with at most one '.', then the unit: no sign, space, hex or exponent. */
	if (!text || !isdigit((unsigned char)text[0]))
		return -EINVAL;
	for (; isdigit((unsigned char)*p) || *p == '.'; p++)
		dots += *p == '.';
	n = p - text;
	if (dots > 1 || n >= sizeof(number))
		return -EINVAL;
	memcpy(number, text, n);
	number[n] = '\0';
	value = strtod(number, NULL);
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(p, units[i].suffix) == 0) {
			double total = value * units[i].ns;

			/* A year is plenty; beyond that is a typo. */
			if (!isfinite(total) || total < 1 || total > 365.0 * 24 * 3600e9)
				return -EINVAL;
			*ns = (uint64_t)total;
			return 0;
		}
	}
	return -EINVAL;
}

void duration_format(uint64_t ns, char *buf, size_t len)
{
	if (ns < NSEC_PER_MSEC)
		snprintf(buf, len, "%lluus", (unsigned long long)(ns / NSEC_PER_USEC));
	else if (ns < NSEC_PER_SEC)
		snprintf(buf, len, "%llums", (unsigned long long)(ns / NSEC_PER_MSEC));
	else if (ns < 60 * NSEC_PER_SEC)
		snprintf(buf, len, "%.2fs", (double)ns / NSEC_PER_SEC);
	else
		snprintf(buf, len, "%llum%02llus", (unsigned long long)(ns / (60 * NSEC_PER_SEC)),
			 (unsigned long long)(ns / NSEC_PER_SEC % 60));
}

uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

// SPDX-License-Identifier: GPL-2.0
/* A table of processes' containers: filled on the reporter thread, read by metrics and top. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "attrib/container.h"
#include "attrib/containers.h"
#include "attrib/service.h"
#include "base/proc.h"

#define BUCKETS	    1024
#define MAX_ENTRIES 65536 /* past this, a process is read for its records but not kept */

struct entry {
	pid_t pid;
	unsigned long long start;
	struct container_info info;
	struct entry *next;
};

struct containers {
	pthread_mutex_t lock;
	struct entry *buckets[BUCKETS];
	int n;
};

struct containers *containers_new(void)
{
	struct containers *cs = calloc(1, sizeof(*cs));

	if (cs)
		pthread_mutex_init(&cs->lock, NULL);
	return cs;
}

void containers_free(struct containers *cs)
{
	int i;

	if (!cs)
		return;
	for (i = 0; i < BUCKETS; i++) {
		while (cs->buckets[i]) {
			struct entry *e = cs->buckets[i];

			cs->buckets[i] = e->next;
			free(e);
		}
	}
	pthread_mutex_destroy(&cs->lock);
	free(cs);
}

static struct entry **slot(struct containers *cs, pid_t pid)
{
	struct entry **p = &cs->buckets[(unsigned int)pid % BUCKETS];

	while (*p && (*p)->pid != pid)
		p = &(*p)->next;
	return p;
}

void containers_get(struct containers *cs, pid_t pid, struct container_info *out)
{
	struct proc_stat st;
	struct entry **p, *e;

	if (proc_stat_read(pid, &st))
		st.start = 0;
	pthread_mutex_lock(&cs->lock);
	p = slot(cs, pid);
	/* The same process, or one gone since (an end record after its exit): what was read of it. */
	if (*p && ((*p)->start == st.start || !st.start)) {
		*out = (*p)->info;
		pthread_mutex_unlock(&cs->lock);
		return;
	}
	pthread_mutex_unlock(&cs->lock);
	/* Read outside the lock: a scrape never waits for a directory scan. */
	if (container_read(pid, out))
		memset(out, 0, sizeof(*out));
	service_read(pid, out->service, sizeof(out->service));
	/* "python3" alone: the unit it runs as (api.service) or its pod's container (worker) says more. */
	if (service_says_little(out->service) && (out->name[0] || strcmp(out->runtime, "systemd") == 0))
		snprintf(out->service, sizeof(out->service), "%.*s", (int)sizeof(out->service) - 1,
			 out->name[0] ? out->name : out->id);
	app_root_read(pid, out->app_root, sizeof(out->app_root));
	if (!st.start)
		return; /* gone: nothing to keep */
	pthread_mutex_lock(&cs->lock);
	p = slot(cs, pid);
	if (*p) {
		(*p)->start = st.start;
		(*p)->info = *out;
	} else if (cs->n < MAX_ENTRIES && (e = malloc(sizeof(*e)))) {
		e->pid = pid;
		e->start = st.start;
		e->info = *out;
		e->next = NULL;
		*p = e;
		cs->n++;
	}
	pthread_mutex_unlock(&cs->lock);
}

bool containers_peek(struct containers *cs, pid_t pid, struct container_info *out)
{
	struct entry **p;
	bool found = false;

	memset(out, 0, sizeof(*out));
	if (!cs)
		return false;
	pthread_mutex_lock(&cs->lock);
	p = slot(cs, pid);
	if (*p) {
		*out = (*p)->info;
		found = true;
	}
	pthread_mutex_unlock(&cs->lock);
	return found;
}

void containers_forget(struct containers *cs, pid_t pid)
{
	struct entry **p, *e;

	pthread_mutex_lock(&cs->lock);
	p = slot(cs, pid);
	e = *p;
	if (e) {
		*p = e->next;
		cs->n--;
		free(e);
	}
	pthread_mutex_unlock(&cs->lock);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: a process's container identity from what a container can
 * shape: its cgroup paths, its status and environment, and the names of the
 * kubelet's log files. The input is split at NUL bytes: cgroup file, status
 * file, environ (the rest), with the first 200 bytes of the cgroup part also
 * used as a file name under var/log/pods and var/log/containers.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attrib/container.h"

static char dir[64];

static void put(const char *rel, const uint8_t *data, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "w");
	if (!f)
		return;
	fwrite(data, 1, len, f);
	fclose(f);
}

static void empty_dir(const char *rel)
{
	char path[512], file[800];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' || (de->d_name[1] && strcmp(de->d_name, "..") != 0)) {
			snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
			unlink(file);
		}
	closedir(d);
}

static size_t part(const uint8_t *p, size_t left)
{
	const uint8_t *nul = memchr(p, 0, left);

	return nul ? (size_t)(nul - p) : left;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const mk[] = {"proc", "proc/1", "var", "var/log", "var/log/pods", "var/log/containers"};
	const uint8_t *p = data;
	size_t left = size, n[3], i;
	char name[256], *text, label[512], id[256];
	struct container_info c;

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/loopstall-fuzz-container-%d", getpid());
		mkdir(dir, 0700);
		for (i = 0; i < sizeof(mk) / sizeof(mk[0]); i++) {
			snprintf(name, sizeof(name), "%s/%s", dir, mk[i]);
			mkdir(name, 0700);
		}
	}
	for (i = 0; i < 3; i++) {
		n[i] = i < 2 ? part(p, left) : left;
		if (i == 0)
			put("proc/1/cgroup", p, n[i]);
		else
			put(i == 1 ? "proc/1/status" : "proc/1/environ", p, n[i]);
		/* The parsers on their own, on a copy they may cut up. */
		text = malloc(n[i] + 1);
		if (!text)
			return 0;
		memcpy(text, p, n[i]);
		text[n[i]] = 0;
		memset(&c, 0, sizeof(c));
		if (i == 0)
			container_parse_cgroup(text, n[i], &c);
		else if (i == 1)
			(void)container_parse_nspid(text, n[i]);
		else
			container_parse_environ(text, n[i], &c);
		free(text);
		p += n[i] + (n[i] < left);
		left -= n[i] + (n[i] < left);
	}
	/* A log file named by the input, to be matched against the pod and container found. */
	size_t k = n[0] < 200 ? n[0] : 200;

	memcpy(name, data, k);
	name[k] = 0;
	for (i = 0; i < k; i++)
		if (name[i] == '/' || name[i] == '\n')
			name[i] = '_';
	empty_dir("var/log/pods");
	empty_dir("var/log/containers");
	if (k && strcmp(name, ".") && strcmp(name, "..")) {
		char rel[300];

		snprintf(rel, sizeof(rel), "var/log/pods/%s", name);
		put(rel, NULL, 0);
		snprintf(rel, sizeof(rel), "var/log/containers/%s", name);
		put(rel, NULL, 0);
	}
	if (container_read_at(dir, 1, &c) == 0) {
		container_label(&c, label, sizeof(label));
		(void)container_metric_name(&c, id, sizeof(id));
	}
	return 0;
}

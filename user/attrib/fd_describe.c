// SPDX-License-Identifier: GPL-2.0
/* What a blocked file descriptor is, from /proc/PID/fd and /proc/PID/net. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "attrib/fd_describe.h"

/* Hex address "0100007F:1F90" (or 32 hex digits for IPv6) as text. */
static void format_address(const char *hex, bool v6, char *buf, size_t len)
{
	unsigned char addr[16] = {0};
	char text[INET6_ADDRSTRLEN] = "?";
	unsigned int port = 0, word;
	int i, words = v6 ? 4 : 1;

	if (strlen(hex) < (size_t)words * 8 + 2 || hex[words * 8] != ':') {
		snprintf(buf, len, "?");
		return;
	}
	for (i = 0; i < words; i++) {
		if (sscanf(hex + i * 8, "%8x", &word) != 1)
			break;
		/* /proc prints each 32-bit word in host order. */
		memcpy(addr + i * 4, &word, 4);
	}
	sscanf(hex + words * 8, ":%x", &port);
	inet_ntop(v6 ? AF_INET6 : AF_INET, addr, text, sizeof(text));
	snprintf(buf, len, v6 ? "[%s]:%u" : "%s:%u", text, port);
}

/* Finds socket inode in NET/{tcp,tcp6,udp,udp6}. */
static int describe_inet(const char *net, unsigned long inode, char *buf, size_t len)
{
	static const char *const tables[] = {"tcp", "tcp6", "udp", "udp6"};
	char path[4200], line[512], local[80], remote[80], lt[64], rt[64];
	unsigned long ino;
	size_t t;

	for (t = 0; t < 4; t++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", net, tables[t]);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, " %*d: %63s %63s %*x %*x:%*x %*x:%*x %*x %*u %*u %lu", local, remote, &ino) !=
				    3 ||
			    ino != inode)
				continue;
			fclose(f);
			format_address(local, t % 2, lt, sizeof(lt));
			format_address(remote, t % 2, rt, sizeof(rt));
			snprintf(buf, len, "%s %s -> %s", t < 2 ? "tcp" : "udp", lt, rt);
			return 0;
		}
		fclose(f);
	}
	return -ENOENT;
}

static int describe_unix(const char *net, unsigned long inode, char *buf, size_t len)
{
	char path[4200], line[512], name[256];
	unsigned long ino;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "%s/unix", net);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		name[0] = 0;
		n = sscanf(line, "%*s %*x %*x %*x %*x %*x %lu %255s", &ino, name);
		if (n >= 1 && ino == inode) {
			fclose(f);
			snprintf(buf, len, "unix %s", name[0] ? name : "(unnamed)");
			return 0;
		}
	}
	fclose(f);
	return -ENOENT;
}

int fd_describe(pid_t pid, int fd, char *buf, size_t len)
{
	char path[64], target[512];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = 0;
	snprintf(buf, len, "%s", target);
	return 0;
}

int fd_describe_socket_in(const char *net, char *buf, size_t len)
{
	unsigned long inode;
	char end;

	if (sscanf(buf, "socket:[%lu%c", &inode, &end) != 2 || end != ']')
		return -EINVAL;
	if (describe_inet(net, inode, buf, len) == 0 || describe_unix(net, inode, buf, len) == 0)
		return 0;
	return -ENOENT;
}

int fd_describe_socket(pid_t pid, char *buf, size_t len)
{
	char net[64];

	snprintf(net, sizeof(net), "/proc/%d/net", pid);
	return fd_describe_socket_in(net, buf, len);
}

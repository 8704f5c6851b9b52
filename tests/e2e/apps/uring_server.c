/*
 * A TCP line server on an io_uring completion loop (liburing's
 * io_uring_wait_cqe: io_uring_enter with IORING_ENTER_GETEVENTS).
 * argv: PORT. A line "sleep" makes the handler block 0.7 s in usleep.
 */
#include <liburing.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { ACCEPT, READ };
static char buf[256];

static void queue(struct io_uring *ring, int kind, int fd)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (kind == ACCEPT)
		io_uring_prep_accept(sqe, fd, NULL, NULL, 0);
	else
		io_uring_prep_recv(sqe, fd, buf, sizeof(buf) - 1, 0);
	io_uring_sqe_set_data64(sqe, (unsigned long long)kind << 32 | (unsigned)fd);
	io_uring_submit(ring);
}

__attribute__((noinline)) static void handle_line(int fd, const char *line)
{
	if (strncmp(line, "sleep", 5) == 0)
		usleep(700000);
	if (write(fd, "done\n", 5) != 5)
		perror("write");
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct io_uring ring;

	a.sin_port = htons(argc > 1 ? atoi(argv[1]) : 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 16) || io_uring_queue_init(16, &ring, 0))
		return 1;
	printf("ready\n");
	fflush(stdout);
	queue(&ring, ACCEPT, lfd);
	for (;;) {
		struct io_uring_cqe *cqe;
		unsigned long long data;
		int res;

		if (io_uring_wait_cqe(&ring, &cqe))
			return 1;
		data = io_uring_cqe_get_data64(cqe);
		res = cqe->res;
		io_uring_cqe_seen(&ring, cqe);
		if ((data >> 32) == ACCEPT) {
			queue(&ring, READ, res);
			queue(&ring, ACCEPT, lfd);
		} else if (res > 0) {
			buf[res] = 0;
			handle_line((int)data, buf);
			queue(&ring, READ, (int)data);
		} else {
			close((int)data);
		}
	}
}

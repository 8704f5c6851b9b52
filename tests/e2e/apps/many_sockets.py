"""Holds N loopback TCP connections (2N sockets in the network namespace's tables), and a
listener that accepts one more and never answers it.

argv: N. Prints the listener's port.
"""
import resource
import socket
import sys
import time

hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(4096)
keep = []
for _ in range(min(int(sys.argv[1]), (hard - 64) // 2)):
    c = socket.create_connection(srv.getsockname())
    a, _ = srv.accept()
    keep += [c, a]
print(srv.getsockname()[1], flush=True)
while True:
    conn, _ = srv.accept()  # then never answer
    keep.append(conn)

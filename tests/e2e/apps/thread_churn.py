"""Loop threads that stall once and exit, many of them: N threads, BATCH at a time, each an epoll loop
of its own that turns once, then blocks 150 ms in its iteration (a stall) and exits. Prints "ready",
runs on a line on stdin, prints "done" and lives on until stdin closes."""
import select
import sys
import threading
import time


def loop_that_stalls_and_exits():
    with select.epoll() as ep:
        ep.poll(0)  # a loop from here on
        time.sleep(0.15)


n, batch = int(sys.argv[1]), int(sys.argv[2])
threading.stack_size(256 << 10)
print("ready", flush=True)
sys.stdin.readline()
for _ in range(n // batch):
    threads = [threading.Thread(target=loop_that_stalls_and_exits) for _ in range(batch)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
print("done", flush=True)
sys.stdin.read()

"""N threads, each an event loop of its own, for tests past fixed limits.

argv: N [idle]
  (default)  each turns: epoll_wait with a 50 ms timeout
  idle       each waits for a line on stdin, turns once (a wait that returns at
             once: a loop from then on), then waits forever
"""
import select
import sys
import threading
import time

go = threading.Event()


def loop():
    ep = select.epoll()
    while True:
        ep.poll(0.05)


def idle_loop():
    ep = select.epoll()
    go.wait()
    ep.poll(0)
    ep.poll(-1)


idle = len(sys.argv) > 2 and sys.argv[2] == "idle"
threading.stack_size(256 << 10)
threads = [threading.Thread(target=idle_loop if idle else loop, daemon=True) for _ in range(int(sys.argv[1]))]
for t in threads:
    t.start()
print("ready", flush=True)
if idle:
    sys.stdin.readline()
    go.set()
time.sleep(3600)

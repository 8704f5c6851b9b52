"""N threads, each an event loop of its own (epoll_wait with a 50 ms timeout), for tests past fixed limits.

argv: N
"""
import select
import sys
import threading
import time


def loop():
    ep = select.epoll()
    while True:
        ep.poll(0.05)


threads = [threading.Thread(target=loop, daemon=True) for _ in range(int(sys.argv[1]))]
for t in threads:
    t.start()
print("ready", flush=True)
time.sleep(3600)

"""Forks N children on "go" (each sleeps until killed), as a prefork server does; prints "forked"."""
import os
import signal
import sys
import time

n = int(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
children = []
for _ in range(n):
    pid = os.fork()
    if pid == 0:
        time.sleep(3600)
        os._exit(0)
    children.append(pid)
print("forked", flush=True)
try:
    sys.stdin.readline()
finally:
    for pid in children:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)

"""An asyncio loop that stalls on a schedule, for target-selection tests.

argv: [mode] where mode is
  periodic  block the loop with time.sleep(0.3) every second
  forever   block the loop in a lock that is never released
  sleep     block the loop in time.sleep(1000)
"""
import asyncio
import ctypes
import os
import sys
import threading
import time

# STALL_COMM renames the thread (prctl PR_SET_NAME), e.g. to a hostile string.
if os.environ.get("STALL_COMM"):
    ctypes.CDLL(None).prctl(15, os.environ["STALL_COMM"].encode()[:15], 0, 0, 0)


def periodic_block():
    time.sleep(0.3)


def never_returns():
    lock = threading.Lock()
    lock.acquire()
    lock.acquire()


async def main(mode):
    print("ready", flush=True)
    while True:
        await asyncio.sleep(1)
        if mode == "periodic":
            periodic_block()
        elif mode == "sleep":
            time.sleep(1000)
        else:
            never_returns()


asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "periodic"))

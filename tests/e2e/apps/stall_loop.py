"""An asyncio loop that stalls on a schedule, for target-selection tests.

argv: [mode] where mode is
  periodic  block the loop with time.sleep(0.3) every second
  forever   block the loop in a lock that is never released
"""
import asyncio
import sys
import threading
import time


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
        else:
            never_returns()


asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "periodic"))

"""An asyncio loop that stalls on a schedule, for loopstall top's tests.

argv: BLOCK PERIOD [NAME]
  BLOCK   seconds periodic_block() blocks the loop with time.sleep (0: never)
  PERIOD  seconds the loop awaits between blocks
  NAME    a thread name to set first (prctl PR_SET_NAME), e.g. one with escapes
"""
import asyncio
import ctypes
import sys
import time

PR_SET_NAME = 15


def periodic_block(seconds):
    time.sleep(seconds)


async def main(block, period):
    print("ready", flush=True)
    while True:
        await asyncio.sleep(period)
        if block > 0:
            periodic_block(block)


if len(sys.argv) > 3:
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_NAME, sys.argv[3].encode(), 0, 0, 0)
asyncio.run(main(float(sys.argv[1]), float(sys.argv[2])))

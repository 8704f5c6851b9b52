"""An asyncio loop that stalls in time.sleep(0.2) every 0.6 s, N times: the stall-cost benchmark's target."""
import asyncio
import sys
import time


def blocking_call():
    time.sleep(0.2)


async def main(n):
    print("ready", flush=True)
    await asyncio.sleep(1.0)
    for _ in range(n):
        blocking_call()
        await asyncio.sleep(0.4)


asyncio.run(main(int(sys.argv[1])))

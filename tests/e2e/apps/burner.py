"""An asyncio loop that stalls on the CPU all the time: 0.3 s of computing, a 10 ms pause, again.
Prints "ready". Several of them keep loopstall's CPU samples coming (for its lost-records test)."""
import asyncio
import time


def crunch():
    end = time.monotonic() + 0.3
    while time.monotonic() < end:
        pass


async def main():
    print("ready", flush=True)
    while True:
        crunch()
        await asyncio.sleep(0.01)


asyncio.run(main())

"""asyncio.run twice in one thread, with plain work between and after: one stall, in the second loop.

Prints "ready", waits for a line on stdin, then: a first loop that stalls nowhere; 0.5 s of work
outside any loop (time.sleep); a second loop (a new epoll instance) whose coroutine blocks 0.5 s in
time.sleep; 0.5 s of work after it; "done".
"""
import asyncio
import sys
import time


async def first():
    for _ in range(5):
        await asyncio.sleep(0.02)


async def second():
    await asyncio.sleep(0.1)
    time.sleep(0.5)
    await asyncio.sleep(0.1)


print("ready", flush=True)
sys.stdin.readline()
asyncio.run(first())
time.sleep(0.5)
asyncio.run(second())
time.sleep(0.5)
print("done", flush=True)

"""An asyncio loop that stalls one way, chosen by argv[1], half a second after a line on stdin:

gil       another thread holds the GIL (a long C-level sum) while the loop wants it
cpu       the loop computes for CPU_SECONDS of CPU time (for runqueue and cgroup tests)
"""
import asyncio
import sys
import threading
import time

CPU_SECONDS = 0.2


def hold_the_gil():
    time.sleep(0.3)
    sum(range(150_000_000))  # one C call: the GIL is not released until it returns


def burn_cpu():
    t = time.process_time()
    while time.process_time() - t < CPU_SECONDS:
        pass


async def main(mode):
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)  # "go": it is watched
    await asyncio.sleep(0.5)
    if mode == "gil":
        threading.Thread(target=hold_the_gil, daemon=True).start()
        for _ in range(20):
            await asyncio.sleep(0.05)
    else:
        burn_cpu()
    await asyncio.sleep(0.5)


asyncio.run(main(sys.argv[1]))

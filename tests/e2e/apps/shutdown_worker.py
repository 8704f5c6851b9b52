"""An asyncio server that shuts down on SIGTERM as uvicorn's workers do: the loop stops and closes,
then exit handlers run for 0.4 s on the CPU (the interpreter finalizing). Prints "ready"."""
import asyncio
import atexit
import signal
import time


def flush_metrics():
    end = time.monotonic() + 0.4
    while time.monotonic() < end:
        pass


async def main():
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print("ready", flush=True)
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), 0.05)
        except asyncio.TimeoutError:
            pass


atexit.register(flush_metrics)
asyncio.run(main())

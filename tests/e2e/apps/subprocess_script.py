"""A script with no event loop that runs a command and captures its output (subprocess's communicate()
polls the child's pipes), then sleeps, three times; then, with "then-asyncio", an asyncio loop whose
handler calls time.sleep(0.3) once. Prints "done" after the script's part."""
import asyncio
import subprocess
import sys
import time

for _ in range(3):
    subprocess.run(["echo", "checked"], capture_output=True, check=True)
    time.sleep(0.8)
print("done", flush=True)


async def main():
    await asyncio.sleep(0.5)
    time.sleep(0.3)  # the loop's stall
    await asyncio.sleep(3600)


if sys.argv[1:] == ["then-asyncio"]:
    asyncio.run(main())

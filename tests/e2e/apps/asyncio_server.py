"""A plain asyncio HTTP server whose handlers misbehave on request.

/cpu   burns the CPU on the loop for CPU_SECONDS
/pipe  reads a pipe that a helper thread fills PIPE_DELAY seconds later
/      answers at once
"""
import asyncio
import os
import sys
import threading
import time

CPU_SECONDS = 0.6
PIPE_DELAY = 0.8
pipe_r, pipe_w = os.pipe()


def fill_pipe_later():
    time.sleep(PIPE_DELAY)
    os.write(pipe_w, b"x")


def cpu_bound_handler():
    deadline = time.monotonic() + CPU_SECONDS
    n = 0
    while time.monotonic() < deadline:
        n += sum(i * i for i in range(1000))
    return n


def pipe_read_handler():
    threading.Thread(target=fill_pipe_later, daemon=True).start()
    return os.read(pipe_r, 1)


async def handle(reader, writer):
    request = await reader.readline()
    while (await reader.readline()) not in (b"\r\n", b""):
        pass
    path = request.split()[1].decode() if len(request.split()) > 1 else "/"
    if path == "/cpu":
        cpu_bound_handler()
    elif path == "/pipe":
        pipe_read_handler()
    writer.write(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")
    await writer.drain()
    writer.close()


async def main(port):
    server = await asyncio.start_server(handle, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


asyncio.run(main(int(sys.argv[1])))

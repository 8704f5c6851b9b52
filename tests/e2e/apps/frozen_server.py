"""An asyncio line server whose handlers make the mistakes loops die of, for loops found stuck.

Prints its port. One command a line, answered "done" (when it comes back):
  sleep SECONDS      time.sleep in the handler coroutine
  recv PORT          connect to 127.0.0.1:PORT and recv() on the blocking socket (a peer that never answers)
  selector SECONDS   a sync client's own selector (selectors.DefaultSelector) waits that long
  twophase SECONDS   build_payload() computes for 0.3 s, then call_backend() sleeps SECONDS
argv: [poll]       the loop runs on selectors.PollSelector (poll(2)) instead of epoll
"""
import asyncio
import json
import selectors
import socket
import sys
import time


def price_order(seconds):
    time.sleep(float(seconds))


def fetch_inventory(port):
    with socket.create_connection(("127.0.0.1", int(port))) as s:
        s.settimeout(None)
        s.recv(1)


def sync_client_wait(seconds):
    a, b = socket.socketpair()
    with selectors.DefaultSelector() as sel:
        sel.register(a, selectors.EVENT_READ)
        sel.select(float(seconds))
    a.close()
    b.close()


def build_payload():
    end = time.monotonic() + 0.3
    while time.monotonic() < end:
        json.dumps({"rows": list(range(200))})


def call_backend(seconds):
    time.sleep(float(seconds))


async def handle_order(reader, writer):
    while line := await reader.readline():
        what, arg = line.decode().split()
        if what == "sleep":
            price_order(arg)
        elif what == "recv":
            fetch_inventory(arg)
        elif what == "selector":
            sync_client_wait(arg)
        elif what == "twophase":
            build_payload()
            call_backend(arg)
        writer.write(b"done\n")
        await writer.drain()


async def main():
    server = await asyncio.start_server(handle_order, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if len(sys.argv) > 1 and sys.argv[1] == "poll":
    loop = asyncio.SelectorEventLoop(selectors.PollSelector())
    asyncio.set_event_loop(loop)
    loop.run_until_complete(main())
else:
    asyncio.run(main())

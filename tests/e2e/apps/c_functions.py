"""An asyncio loop that stalls in three C functions, one after another, 0.3 s apart:
hashlib.pbkdf2_hmac (an extension's, _hashlib), zlib.compress (CPU), socket.recv (a blocking
read that times out: blocked in poll)."""
import asyncio
import hashlib
import os
import socket
import zlib


async def main():
    print("ready", flush=True)
    await asyncio.sleep(1.0)
    hashlib.pbkdf2_hmac("sha256", b"pw", b"salt", 600000)
    await asyncio.sleep(0.3)
    zlib.compress(os.urandom(1 << 20) * 12, 9)
    await asyncio.sleep(0.3)
    a, _ = socket.socketpair()
    a.settimeout(0.5)
    try:
        a.recv(10)
    except OSError:
        pass
    await asyncio.sleep(0.3)


asyncio.run(main())

"""One event loop of the framework argv[1] names, whose handler blocks it 2 s after "ready" with the mistake
the framework's hint is for, then idles: time.sleep(0.6) on trio, gevent, Twisted and Tornado (0.6 s of
computing on gevent with "gevent-cpu"); a write to a
sqlite database another process has locked (0.6 s busy timeout) in a Django ASGI view served by uvicorn, and
through SQLAlchemy's synchronous engine in an asyncio coroutine, and with sqlite3 itself in one ("sqlite")."""
import os
import sqlite3
import sys
import tempfile
import threading
import time

DELAY = 2.0


def print_ready():
    print("ready", flush=True)


def run_trio():
    import trio

    async def handle_report():
        time.sleep(0.6)

    async def main():
        print_ready()
        await trio.sleep(DELAY)
        await handle_report()
        await trio.sleep(3600)

    trio.run(main)


def run_gevent(on_cpu=False):
    import gevent

    def handle_report():
        if on_cpu:  # the hub waits for a greenlet's computing
            end = time.monotonic() + 0.6
            while time.monotonic() < end:
                sum(range(1000))
        else:
            time.sleep(0.6)  # not monkey-patched: the hub waits

    print_ready()
    gevent.spawn_later(DELAY, handle_report)
    gevent.sleep(3600)


def run_twisted():
    from twisted.internet import reactor

    def handle_report():
        time.sleep(0.6)

    print_ready()
    reactor.callLater(DELAY, handle_report)
    reactor.run()


def run_tornado():
    from tornado.ioloop import IOLoop

    async def handle_report():
        time.sleep(0.6)

    loop = IOLoop.current()
    print_ready()
    loop.call_later(DELAY, handle_report)
    loop.start()


HOLD_LOCK = """import sqlite3, sys
sqlite3.connect(sys.argv[1], isolation_level=None).execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.read()  # until this app exits
"""


def locked_database():
    """A sqlite file another process (a "sqlite-holder" job) holds an exclusive lock on while this one runs."""
    import subprocess

    path = os.path.join(tempfile.mkdtemp(), "app.db")
    sqlite3.connect(path).execute("CREATE TABLE visits (at REAL)")
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, path], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    assert holder.stdout.readline().strip() == "locked"
    return path


def run_django():
    import urllib.request

    import django
    import uvicorn
    from django.conf import settings
    from django.http import HttpResponse
    from django.urls import path

    db = locked_database()

    async def record_visit(request):
        try:
            sqlite3.connect(db, timeout=0.6).execute("INSERT INTO visits VALUES (?)", (time.time(),))
        except sqlite3.OperationalError:
            pass
        return HttpResponse("ok")

    settings.configure(ROOT_URLCONF=__name__, ALLOWED_HOSTS=["*"], DEBUG=False, SECRET_KEY="test")
    globals()["urlpatterns"] = [path("visit", record_visit)]
    django.setup()
    from django.core.asgi import get_asgi_application

    port = int(sys.argv[2])

    def visit_later():
        time.sleep(DELAY)
        urllib.request.urlopen(f"http://127.0.0.1:{port}/visit").read()

    config = uvicorn.Config(get_asgi_application(), host="127.0.0.1", port=port, lifespan="off", log_level="error")
    server = uvicorn.Server(config)
    threading.Thread(target=visit_later, daemon=True).start()
    print_ready()
    server.run()


def serve_once(handler):
    """An asyncio loop that runs the coroutine handler once, DELAY after it says ready."""
    import asyncio

    async def main():
        print_ready()
        await asyncio.sleep(DELAY)
        await handler()
        await asyncio.sleep(3600)

    asyncio.run(main())


def run_sqlalchemy():
    import sqlalchemy

    engine = sqlalchemy.create_engine(f"sqlite:///{locked_database()}", connect_args={"timeout": 0.6})

    async def record_visit():
        try:
            with engine.begin() as conn:
                conn.execute(sqlalchemy.text("INSERT INTO visits VALUES (:at)"), {"at": time.time()})
        except sqlalchemy.exc.OperationalError:
            pass

    serve_once(record_visit)


def run_sqlite():
    db = locked_database()

    async def record_visit():
        try:
            sqlite3.connect(db, timeout=0.6).execute("INSERT INTO visits VALUES (?)", (time.time(),))
        except sqlite3.OperationalError:
            pass

    serve_once(record_visit)


{"trio": run_trio, "gevent": run_gevent, "gevent-cpu": lambda: run_gevent(on_cpu=True), "twisted": run_twisted, "tornado": run_tornado,
 "django": run_django, "sqlalchemy": run_sqlalchemy, "sqlite": run_sqlite}[sys.argv[1]]()

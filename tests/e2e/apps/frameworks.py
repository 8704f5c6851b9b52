"""One event loop of the framework argv[1] names (trio, gevent, twisted, tornado), whose handler blocks it
in time.sleep(0.6) 2 s after "ready" (the mistake the framework's hint is for), then idles."""
import sys
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


def run_gevent():
    import gevent

    def handle_report():
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


{"trio": run_trio, "gevent": run_gevent, "twisted": run_twisted, "tornado": run_tornado}[sys.argv[1]]()

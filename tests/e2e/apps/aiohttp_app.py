"""An aiohttp server whose /report handler blocks its loop in time.sleep(0.6)."""
import sys, time
from aiohttp import web
async def report(request):
    time.sleep(0.6)
    return web.Response(text="done")
app = web.Application()
app.router.add_get("/report", report)
print("ready", flush=True)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)

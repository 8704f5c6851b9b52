"""The FastAPI case: one BackgroundTasks endpoint, three kinds of task.

action 1: a plain `def` task calling time.sleep   -> runs in the thread pool: harmless
action 2: an `async def` task calling time.sleep  -> runs on the loop: stalls it
action 3: an `async def` task awaiting asyncio.sleep -> yields: harmless
"""
import asyncio
import os
import time

from fastapi import BackgroundTasks, FastAPI

SLEEP = float(os.environ.get("TASK_SECONDS", "1.5"))
app = FastAPI()


def sync_func_sync_timeout():
    time.sleep(SLEEP)


async def async_func_sync_timeout():
    time.sleep(SLEEP)


async def async_func_async_timeout():
    await asyncio.sleep(SLEEP)


TASKS = {1: sync_func_sync_timeout, 2: async_func_sync_timeout, 3: async_func_async_timeout}


@app.get("/action/{n}")
async def action(n: int, background_tasks: BackgroundTasks):
    background_tasks.add_task(TASKS[n])
    return {"action": n, "task": TASKS[n].__name__}


@app.get("/")
async def hello():
    return {"hello": "world"}

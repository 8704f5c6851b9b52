"""A FastAPI shop whose handler asks a stock service with a blocking HTTP client (the mistake under test).

STOCK_URL: the stock service (a slow one in the test).
"""
import os
import urllib.request

from fastapi import FastAPI

app = FastAPI()


def fetch_stock(item):
    with urllib.request.urlopen(f"{os.environ['STOCK_URL']}/{item}", timeout=10) as r:
        return int(r.read())


@app.get("/reserve/{item}")
async def reserve_items(item: str):
    return {"item": item, "stock": fetch_stock(item)}

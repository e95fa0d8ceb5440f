"""The benchmark's yardsticks, serving one product row as JSON: a bare Starlette +
asyncpg app (`app`, the baseline), and the least a FastAPI app does for the same row
(`floor`: a typed path parameter, asyncpg, a pydantic response model).

DATABASE_URL=postgresql://... uvicorn --app-dir scripts/bench baseline:app (or :floor)
"""

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

import asyncpg
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

QUERY = (
    "SELECT id, sku, name, description, price_cents, currency, stock, version,"
    " archived_at, created_at, updated_at FROM products WHERE id = $1"
)


async def product(request: Request) -> JSONResponse:
    pool: asyncpg.Pool = request.app.state.pool
    row = await pool.fetchrow(QUERY, uuid.UUID(request.path_params["product_id"]))
    if row is None:
        return JSONResponse({"detail": "not found"}, status_code=404)
    return JSONResponse(
        {
            key: value if isinstance(value, int | str) or value is None else str(value)
            for key, value in row.items()
        }
    )


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=10, max_size=10)
    yield
    await app.state.pool.close()


app = Starlette(routes=[Route("/products/{product_id}", product)], lifespan=lifespan)


class ProductRow(BaseModel):
    id: uuid.UUID
    sku: str
    name: str
    description: str
    price_cents: int
    currency: str
    stock: int
    version: int
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime


floor = FastAPI(lifespan=lifespan, openapi_url=None)


@floor.get("/products/{product_id}")
async def floor_product(product_id: uuid.UUID, request: Request) -> ProductRow:
    row = await request.app.state.pool.fetchrow(QUERY, product_id)
    if row is None:
        raise HTTPException(404)
    return ProductRow.model_validate(dict(row))

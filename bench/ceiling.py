"""The machine's ceiling: the health body served with nothing behind it.

Served by the same uvicorn as our server, so the gap between these and our `/health/` is what
our code costs, not what the ASGI server or the machine costs.
"""

from __future__ import annotations

from fastapi import FastAPI
from pydantic import BaseModel
from starlette.types import Receive, Scope, Send

HEALTH_BODY = (
    b'{"cornflow_status":"healthy","backend_status":"unhealthy","cornflow_version":"1.3.9"}'
)
_HEADERS = [
    (b"content-type", b"application/json"),
    (b"content-length", str(len(HEALTH_BODY)).encode()),
]


async def bare_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Answers every request with the health body."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
    await send({"type": "http.response.body", "body": HEALTH_BODY})


class HealthBody(BaseModel):
    cornflow_status: str
    backend_status: str
    cornflow_version: str


fastapi_app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


@fastapi_app.get("/health/")
async def health() -> HealthBody:
    """The health body through FastAPI's routing, validation and serialisation."""
    return HealthBody(
        cornflow_status="healthy", backend_status="unhealthy", cornflow_version="1.3.9"
    )

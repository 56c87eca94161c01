import gzip
import json
import logging

import pytest
from fastapi import FastAPI, Request
from starlette.responses import JSONResponse, Response
from starlette.types import Scope

from svckit.http import (
    ACCESS_LOGGER_NAME,
    UNMATCHED_ROUTE,
    AccessLogMiddleware,
    BodySizeLimitMiddleware,
    GzipRequestMiddleware,
    Metrics,
    MetricsMiddleware,
    RequestIdMiddleware,
    SecurityHeadersMiddleware,
    metrics_endpoint,
)
from svckit.testing import app_client


def reject(status: int, message: str) -> Response:
    return JSONResponse({"error": message}, status_code=status)


def is_upload(scope: Scope) -> bool:
    return bool(scope["method"] == "POST")


def create_app(metrics: Metrics) -> FastAPI:
    """The wiring the package docstring recommends."""
    app = FastAPI()

    @app.post("/instances/{name}")
    async def upload(name: str, request: Request) -> dict[str, int | str]:
        return {"name": name, "size": len(await request.body())}

    app.add_route("/metrics", metrics_endpoint(metrics), include_in_schema=False)
    app.add_middleware(
        GzipRequestMiddleware, max_inflated_bytes=10_000, should_inflate=is_upload, reject=reject
    )
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=1_000, reject=reject)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(AccessLogMiddleware)
    app.add_middleware(RequestIdMiddleware)
    return app


async def test_a_request_passes_every_layer(caplog: pytest.LogCaptureFixture) -> None:
    metrics = Metrics(process_metrics=False)
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER_NAME):
        async with app_client(create_app(metrics)) as client:
            response = await client.post(
                "/instances/a",
                content=gzip.compress(b"x" * 5_000),
                headers={"Content-Encoding": "gzip"},
            )

    assert response.json() == {"name": "a", "size": 5_000}
    assert response.headers["x-content-type-options"] == "nosniff"
    [record] = [r for r in caplog.records if r.name == ACCESS_LOGGER_NAME]
    line = json.loads(record.getMessage())
    assert line["route"] == "/instances/{name}"
    assert line["request_id"] == response.headers["x-request-id"]
    labels = {"method": "POST", "route": "/instances/{name}", "status": "200"}
    assert metrics.registry.get_sample_value("http_requests_total", labels) == 1


async def test_a_refused_body_still_gets_an_id_headers_a_log_line_and_a_metric(
    caplog: pytest.LogCaptureFixture,
) -> None:
    metrics = Metrics(process_metrics=False)
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER_NAME):
        async with app_client(create_app(metrics)) as client:
            response = await client.post("/instances/a", content=b"x" * 2_000)

    assert response.status_code == 413
    assert response.json() == {"error": "Request body too large"}
    assert response.headers["x-frame-options"] == "DENY"
    [record] = [r for r in caplog.records if r.name == ACCESS_LOGGER_NAME]
    line = json.loads(record.getMessage())
    assert line["status"] == 413
    assert line["request_id"] == response.headers["x-request-id"]
    labels = {"method": "POST", "route": UNMATCHED_ROUTE, "status": "413"}
    assert metrics.registry.get_sample_value("http_request_errors_total", labels) == 1

from pathlib import Path

import httpx
from fastapi import APIRouter, FastAPI, HTTPException, Request
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from svckit.db import Database
from svckit.http import UNMATCHED_ROUTE, Metrics, MetricsMiddleware, get_metrics, metrics_endpoint
from svckit.testing import app_client


def build_app(metrics: Metrics) -> FastAPI:
    app = FastAPI()
    app.state.metrics = metrics

    @app.get("/items/{item_id}")
    async def read_item(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    @app.get("/forbidden")
    async def forbidden() -> None:
        raise HTTPException(status_code=403, detail="no")

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("handler failed")

    @app.post("/login")
    async def login(request: Request) -> dict[str, bool]:
        get_metrics(request).record_auth_failure("bad_password")
        return {"ok": False}

    things = APIRouter(prefix="/things")

    @things.get("/{thing_id}")
    async def read_thing(thing_id: str) -> dict[str, str]:
        return {"id": thing_id}

    app.include_router(things, prefix="/v1")

    async def plain(_request: Request) -> PlainTextResponse:
        return PlainTextResponse("plain")

    app.mount("/legacy", Starlette(routes=[Route("/pages/{page}", plain)]))
    app.add_route("/metrics", metrics_endpoint(metrics), include_in_schema=False)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    return app


def sample(metrics: Metrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


async def test_latency_is_labelled_with_the_route_template() -> None:
    metrics = Metrics(process_metrics=False)
    async with app_client(build_app(metrics)) as client:
        for item_id in (42, 7, 42):
            assert (await client.get(f"/items/{item_id}")).status_code == 200

    labels = {"method": "GET", "route": "/items/{item_id}", "status_class": "2xx"}
    assert sample(metrics, "http_request_duration_seconds_count", **labels) == 3
    assert sample(metrics, "http_request_duration_seconds_bucket", le="+Inf", **labels) == 3
    assert sample(metrics, "http_request_duration_seconds_sum", **labels) > 0
    assert (
        sample(metrics, "http_requests_total", method="GET", route="/items/{item_id}", status="200")
        == 3
    )
    rendered = metrics.render()[0].decode()
    assert "/items/42" not in rendered
    assert "/items/7" not in rendered


async def test_included_router_prefixes_and_mounts_are_part_of_the_template() -> None:
    metrics = Metrics(process_metrics=False)
    async with app_client(build_app(metrics)) as client:
        assert (await client.get("/v1/things/abc")).status_code == 200
        assert (await client.get("/legacy/pages/3")).status_code == 200

    assert (
        sample(
            metrics,
            "http_requests_total",
            method="GET",
            route="/v1/things/{thing_id}",
            status="200",
        )
        == 1
    )
    assert (
        sample(
            metrics, "http_requests_total", method="GET", route="/legacy/pages/{page}", status="200"
        )
        == 1
    )


async def test_errors_are_counted_by_status() -> None:
    metrics = Metrics(process_metrics=False)
    transport = httpx.ASGITransport(app=build_app(metrics), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        assert (await client.get("/forbidden")).status_code == 403
        assert (await client.get("/boom")).status_code == 500
        assert (await client.get("/nowhere/1")).status_code == 404
        assert (await client.get("/nowhere/2")).status_code == 404
        assert (await client.get("/items/1")).status_code == 200

    assert (
        sample(metrics, "http_request_errors_total", method="GET", route="/forbidden", status="403")
        == 1
    )
    assert (
        sample(metrics, "http_request_errors_total", method="GET", route="/boom", status="500") == 1
    )
    assert (
        sample(
            metrics, "http_request_errors_total", method="GET", route=UNMATCHED_ROUTE, status="404"
        )
        == 2
    )
    assert (
        sample(
            metrics,
            "http_request_errors_total",
            method="GET",
            route="/items/{item_id}",
            status="200",
        )
        == 0
    )
    assert sample(metrics, "http_requests_in_flight") == 0


async def test_unknown_methods_share_one_label() -> None:
    metrics = Metrics(process_metrics=False)
    async with app_client(build_app(metrics)) as client:
        response = await client.request("BREW", "/items/1")

    assert response.status_code == 405
    assert (
        sample(
            metrics, "http_requests_total", method="OTHER", route="/items/{item_id}", status="405"
        )
        == 1
    )


async def test_metrics_endpoint_serves_parsable_text_with_latency_buckets() -> None:
    metrics = Metrics()
    async with app_client(build_app(metrics)) as client:
        await client.get("/items/1")
        response = await client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    families = {family.name: family for family in text_string_to_metric_families(response.text)}
    latency = families["http_request_duration_seconds"]
    assert latency.type == "histogram"
    bounds = {s.labels["le"] for s in latency.samples if s.name.endswith("_bucket")}
    assert {"0.001", "0.1", "1.0", "10.0", "+Inf"} <= bounds
    assert "process_cpu_seconds" in families


async def test_metrics_endpoint_speaks_openmetrics_when_asked() -> None:
    metrics = Metrics(process_metrics=False)
    async with app_client(build_app(metrics)) as client:
        response = await client.get(
            "/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"}
        )

    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.endswith("# EOF\n")


async def test_auth_failures_jwt_errors_and_legacy_hashes_are_counted() -> None:
    metrics = Metrics(process_metrics=False)
    async with app_client(build_app(metrics)) as client:
        await client.post("/login")
        await client.post("/login")
        metrics.record_jwt_validation_error("expired")
        metrics.record_legacy_password_hash("bcrypt")
        response = await client.get("/metrics")

    values = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }
    assert values[("auth_failures_total", (("reason", "bad_password"),))] == 2
    assert values[("jwt_validation_errors_total", (("reason", "expired"),))] == 1
    assert values[("legacy_password_hashes_total", (("scheme", "bcrypt"),))] == 1


def test_each_metrics_object_has_its_own_registry() -> None:
    first = Metrics(namespace="cornflow")
    second = Metrics(namespace="cornflow")

    first.record_auth_failure("bad_password")

    assert sample(first, "cornflow_auth_failures_total", reason="bad_password") == 1
    assert sample(second, "cornflow_auth_failures_total", reason="bad_password") == 0


async def test_database_queries_and_checked_out_connections_are_measured(tmp_path: Path) -> None:
    metrics = Metrics(process_metrics=False)
    database = Database.from_url(f"sqlite:///{tmp_path / 'metrics.db'}")
    metrics.instrument_engine(database.engine)
    try:
        async with database.engine.connect() as connection:
            assert sample(metrics, "db_connections_active") == 1
            await connection.execute(text("CREATE TABLE t (x INTEGER)"))
            await connection.execute(text("INSERT INTO t (x) VALUES (1)"))
            await connection.execute(text("SELECT x FROM t"))
            await connection.execute(text("SELECT x FROM t"))
        assert sample(metrics, "db_connections_active") == 0
    finally:
        await database.dispose()

    assert sample(metrics, "db_query_duration_seconds_count", operation="SELECT") == 2
    assert sample(metrics, "db_query_duration_seconds_count", operation="INSERT") == 1
    assert sample(metrics, "db_query_duration_seconds_count", operation="OTHER") >= 1

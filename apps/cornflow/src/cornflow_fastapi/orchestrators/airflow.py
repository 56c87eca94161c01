"""The parts of Airflow's REST API Cornflow needs, over httpx (never blocking the loop)."""

from __future__ import annotations

import httpx

HEALTHY = "healthy"


async def is_alive(url: str | None, user: str | None, password: str | None) -> bool:
    """Airflow's metadatabase and scheduler both report healthy (API v1, else v2)."""
    if not url:
        return False
    auth = httpx.BasicAuth(user or "", password or "")
    base = url.rstrip("/")
    try:
        async with httpx.AsyncClient(timeout=5.0, auth=auth) as client:
            response = await client.get(f"{base}/api/v1/health")
            if response.status_code == 404:
                response = await client.get(f"{base}/api/v2/monitor/health")
            if response.status_code != 200:
                return False
            payload = response.json()
    except (httpx.HTTPError, ValueError):
        return False
    try:
        return bool(
            payload["metadatabase"]["status"] == HEALTHY
            and payload["scheduler"]["status"] == HEALTHY
        )
    except (KeyError, TypeError):
        return False

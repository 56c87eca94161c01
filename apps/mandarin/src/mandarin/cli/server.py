"""`mandarin serve`."""

from __future__ import annotations

from typing import Annotated

import typer

from svckit import serving

Host = Annotated[str, typer.Option("--host", help="Interface to listen on")]
Port = Annotated[int, typer.Option("--port", help="Port to listen on")]
Workers = Annotated[int, typer.Option("--workers", help="Worker processes")]


def serve(host: Host = "127.0.0.1", port: Port = 8000, workers: Workers = 1) -> None:
    """Start the server with the settings of the environment."""
    serving.serve("mandarin.main:app_from_environment", host=host, port=port, workers=workers)

"""`cornflow serve` and `cornflow service init`."""

import typer

service_app = typer.Typer(help="Service")


def serve() -> None:
    """Start the server."""

"""`cornflow migrations ...` (owned by the migrations work)."""

import typer

app = typer.Typer(help="Database migrations")

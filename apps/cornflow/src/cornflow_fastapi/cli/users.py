"""`cornflow users ...`."""

import typer

app = typer.Typer(help="Users")

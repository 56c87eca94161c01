"""`cornflow config ...`."""

import typer

app = typer.Typer(help="Configuration")

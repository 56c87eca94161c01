"""`cornflow actions|roles|views|permissions ...` (owned by the access work)."""

import typer

apps: dict[str, typer.Typer] = {}

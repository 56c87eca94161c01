"""The `mandarin` command line."""

from __future__ import annotations

import typer

from mandarin.cli import database, seed, server, users

app = typer.Typer(help="Mandarin Blueprint server administration", no_args_is_help=True)
app.add_typer(database.app, name="db")
app.add_typer(users.app, name="users")
app.command("serve")(server.serve)
app.command("seed-demo")(seed.seed_demo)


def main() -> None:
    app()

"""The `cornflow` command line, with the Flask CLI's command and option names."""

from __future__ import annotations

import typer

from cornflow_fastapi.cli import access, config, migrations, server, users, worker

app = typer.Typer(help="Cornflow server administration", no_args_is_help=True)
app.add_typer(migrations.app, name="migrations")
for name, sub in access.apps.items():
    app.add_typer(sub, name=name)
app.add_typer(users.app, name="users")
app.add_typer(config.app, name="config")
app.add_typer(server.service_app, name="service")
app.command("serve")(server.serve)
app.command("worker")(worker.worker)


def main() -> None:
    app()

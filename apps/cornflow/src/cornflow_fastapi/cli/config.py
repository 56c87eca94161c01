"""`cornflow config list|get|save`: the settings this process would run with."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cornflow_fastapi.config import CornflowSettings

app = typer.Typer(help="Commands to manage the configuration variables", no_args_is_help=True)

SECRET_NAMES = ("secret_key", "secret_bi_key", "password", "pwd")


def _items() -> dict[str, Any]:
    """Settings under their environment variable names, secrets masked."""
    values = CornflowSettings().model_dump(mode="json")
    shown: dict[str, Any] = {}
    for name, value in values.items():
        masked = value is not None and any(part in name for part in SECRET_NAMES)
        shown[name.upper()] = "********" if masked else value
    return shown


@app.command("list", help="List the configuration variables")
def config_list() -> None:
    for key, value in _items().items():
        typer.echo(f"{key} = {value}")


@app.command("get", help="Get the value of a configuration variable")
def config_get(
    key: Annotated[str, typer.Option("-k", "--key", help="The key of the configuration variable")],
) -> None:
    typer.echo(f"{_items().get(key.upper())}")


@app.command("save", help="Save the configuration variables to a file")
def config_save(
    path: Annotated[
        str, typer.Option("-p", "--path", help="The path to the file to save the file")
    ] = "",
) -> None:
    lines = ["[configuration]", ""] + [f"{key} = {value}" for key, value in _items().items()]
    Path(f"{path}config.cfg").write_text("\n".join(lines) + "\n")

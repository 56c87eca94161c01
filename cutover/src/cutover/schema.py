"""A database's schema as comparable text: what two servers sharing a database must agree on.

`schema_snapshot(url)` gives the DDL of a PostgreSQL database (`pg_dump --schema-only`) or a
SQLite file (`sqlite_master`) as a sorted list of normalised statements, so two databases
migrated by different tools compare with `==` and differ only where their schemas do.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
from urllib.parse import urlsplit, urlunsplit

# pg_dump lines that depend on the session or the dump, not on the schema.
_PG_NOISE = re.compile(r"^(--|SET |SELECT pg_catalog\.set_config|\\restrict |\\unrestrict )")


class SchemaDumpUnavailable(RuntimeError):
    """The tool that reads this kind of database is missing (pg_dump for PostgreSQL)."""


def schema_snapshot(database_url: str) -> list[str]:
    """The schema of the database at database_url (SQLAlchemy-style URL), normalised and sorted."""
    scheme = urlsplit(database_url).scheme
    dialect = scheme.split("+", 1)[0]
    if dialect == "sqlite":
        return _sqlite_snapshot(database_url)
    if dialect in {"postgresql", "postgres"}:
        return _postgres_snapshot(database_url)
    raise ValueError(f"unsupported database: {scheme}")


def _postgres_snapshot(database_url: str) -> list[str]:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise SchemaDumpUnavailable("pg_dump is not on PATH (install the PostgreSQL client)")
    parts = urlsplit(database_url)
    # libpq knows neither SQLAlchemy's driver suffix nor the "postgres" alias of older URLs.
    plain = urlunsplit(("postgresql", *parts[1:]))
    dump = subprocess.run(
        [pg_dump, "--schema-only", "--no-owner", "--no-privileges", "--dbname", plain],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    kept = "\n".join(line for line in dump.splitlines() if line and not _PG_NOISE.match(line))
    return sorted(statement.strip() for statement in kept.split(";\n") if statement.strip())


def _sqlite_snapshot(database_url: str) -> list[str]:
    path = database_url.split(":///", 1)[1]
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        rows = connection.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL"
        ).fetchall()
    return sorted(_normalise_sqlite(kind, name, sql) for kind, name, sql in rows)


def _normalise_sqlite(kind: str, name: str, sql: str) -> str:
    """A table's columns keep their order (it is observable); its table constraints are sorted.

    SQLite keeps each CREATE statement as written, and batch migrations rewrite tables with
    their constraints in whatever order the tool listed them.
    """
    if kind != "table":
        return f"{kind} {name}: {' '.join(sql.split())}"
    _, _, rest = sql.partition("(")
    body = rest[: rest.rfind(")")]
    items = [" ".join(item.split()) for item in _top_level_split(body)]
    constraint = re.compile(r"^(PRIMARY KEY|FOREIGN KEY|UNIQUE|CHECK|CONSTRAINT)\b", re.I)
    columns = [item for item in items if not constraint.match(item)]
    constraints = sorted(item for item in items if constraint.match(item))
    return f"table {name} ({', '.join(columns)}; {', '.join(constraints)})"


def _top_level_split(body: str) -> list[str]:
    """Split at commas outside parentheses and quotes."""
    items: list[str] = []
    depth = 0
    quote: str | None = None
    current: list[str] = []
    for char in body:
        if quote:
            quote = None if char == quote else quote
        elif char in "\"'`":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            items.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    if "".join(current).strip():
        items.append("".join(current).strip())
    return items

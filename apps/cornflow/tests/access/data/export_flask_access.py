"""Write the access tables of a Flask-initialised SQLite database as a JSON fixture.

The fixtures next to this file were made this way, from databases the Flask server (1.3.9)
initialised with `cornflow migrations upgrade` and `cornflow permissions init`:

    python export_flask_access.py FLASK_DB OUT_JSON KEY=VALUE...

KEY=VALUE pairs record the environment the Flask server ran with.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

QUERIES = {
    "actions": "SELECT id, name FROM actions ORDER BY id",
    "roles": "SELECT id, name FROM roles ORDER BY id",
    "api_view": "SELECT id, name, url_rule, description FROM api_view ORDER BY id",
    "permission_view": (
        "SELECT id, action_id, api_view_id, role_id FROM permission_view"
        " WHERE deleted_at IS NULL ORDER BY id"
    ),
}


def export(database: Path) -> dict[str, list[list[object]]]:
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return {
            table: [list(row) for row in connection.execute(query)]
            for table, query in QUERIES.items()
        }
    finally:
        connection.close()


def main(argv: list[str]) -> None:
    database, out, *env = argv
    tables = export(Path(database))
    document = {"flask_environment": dict(pair.split("=", 1) for pair in env), **tables}
    lines = ["{"]
    items = list(document.items())
    for position, (key, value) in enumerate(items):
        tail = "," if position < len(items) - 1 else ""
        if isinstance(value, list):
            # One row a line keeps the fixture diffable.
            rows = ",\n".join(f"    {json.dumps(row)}" for row in value)
            lines.append(f'  "{key}": [\n{rows}\n  ]{tail}')
        else:
            lines.append(f'  "{key}": {json.dumps(value)}{tail}')
    lines.append("}")
    Path(out).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])

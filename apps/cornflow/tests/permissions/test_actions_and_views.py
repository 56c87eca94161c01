"""/action/ and /apiview/."""

from collections.abc import Callable
from typing import Any

from httpx import AsyncClient
from sqlalchemy import select

from cornflow_fastapi.models import ApiView
from cornflow_support import DENIED, NO_TOKEN
from svckit.db import Database

ACTIONS = [
    {"id": 1, "name": "can get"},
    {"id": 2, "name": "can patch"},
    {"id": 3, "name": "can post"},
    {"id": 4, "name": "can put"},
    {"id": 5, "name": "can delete"},
]


def admin_only(success: tuple[int, Any]) -> dict[str | None, tuple[int, Any]]:
    return {
        None: NO_TOKEN,
        "service": DENIED,
        "admin": success,
        "planner": DENIED,
        "viewer": DENIED,
        "dummy": DENIED,
        "norole": DENIED,
    }


async def test_list_actions_access(walk_roles: Callable[..., Any]) -> None:
    await walk_roles("GET", "/action/", admin_only((200, ACTIONS)))


async def test_list_api_views_access(walk_roles: Callable[..., Any], database: Database) -> None:
    async with database.sessionmaker() as session:
        views = (await session.execute(select(ApiView).order_by(ApiView.id))).scalars().all()
    expected = [
        {"id": v.id, "name": v.name, "url_rule": v.url_rule, "description": v.description}
        for v in views
    ]
    await walk_roles("GET", "/apiview/", admin_only((200, expected)))


async def test_api_views_as_flask_lists_them(
    client: AsyncClient, headers: dict[str, dict[str, str]]
) -> None:
    response = await client.get("/apiview/", headers=headers["admin"])
    rows = {row["name"]: row for row in response.json()}
    assert list(response.json()[0]) == ["id", "name", "url_rule", "description"]
    assert rows["instance"] == {
        "id": 1,
        "name": "instance",
        "url_rule": "/instance/",
        "description": "",
    }
    assert rows["actions"] == {
        "id": 41,
        "name": "actions",
        "url_rule": "/action/",
        "description": "Endpoint which allows to get the actions defined in the application",
    }


async def test_names_show_underscores_as_spaces(
    client: AsyncClient, headers: dict[str, dict[str, str]], database: Database
) -> None:
    async with database.sessionmaker() as session, session.begin():
        session.add(ApiView(name="my_view", url_rule="/mine/", description=None))
    response = await client.get("/apiview/", headers=headers["admin"])
    assert response.json()[-1]["name"] == "my view"
    assert response.json()[-1]["description"] is None

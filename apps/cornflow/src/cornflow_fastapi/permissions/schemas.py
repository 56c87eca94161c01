"""Bodies of /permission/, /permission/<idx>/, /action/ and /apiview/."""

from __future__ import annotations

from pydantic import BaseModel

from cornflow_fastapi.models import Action, ApiView, PermissionView
from cornflow_fastapi.request_parsing import OptInt, RequestSchema


def spaced(name: str) -> str:
    """Flask shows action and view names with spaces for underscores ("can_get" → "can get")."""
    return name.replace("_", " ")


class PermissionCreate(RequestSchema):
    # All optional in Flask; a missing one ends in an integrity error, which we reproduce.
    action_id: OptInt = None
    role_id: OptInt = None
    api_view_id: OptInt = None


class PermissionEdit(RequestSchema):
    action_id: OptInt = None
    api_view_id: OptInt = None
    role_id: OptInt = None


class PermissionDetail(BaseModel):
    id: int
    action_id: int
    action: str
    api_view_id: int
    api_view: str
    role_id: int
    role: str

    @classmethod
    def of(
        cls, permission: PermissionView, action: str, api_view: str, role: str
    ) -> PermissionDetail:
        return cls(
            id=permission.id,
            action_id=permission.action_id,
            action=spaced(action),
            api_view_id=permission.api_view_id,
            api_view=api_view,
            role_id=permission.role_id,
            role=role,
        )


class ActionDetail(BaseModel):
    id: int
    name: str

    @classmethod
    def of(cls, action: Action) -> ActionDetail:
        return cls(id=action.id, name=spaced(action.name))


class ApiViewDetail(BaseModel):
    id: int
    name: str
    url_rule: str
    description: str | None

    @classmethod
    def of(cls, view: ApiView) -> ApiViewDetail:
        return cls(
            id=view.id, name=spaced(view.name), url_rule=view.url_rule, description=view.description
        )

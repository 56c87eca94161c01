"""Bodies of /user/..., /user/role/... and /user/recover-password/, in Flask's field order."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from cornflow_fastapi.models import User, UserRole
from cornflow_fastapi.request_parsing import Int, OptStr, RequestSchema, Str


def iso_datetime(value: datetime | None) -> str | None:
    """marshmallow's DateTime: ISO 8601, no timezone for the naive UTC values Cornflow stores."""
    return None if value is None else value.isoformat()


class UserEditRequest(RequestSchema):
    username: OptStr = None
    first_name: OptStr = None
    last_name: OptStr = None
    email: OptStr = None
    password: OptStr = None


class RecoverPasswordRequest(RequestSchema):
    email: Str


class UserRoleRequest(RequestSchema):
    # Optional in Flask's schema, where leaving one out crashes the endpoint; required here.
    user_id: Int
    role_id: Int


class UserList(BaseModel):
    id: int
    username: str
    first_name: str | None
    last_name: str | None
    email: str
    created_at: str
    pwd_last_change: str | None

    @classmethod
    def of(cls, user: User) -> UserList:
        return cls(
            id=user.id,
            username=user.username,
            first_name=user.first_name,
            last_name=user.last_name,
            email=user.email,
            # Flask declares this field a plain string, so clients get str(datetime).
            created_at=str(user.created_at),
            pwd_last_change=iso_datetime(user.pwd_last_change),
        )


class UserDetail(BaseModel):
    id: int
    first_name: str | None
    last_name: str | None
    username: str
    email: str
    pwd_last_change: str | None

    @classmethod
    def of(cls, user: User) -> UserDetail:
        return cls(
            id=user.id,
            first_name=user.first_name,
            last_name=user.last_name,
            username=user.username,
            email=user.email,
            pwd_last_change=iso_datetime(user.pwd_last_change),
        )


class UserRoleDetail(BaseModel):
    user_id: int
    role_id: int
    id: int
    user: str
    role: str

    @classmethod
    def of(cls, link: UserRole, username: str, role_name: str) -> UserRoleDetail:
        return cls(
            user_id=link.user_id, role_id=link.role_id, id=link.id, user=username, role=role_name
        )

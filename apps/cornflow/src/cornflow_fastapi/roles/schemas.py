"""Bodies of /roles/ and /roles/<idx>/."""

from __future__ import annotations

from pydantic import BaseModel

from cornflow_fastapi.models import Role
from cornflow_fastapi.request_parsing import OptInt, OptStr, RequestSchema


class RoleCreate(RequestSchema):
    # Optional in Flask too; leaving it out ends in an integrity error, which we reproduce.
    name: OptStr = None


class RoleEdit(RequestSchema):
    name: OptStr = None
    id: OptInt = None


class RoleDetail(BaseModel):
    name: str
    id: int

    @classmethod
    def of(cls, role: Role) -> RoleDetail:
        return cls(name=role.name, id=role.id)

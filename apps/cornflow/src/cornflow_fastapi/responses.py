"""Response bodies several domains share."""

from __future__ import annotations

from pydantic import BaseModel


class MessageResponse(BaseModel):
    """`{"message": ...}`, Cornflow's answer to updates and deletes."""

    message: str


UPDATED = MessageResponse(message="Updated correctly")
DELETED = MessageResponse(message="The object has been deleted")

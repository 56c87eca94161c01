"""Base classes of request bodies: unknown fields refused, partial updates made explicit."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, model_validator


class InputModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PatchModel(InputModel):
    """A partial update: fields left out stay as they are; not_null fields refuse null."""

    not_null: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _required_stay_set(self) -> PatchModel:
        for name in sorted(self.model_fields_set & self.not_null):
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        """The fields the client sent, by name."""
        return self.model_dump(exclude_unset=True)

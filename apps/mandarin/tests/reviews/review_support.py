"""Helpers of the review tests: learners signed up over HTTP, cards as lessons create them."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class Learner:
    id: uuid.UUID
    email: str
    headers: dict[str, str] = field(repr=False)


class NewLearner(Protocol):
    def __call__(self, **columns: Any) -> Awaitable[Learner]: ...


class AddCards(Protocol):
    def __call__(
        self, learner: Learner, count: int, *, created_at: datetime | None = None
    ) -> Awaitable[list[uuid.UUID]]: ...


class Submit(Protocol):
    def __call__(
        self, learner: Learner, card_id: uuid.UUID, grade: Any, **fields: Any
    ) -> Awaitable[Any]: ...

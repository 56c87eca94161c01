"""Offset pagination shared by list routes: bounded limits and one page schema."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, Field

MAX_LIMIT = 200
# Far beyond any real list, and small enough for every database's OFFSET.
MAX_OFFSET = 1_000_000

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PageRequest:
    offset: int
    limit: int


def page_request(
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Rows to return")] = 50,
) -> PageRequest:
    return PageRequest(offset=offset, limit=limit)


PageDep = Annotated[PageRequest, Depends(page_request)]


class Page(BaseModel, Generic[T]):
    """One page of a list, with the size of the whole list."""

    items: list[T]
    total: int = Field(description="Rows in the whole list")
    offset: int
    limit: int

    @classmethod
    def of(cls, items: list[T], *, total: int, page: PageRequest) -> Page[T]:
        return cls(items=items, total=total, offset=page.offset, limit=page.limit)

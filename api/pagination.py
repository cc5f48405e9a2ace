"""Keyset pagination: every list answers ``{"items": [...], "next_cursor": ...}``."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import HTTPException, Query, status
from pydantic import BaseModel

T = TypeVar("T")
Row = TypeVar("Row")

MAX_LIMIT = 1000


class Page(BaseModel, Generic[T]):
    """One page of a list; pass ``next_cursor`` back as ``cursor`` for the next (null: last)."""

    items: list[T]
    next_cursor: str | None


LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size (1–1000).")]
CursorQuery = Annotated[
    str | None, Query(description="Opaque cursor from the previous page's `next_cursor`.")
]


def encode_cursor(key: Any) -> str:
    """An opaque cursor holding the sort key of the last item served."""
    raw = json.dumps(key, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> Any:
    """The sort key inside ``cursor`` (None for the first page); 400 if it was tampered with."""
    if cursor is None or cursor == "":
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail="invalid cursor") from exc


def page_of(
    rows: Sequence[Row], limit: int, key: Callable[[Row], Any], convert: Callable[[Row], T]
) -> Page[T]:
    """A page from ``rows`` fetched with ``limit + 1``: the extra row only says more exist."""
    more = len(rows) > limit
    shown = rows[:limit]
    return Page(
        items=[convert(row) for row in shown],
        next_cursor=encode_cursor(key(shown[-1])) if more else None,
    )

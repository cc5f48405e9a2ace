"""Keyset pagination: every list answers ``{"items": [...], "next_cursor": ...}``."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import HTTPException, Query, status
from pydantic import BaseModel, TypeAdapter, ValidationError

T = TypeVar("T")
Row = TypeVar("Row")
Key = TypeVar("Key")

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


def _invalid_cursor() -> HTTPException:
    return HTTPException(status.HTTP_400_BAD_REQUEST, detail="invalid cursor")


def _cursor_bytes(cursor: str) -> bytes:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return base64.urlsafe_b64decode(padded.encode("ascii"))
    except (binascii.Error, ValueError) as exc:
        raise _invalid_cursor() from exc


_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def _adapter(shape: Any) -> TypeAdapter[Any]:
    adapter = _ADAPTERS.get(shape)
    if adapter is None:
        adapter = _ADAPTERS[shape] = TypeAdapter(shape)
    return adapter


def decode_cursor_as(cursor: str | None, shape: type[Key]) -> Key | None:
    """The sort key inside ``cursor`` as ``shape`` (e.g. ``int``, ``tuple[int, int]``).

    None for the first page; 400 when the cursor is not base64 JSON of exactly that shape
    (strict: ``"7"``, ``7.0`` or ``true`` are not an ``int``; integers must fit 64 bits).
    """
    if cursor is None or cursor == "":
        return None
    try:
        value: Key = _adapter(shape).validate_json(_cursor_bytes(cursor), strict=True)
    except ValidationError as exc:
        raise _invalid_cursor() from exc
    if not _fits_bigint(value):
        raise _invalid_cursor()
    return value


def _fits_bigint(value: object) -> bool:
    """Every integer in ``value`` fits a 64-bit column (else the database would refuse it)."""
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    if isinstance(value, list | tuple):
        return all(_fits_bigint(item) for item in value)
    if isinstance(value, dict):
        return all(_fits_bigint(item) for item in value.values())
    return True


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

"""Keyset pagination: every list answers ``{"items": [...], "next_cursor": ...}``.

A cursor is the sort key of the last item served, as JSON, signed with an HMAC-SHA256 of a
key derived from the service secret: ``base64url(json) "." base64url(mac)``. A cursor that was
altered, re-encoded, signed with another secret, of the wrong shape or longer than
:data:`MAX_CURSOR_LENGTH` is a 400, checked before anything in it is decoded.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query, Request
from pydantic import BaseModel, TypeAdapter, ValidationError

from app.errors import BadRequest

T = TypeVar("T")
Row = TypeVar("Row")
Key = TypeVar("Key")

MAX_LIMIT = 1000
#: Longest cursor accepted (a ranked-list cursor naming a run per list stays far below).
MAX_CURSOR_LENGTH = 2048
_MAC_BYTES = 16
_CURSOR_CONTEXT = b"equiwait cursor v1"


class Page(BaseModel, Generic[T]):
    """One page of a list; pass ``next_cursor`` back as ``cursor`` for the next (null: last)."""

    items: list[T]
    next_cursor: str | None


class InvalidCursor(BadRequest):
    """The cursor is not one this service signed, or not of the shape the route pages by."""

    problem = "invalid-cursor"

    def __init__(self) -> None:
        super().__init__("invalid cursor")


LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size (1–1000).")]
CursorQuery = Annotated[
    str | None,
    Query(
        description="Opaque cursor from the previous page's `next_cursor` (an altered one is a "
        "400)."
    ),
]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode((text + "=" * (-len(text) % 4)).encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
        raise InvalidCursor() from exc


_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def _adapter(shape: Any) -> TypeAdapter[Any]:
    adapter = _ADAPTERS.get(shape)
    if adapter is None:
        adapter = _ADAPTERS[shape] = TypeAdapter(shape)
    return adapter


class CursorCodec:
    """Signs and checks cursors with a key derived from the service secret."""

    def __init__(self, secret: str) -> None:
        self._key = hmac.new(secret.encode(), _CURSOR_CONTEXT, hashlib.sha256).digest()

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:_MAC_BYTES]

    def encode(self, key: Any) -> str:
        """An opaque, signed cursor holding the sort key of the last item served."""
        payload = json.dumps(key, separators=(",", ":"), default=str).encode()
        return f"{_b64(payload)}.{_b64(self._mac(payload))}"

    def decode(self, cursor: str | None, shape: type[Key]) -> Key | None:
        """The sort key inside ``cursor`` as ``shape`` (e.g. ``int``, ``tuple[int, int]``).

        None for the first page; 400 when the cursor is too long, unsigned or altered, or not
        JSON of exactly that shape (strict: ``"7"``, ``7.0`` or ``true`` are not an ``int``;
        integers must fit 64 bits).
        """
        if cursor is None or cursor == "":
            return None
        if len(cursor) > MAX_CURSOR_LENGTH or cursor.count(".") != 1:
            raise InvalidCursor()
        encoded, signature = cursor.split(".")
        payload = _unb64(encoded)
        if not hmac.compare_digest(_unb64(signature), self._mac(payload)):
            raise InvalidCursor()
        try:
            value: Key = _adapter(shape).validate_json(payload, strict=True)
        except ValidationError as exc:
            raise InvalidCursor() from exc
        if not _fits_bigint(value):
            raise InvalidCursor()
        return value

    def page_of(
        self,
        rows: Sequence[Row],
        limit: int,
        key: Callable[[Row], Any],
        convert: Callable[[Row], T],
    ) -> Page[T]:
        """A page from ``rows`` fetched with ``limit + 1``: the extra row only says more exist."""
        more = len(rows) > limit
        shown = rows[:limit]
        return Page(
            items=[convert(row) for row in shown],
            next_cursor=self.encode(key(shown[-1])) if more else None,
        )


def _fits_bigint(value: object) -> bool:
    """Every integer in ``value`` fits a 64-bit column (else the database would refuse it)."""
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    if isinstance(value, list | tuple):
        return all(_fits_bigint(item) for item in value)
    if isinstance(value, dict):
        return all(_fits_bigint(item) for item in value.values())
    return True


async def get_cursors(request: Request) -> CursorCodec:
    """The app's cursor codec (keyed by its secret); ``async``, as it only reads the app's
    state (no hop to the thread pool, see :mod:`api.deps`)."""
    codec: CursorCodec = request.app.state.cursors
    return codec


Cursors = Annotated[CursorCodec, Depends(get_cursors)]

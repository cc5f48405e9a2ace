"""Gathers errors as masks over whole columns; RowError objects are built only for the report.

A check hands over a boolean mask and a message (or a function making one for a row), so a
million-row column costs one numpy operation whether it holds no error or a million. The first
error in a cell wins: later checks of the same field skip cells already at fault.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass
from itertools import islice

import numpy as np

from app.ingest.nhs_number import mask_nhs_number
from app.ingest.reader import RawTable
from app.ingest.results import RowError, sort_key
from app.ingest.text import BoolArray, IndexArray, StrArray, decode, shorten, strip, to_ascii

#: A fixed message, or one made from a row index (only for rows that are reported).
Message = str | Callable[[int], str]


@dataclass(frozen=True, eq=False)
class _Group:
    field: str
    rows: IndexArray
    message: Message


class ErrorCollector:
    """Errors of one table, kept as index arrays per check until they are reported."""

    def __init__(self, table: RawTable) -> None:
        self.table = table
        self.size = len(table)
        self._bad: dict[str, BoolArray] = {}
        self._groups: list[_Group] = []

    def column(self, name: str) -> StrArray:
        """A column's values trimmed, as ASCII bytes; a non-ASCII cell is an error and blanked.

        A column absent from the upload reads as all-empty.
        """
        raw = self.table.columns.get(name)
        if raw is None:
            return np.zeros(self.size, dtype="S1")
        values, non_ascii = to_ascii(strip(raw))
        if non_ascii.any():
            self.add(name, non_ascii, lambda index: _non_ascii_message(raw[index]))
        return values

    def present(self, name: str) -> bool:
        return name in self.table.columns

    def require(self, name: str, empty: BoolArray) -> None:
        """Empty cells of a required column (a column missing outright is a header error)."""
        if self.present(name):
            self.add(name, empty, f"{name} is required")

    def add(self, name: str, mask: BoolArray, message: Message) -> None:
        """Record ``message`` for every row in ``mask`` whose ``name`` cell has no error yet."""
        bad = self._bad.setdefault(name, np.zeros(self.size, dtype=np.bool_))
        fresh = mask & ~bad
        rows = np.flatnonzero(fresh)
        if rows.size:
            self._groups.append(_Group(name, rows, message))
            bad |= fresh

    def ok(self, name: str) -> BoolArray:
        """Rows whose ``name`` cell has no error so far."""
        bad = self._bad.get(name)
        return np.ones(self.size, dtype=np.bool_) if bad is None else ~bad

    def text(self, name: str, index: int) -> str:
        """A cell as the user wrote it (trimmed), for messages."""
        raw = self.table.columns.get(name)
        return "" if raw is None else decode(raw[index]).strip()

    @property
    def count(self) -> int:
        return len(self.table.errors) + sum(len(group.rows) for group in self._groups)

    def report(self, limit: int | None = None) -> list[RowError]:
        """Every error (or the first ``limit``) sorted by row number, then field name."""
        groups = self._groups
        if not groups:
            return sorted(self.table.errors, key=sort_key)[:limit]
        names = sorted({group.field for group in groups})
        rank = {name: position for position, name in enumerate(names)}
        rows = np.concatenate([self.table.row_numbers[group.rows] for group in groups])
        fields = np.concatenate([np.full(len(g.rows), rank[g.field]) for g in groups])
        which = np.concatenate([np.full(len(g.rows), number) for number, g in enumerate(groups)])
        order = np.lexsort((which, fields, rows))[:limit]
        chosen = which[order]
        indices = np.concatenate([group.rows for group in groups])[order]
        values: list[str] = [""] * len(order)
        messages: list[str] = [""] * len(order)
        for number in np.unique(chosen).tolist():
            group = groups[number]
            at = np.flatnonzero(chosen == number).tolist()
            rows_of_group = indices[at]
            texts = (
                [group.message] * len(at)
                if isinstance(group.message, str)
                else [group.message(index) for index in rows_of_group.tolist()]
            )
            shown = self._values(group.field, rows_of_group)
            for position, value, message in zip(at, shown, texts, strict=True):
                values[position] = value
                messages[position] = message
        built = [
            RowError(row, groups[number].field, value, message)
            for row, number, value, message in zip(
                rows[order].tolist(), chosen.tolist(), values, messages, strict=True
            )
        ]
        if not self.table.errors:
            return built
        merged = heapq.merge(sorted(self.table.errors, key=sort_key), built, key=sort_key)
        return list(islice(merged, limit))

    def _values(self, name: str, indices: IndexArray) -> list[str]:
        """The offending cells for the report, trimmed; NHS numbers are always masked."""
        raw = self.table.columns.get(name)
        if raw is None:
            return [""] * len(indices)
        cells = [decode(cell).strip() for cell in raw[indices].tolist()]
        if name == "nhs_number":
            return [mask_nhs_number(cell) for cell in cells]
        return [shorten(cell) for cell in cells]


def _non_ascii_message(raw: bytes | str) -> str:
    text = raw if isinstance(raw, str) else raw.decode("ascii", "replace")
    if any("\udc80" <= character <= "\udcff" for character in text):
        return "contains bytes that are not valid UTF-8: save the file as 'CSV UTF-8'"
    character = next(character for character in text if ord(character) >= 128)
    return f"contains {character!r} (U+{ord(character):04X}): only ASCII characters are allowed"

"""The one CSV writer of every file the service serves, safe to open in a spreadsheet.

Following OWASP's guidance on CSV injection, a text cell that a spreadsheet could run as a
formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, or their
full-width forms ``＝``, ``＋``, ``－``, ``＠``) is written with a leading ``'``, which makes
the spreadsheet show it as text; quoting then keeps separators and quotes inside the cell.
Numbers written as numbers (a negative rank change, a negative score component) stay numbers:
only text is neutralised, because only text can come from a user (override reasons, pathway
ids, site codes).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO

#: First characters a spreadsheet reads as the start of a formula (OWASP).
FORMULA_STARTS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")


def safe_cell(value: Any) -> Any:
    """``value`` with a leading ``'`` when it is text that starts like a formula."""
    if isinstance(value, str) and value and value[0] in FORMULA_STARTS:
        return "'" + value
    return value


class SafeCsvWriter:
    """``csv.writer`` whose every text cell passes :func:`safe_cell`."""

    def __init__(self, stream: TextIO, *, lineterminator: str = "\r\n") -> None:
        self._writer = csv.writer(stream, lineterminator=lineterminator)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class SafeDictWriter:
    """``csv.DictWriter`` semantics (missing keys are empty) over :class:`SafeCsvWriter`."""

    def __init__(
        self, stream: TextIO, fieldnames: Sequence[str], *, lineterminator: str = "\r\n"
    ) -> None:
        self.fieldnames = list(fieldnames)
        self._writer = SafeCsvWriter(stream, lineterminator=lineterminator)

    def writeheader(self) -> None:
        self._writer.writerow(self.fieldnames)

    def writerow(self, row: Mapping[str, Any]) -> None:
        unknown = set(row) - set(self.fieldnames)
        if unknown:
            raise ValueError(f"fields not in the header: {sorted(unknown)}")
        self._writer.writerow(
            ["" if row.get(name) is None else row[name] for name in self.fieldnames]
        )

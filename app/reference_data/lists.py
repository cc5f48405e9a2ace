"""The configurable reference lists: packaged CSVs, and a trust's own that replace or extend them.

``EQUIWAIT_REFERENCE_DATA_DIR`` may hold, per list, ``<list>.csv`` (replaces the packaged
list) and/or ``<list>.extra.csv`` (adds rows; a code already listed gets the new row). Every
file is checked in full, with the same columns as the packaged one, before anything is
loaded; the problems found are reported together.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Boolean, Integer, SmallInteger, String

from app.ingest.reference import ReferenceDataError
from app.reference_data import REFERENCE_DIR
from models import ClinicalArea, EthnicCategory, InclusionGroup, PriorityCode, TreatmentFunction
from models.base import Base

EXTRA_SUFFIX: Final = ".extra.csv"
#: Codes are matched case-insensitively and joined with ";" in PTL cells.
_CODE: Final = re.compile(r"[A-Za-z0-9_\-]+")
_TRUE: Final = frozenset({"true", "1", "yes"})
_FALSE: Final = frozenset({"false", "0", "no"})
_MAX_REPORTED: Final = 50

Row = dict[str, Any]


@dataclass(frozen=True)
class ReferenceList:
    """One list: its table, its file name and what it is called in messages."""

    table: type[Base]
    file_name: str
    what: str

    @property
    def columns(self) -> list[str]:
        return [column.name for column in self.table.__table__.columns]


REFERENCE_LISTS: Final[tuple[ReferenceList, ...]] = (
    ReferenceList(TreatmentFunction, "treatment_functions.csv", "treatment function"),
    ReferenceList(EthnicCategory, "ethnic_categories.csv", "ethnic category"),
    ReferenceList(PriorityCode, "priority_codes.csv", "priority code"),
    ReferenceList(InclusionGroup, "inclusion_groups.csv", "inclusion group"),
    ReferenceList(ClinicalArea, "clinical_areas.csv", "clinical area"),
)


@dataclass(frozen=True)
class LoadedList:
    """A list's rows by code, and the files they came from (for the migrate report)."""

    spec: ReferenceList
    rows: dict[str, Row]
    sources: tuple[str, ...]


def read_reference_lists(
    local_dir: Path | None = None, packaged_dir: Path = REFERENCE_DIR
) -> list[LoadedList]:
    """Every list, packaged or as ``local_dir`` replaces or extends it; all checked first."""
    problems: list[str] = []
    if local_dir is not None:
        problems += _unknown_files(local_dir)
    loaded: list[LoadedList] = []
    for spec in REFERENCE_LISTS:
        replacement = local_dir / spec.file_name if local_dir is not None else None
        base = replacement if replacement is not None and replacement.exists() else None
        first = base or packaged_dir / spec.file_name
        rows = _read(spec, first, problems)
        sources = [str(first) if base else f"packaged {spec.file_name}"]
        extra = local_dir / (spec.file_name[: -len(".csv")] + EXTRA_SUFFIX) if local_dir else None
        if extra is not None and extra.exists():
            rows.update(_read(spec, extra, problems))
            sources.append(str(extra))
        _distinct_ignoring_case(spec, rows, problems)
        loaded.append(LoadedList(spec, rows, tuple(sources)))
    if problems:
        shown = problems[:_MAX_REPORTED]
        more = len(problems) - len(shown)
        tail = [f"... and {more} more"] if more else []
        raise ReferenceDataError("reference data rejected:\n  " + "\n  ".join(shown + tail))
    return loaded


def _unknown_files(local_dir: Path) -> list[str]:
    known = {spec.file_name for spec in REFERENCE_LISTS}
    known |= {spec.file_name[: -len(".csv")] + EXTRA_SUFFIX for spec in REFERENCE_LISTS}
    names = ", ".join(sorted(known))
    return [
        f"{path}: not a reference list file (expected {names})"
        for path in sorted(local_dir.glob("*.csv"))
        if path.name not in known
    ]


def _read(spec: ReferenceList, path: Path, problems: list[str]) -> dict[str, Row]:
    """The file's rows by code; its problems are appended to ``problems``."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            records = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        problems.append(f"{path}: cannot be read as a UTF-8 CSV file ({exc})")
        return {}
    if not records:
        problems.append(f"{path}: empty (expected a header: {', '.join(spec.columns)})")
        return {}
    header = [name.strip() for name in records[0]]
    missing = [name for name in spec.columns if name not in header]
    unknown = [name or "(blank)" for name in header if name not in spec.columns]
    repeated = sorted({name for name in header if header.count(name) > 1})
    if missing or unknown or repeated:
        parts = [f"missing column(s) {', '.join(missing)}"] if missing else []
        parts += [f"unknown column(s) {', '.join(unknown)}"] if unknown else []
        parts += [f"repeated column(s) {', '.join(repeated)}"] if repeated else []
        columns = ", ".join(spec.columns)
        problems.append(f"{path}: {'; '.join(parts)} (expected exactly: {columns})")
        return {}
    converters = _converters(spec)
    rows: dict[str, Row] = {}
    first_line: dict[str, int] = {}
    for line, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        where = f"{path} line {line}"
        if len(record) != len(header):
            problems.append(f"{where}: {len(record)} fields, the header has {len(header)}")
            continue
        values = dict(zip(header, (cell.strip() for cell in record), strict=True))
        row: Row = {}
        for name, convert in converters.items():
            try:
                row[name] = convert(values[name])
            except ValueError as exc:
                problems.append(f"{where}: {name} {values[name]!r} {exc}")
        code = values["code"]
        if code in first_line:
            problems.append(f"{where}: code {code!r} repeats line {first_line[code]}")
        elif len(row) == len(converters):
            first_line[code] = line
            rows[code] = row
    return rows


def _distinct_ignoring_case(
    spec: ReferenceList, rows: Mapping[str, Row], problems: list[str]
) -> None:
    seen: dict[str, str] = {}
    for code in rows:
        other = seen.setdefault(code.casefold(), code)
        if other != code:
            problems.append(
                f"{spec.file_name}: {spec.what} codes {other!r} and {code!r} differ only in "
                "case (codes are matched ignoring case)"
            )


def _converters(spec: ReferenceList) -> dict[str, Callable[[str], Any]]:
    converters: dict[str, Callable[[str], Any]] = {}
    for column in spec.table.__table__.columns:
        if column.name == "code":
            assert isinstance(column.type, String)
            converters[column.name] = _code_of(column.type.length)
        elif isinstance(column.type, Boolean):
            converters[column.name] = _boolean
        elif isinstance(column.type, Integer | SmallInteger):
            converters[column.name] = _integer(optional=bool(column.nullable))
        elif isinstance(column.type, String):
            converters[column.name] = _text_of(column.type.length)
        else:  # pragma: no cover - a new column type needs a converter here
            raise TypeError(f"no converter for {spec.table.__name__}.{column.name}")
    return converters


def _code_of(length: int | None) -> Callable[[str], str]:
    def code(value: str) -> str:
        if not _CODE.fullmatch(value):
            raise ValueError("is not a code (letters, digits, '_' or '-', no spaces)")
        if length is not None and len(value) > length:
            raise ValueError(f"is longer than {length} characters")
        return value

    return code


def _text_of(length: int | None) -> Callable[[str], str]:
    def text(value: str) -> str:
        if not value:
            raise ValueError("is required")
        if length is not None and len(value) > length:
            raise ValueError(f"is longer than {length} characters")
        return value

    return text


def _boolean(value: str) -> bool:
    lowered = value.lower()
    if lowered in _TRUE | _FALSE:
        return lowered in _TRUE
    raise ValueError("must be true or false")


def _integer(*, optional: bool) -> Callable[[str], int | None]:
    def integer(value: str) -> int | None:
        if not value and optional:
            return None
        if not re.fullmatch(r"\d{1,6}", value):
            raise ValueError("must be a whole number" + (" or empty" if optional else ""))
        return int(value)

    return integer

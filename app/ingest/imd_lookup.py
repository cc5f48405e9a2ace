"""IMD deciles by LSOA: the official IoD "scores, ranks and deciles" file and a fast lookup.

The lookup is a pair of sorted arrays searched with ``np.searchsorted`` so a million LSOA codes
resolve in well under a second; the database layer builds the same object from its tables.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final, TypeVar

import numpy as np
import numpy.typing as npt

from app.ingest.reference import REFERENCE_DIR
from app.ingest.text import BoolArray, StrArray, matches_pattern, to_ascii

DecileArray = npt.NDArray[np.int8]
_Number = TypeVar("_Number", np.float64, np.int32)

#: The IoD 2019 file shipped with the service (2011 LSOAs, Open Government Licence v3.0).
SHIPPED_IOD2019: Final = REFERENCE_DIR / "imd" / "iod2019_lsoa11_scores_ranks_deciles.csv.gz"
IOD2019_EDITION: Final = "iod2019"

#: Domain keys and the start of their official column names.
IMD_DOMAINS: Final[dict[str, str]] = {
    "income": "Income",
    "employment": "Employment",
    "education": "Education, Skills and Training",
    "health": "Health Deprivation and Disability",
    "crime": "Crime",
    "barriers": "Barriers to Housing and Services",
    "living_environment": "Living Environment",
}

_IMD: Final = "Index of Multiple Deprivation (IMD)"
_DECILE_SUFFIX: Final = "Decile (where 1 is most deprived 10% of LSOAs)"
_LSOA_HEADERS: Final = ("LSOA code (2011)", "LSOA code (2021)")
_IMD_SCORE: Final = f"{_IMD} Score"
_IMD_RANK: Final = f"{_IMD} Rank (where 1 is most deprived)"
_IMD_DECILE: Final = f"{_IMD} {_DECILE_SUFFIX}"


class IodFileError(ValueError):
    """The IoD file lacks an official column or holds a value that is not what it should be."""


@dataclass(frozen=True, eq=False)
class IodTable:
    """Columns read from an IoD file, in file order; ``to_lookup`` makes the search structure."""

    edition: str
    lsoa_codes: StrArray
    imd_score: npt.NDArray[np.float64]
    imd_rank: npt.NDArray[np.int32]
    imd_decile: DecileArray
    domain_deciles: Mapping[str, DecileArray]

    def __len__(self) -> int:
        return len(self.lsoa_codes)

    def to_lookup(self) -> ImdLookup:
        return ImdLookup.from_columns(
            self.edition, self.lsoa_codes, self.imd_decile, self.domain_deciles
        )


@dataclass(frozen=True, eq=False)
class ImdLookup:
    """IMD and domain deciles (1 = most deprived) for one edition, sorted by LSOA code.

    ``lsoa_codes`` are ASCII bytes (``S``): comparing bytes keeps a million lookups fast.
    """

    edition: str
    lsoa_codes: StrArray
    imd_decile: DecileArray
    domain_deciles: Mapping[str, DecileArray]

    @classmethod
    def from_columns(
        cls,
        edition: str,
        lsoa_codes: Sequence[str] | StrArray,
        imd_decile: Sequence[int] | npt.NDArray[np.integer],
        domain_deciles: Mapping[str, Sequence[int] | npt.NDArray[np.integer]],
    ) -> ImdLookup:
        """Sort the columns by LSOA code; refuses repeated codes and deciles outside 1–10."""
        text = np.asarray(lsoa_codes, dtype=np.str_)
        codes, non_ascii = to_ascii(text)
        if non_ascii.any() or (np.strings.str_len(codes) == 0).any():
            raise IodFileError("LSOA codes must be non-empty ASCII codes such as E01000001")
        order = np.argsort(codes, kind="stable")
        codes = codes[order]
        repeated = codes[1:] == codes[:-1]
        if repeated.any():
            repeat = codes[1:][repeated][0].decode()
            raise IodFileError(f"LSOA {repeat} appears more than once")
        missing = set(IMD_DOMAINS) - set(domain_deciles)
        if missing:
            raise IodFileError(f"domain deciles missing: {', '.join(sorted(missing))}")
        columns = {"imd": imd_decile, **{key: domain_deciles[key] for key in IMD_DOMAINS}}
        sorted_columns: dict[str, DecileArray] = {}
        for key, values in columns.items():
            array = np.asarray(values)
            if array.shape != codes.shape or ((array < 1) | (array > 10)).any():
                raise IodFileError(f"{key} deciles must be 1–10, one per LSOA")
            sorted_columns[key] = array[order].astype(np.int8)
        imd = sorted_columns.pop("imd")
        return cls(edition=edition, lsoa_codes=codes, imd_decile=imd, domain_deciles=sorted_columns)

    @classmethod
    def from_iod_csv(cls, source: str | Path | IO[bytes], edition: str) -> ImdLookup:
        return read_iod_csv(source, edition).to_lookup()

    def __len__(self) -> int:
        return len(self.lsoa_codes)

    def lookup(self, lsoa_codes: StrArray) -> tuple[DecileArray, BoolArray]:
        """IMD deciles for ``lsoa_codes`` (0 where not found) and the found mask."""
        return self._find(lsoa_codes, self.imd_decile)

    def lookup_domain(self, lsoa_codes: StrArray, domain: str) -> tuple[DecileArray, BoolArray]:
        """Deciles of one domain (a key of ``IMD_DOMAINS``); 0 where not found."""
        return self._find(lsoa_codes, self.domain_deciles[domain])

    def _find(self, lsoa_codes: StrArray, deciles: DecileArray) -> tuple[DecileArray, BoolArray]:
        query = np.asarray(lsoa_codes)
        if query.dtype.kind != "S":
            query = query.astype(np.str_)
        query, non_ascii = to_ascii(query)
        if len(self.lsoa_codes) == 0:
            return np.zeros(len(query), dtype=np.int8), np.zeros(len(query), dtype=np.bool_)
        position = np.searchsorted(self.lsoa_codes, query).clip(0, len(self.lsoa_codes) - 1)
        found = (self.lsoa_codes[position] == query) & ~non_ascii
        return np.where(found, deciles[position], 0).astype(np.int8), found


def read_iod_csv(source: str | Path | IO[bytes], edition: str) -> IodTable:
    """Read an official IoD "scores, ranks and deciles" CSV (plain or gzip) by its headers."""
    raw = Path(source).read_bytes() if isinstance(source, (str, Path)) else source.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    if not rows:
        raise IodFileError("IoD file is empty")
    header = [" ".join(name.split()).casefold() for name in rows[0]]
    body = rows[1:]
    for line, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise IodFileError(f"IoD file line {line}: {len(row)} fields, header has {len(header)}")
    columns = list(zip(*body, strict=True)) if body else [() for _ in header]

    def column(*names: str) -> StrArray:
        for name in names:
            key = " ".join(name.split()).casefold()
            if key in header:
                return np.array(columns[header.index(key)], dtype=np.str_)
        raise IodFileError(f"IoD file is missing the column {names[0]!r}")

    lsoa = np.strings.strip(column(*_LSOA_HEADERS))
    ascii_codes, non_ascii = to_ascii(lsoa)
    bad = ~(matches_pattern(ascii_codes, "E01999999") | matches_pattern(ascii_codes, "W01999999"))
    _refuse(bad | non_ascii, lsoa, _LSOA_HEADERS[0], "is not an LSOA code")
    domains = {
        key: _deciles(column(f"{prefix} {_DECILE_SUFFIX}"), f"{prefix} {_DECILE_SUFFIX}")
        for key, prefix in IMD_DOMAINS.items()
    }
    return IodTable(
        edition=edition,
        lsoa_codes=lsoa,
        imd_score=_numbers(column(_IMD_SCORE), _IMD_SCORE, np.float64),
        imd_rank=_numbers(column(_IMD_RANK), _IMD_RANK, np.int32),
        imd_decile=_deciles(column(_IMD_DECILE), _IMD_DECILE),
        domain_deciles=domains,
    )


def _refuse(bad: BoolArray, values: StrArray, name: str, why: str) -> None:
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise IodFileError(f"IoD file line {first + 2}: {name!r} value {values[first]!r} {why}")


def _deciles(values: StrArray, name: str) -> DecileArray:
    text, non_ascii = to_ascii(np.strings.strip(values))
    digits = matches_pattern(text, "9") | matches_pattern(text, "99")
    number = np.where(digits, text, b"0").astype(np.int64)
    bad = ~digits | non_ascii | (number < 1) | (number > 10)
    _refuse(bad, values, name, "is not a decile 1–10")
    return number.astype(np.int8)


def _numbers(values: StrArray, name: str, kind: type[_Number]) -> npt.NDArray[_Number]:
    try:
        return np.strings.strip(values).astype(kind)
    except ValueError:
        for line, value in enumerate(values.tolist(), start=2):
            try:
                kind(value)
            except ValueError:
                message = f"IoD file line {line}: {name!r} value {value!r} is not a number"
                raise IodFileError(message) from None
        raise

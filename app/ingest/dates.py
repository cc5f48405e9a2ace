"""Strict, vectorised date parsing: ISO ``YYYY-MM-DD`` or UK ``DD/MM/YYYY``, nothing else.

PAS extracts mix the two layouts; anything looser (``2024-1-5``, times, ``05-01-2024``) is
ambiguous or a sign of a broken export, so it is refused rather than guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from app.ingest.text import (
    BoolArray,
    StrArray,
    char_codes,
    is_empty,
    matches_pattern,
    strip,
    to_ascii,
)

DateArray = npt.NDArray[np.datetime64]

#: The accepted layouts, as shown to users.
DATE_FORMATS_TEXT: Final = "YYYY-MM-DD or DD/MM/YYYY"

_DAYS_IN_MONTH: Final = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int32)
#: Where the digits of YYYYMMDD sit in ``YYYY-MM-DD`` and in ``DD/MM/YYYY``.
_ISO_DIGITS: Final = (0, 1, 2, 3, 5, 6, 8, 9)
_UK_DIGITS: Final = (6, 7, 8, 9, 3, 4, 0, 1)


@dataclass(frozen=True, eq=False)
class ParsedDates:
    """Parsed dates (NaT where empty or invalid) and why each invalid value failed."""

    dates: DateArray
    empty: BoolArray
    bad_format: BoolArray
    bad_calendar: BoolArray

    @property
    def invalid(self) -> BoolArray:
        return self.bad_format | self.bad_calendar


def parse_dates(values: StrArray) -> ParsedDates:
    """Parse a column of date strings to ``datetime64[D]``; surrounding spaces are ignored."""
    text, non_ascii = to_ascii(strip(values))
    empty = is_empty(text) & ~non_ascii
    iso = matches_pattern(text, "9999-99-99")
    uk = matches_pattern(text, "99/99/9999")
    # Gather the eight digits of either layout into YYYYMMDD order, then do integer arithmetic.
    codes = char_codes(np.asarray(text, dtype="S10"))
    digits = [
        np.where(iso, codes[:, at_iso], codes[:, at_uk]).astype(np.int32) - ord("0")
        for at_iso, at_uk in zip(_ISO_DIGITS, _UK_DIGITS, strict=True)
    ]
    year = ((digits[0] * 10 + digits[1]) * 10 + digits[2]) * 10 + digits[3]
    month = digits[4] * 10 + digits[5]
    day = digits[6] * 10 + digits[7]
    shaped = iso | uk
    month_ok = (month >= 1) & (month <= 12)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = _DAYS_IN_MONTH[np.where(month_ok, month - 1, 0)] + (leap & (month == 2))
    real = shaped & month_ok & (day >= 1) & (day <= month_days) & (year >= 1)
    days = _days_since_epoch(np.where(real, year, 1970), np.where(real, month, 1), day)
    return ParsedDates(
        dates=np.where(
            real, days.astype(np.int64).view("datetime64[D]"), np.datetime64("NaT", "D")
        ),
        empty=empty,
        bad_format=~empty & ~shaped,
        bad_calendar=shaped & ~real,
    )


def _days_since_epoch(
    year: npt.NDArray[np.int32], month: npt.NDArray[np.int32], day: npt.NDArray[np.int32]
) -> npt.NDArray[np.int32]:
    """Days from 1970-01-01 of proleptic Gregorian dates, in integer arithmetic.

    Much faster than casting through ``datetime64[M]``; the algorithm is the well-known
    "days from civil" (eras of 400 years, March-based years).
    """
    shifted = year - (month <= 2)
    era = shifted // 400
    year_of_era = shifted - era * 400
    day_of_year = (153 * np.where(month > 2, month - 3, month + 9) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return np.asarray(era * 146097 + day_of_era - 719468, dtype=np.int32)

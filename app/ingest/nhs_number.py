"""Vectorised NHS number checks (modulus 11) and masking for anything shown to people.

NHS numbers are patient identifiers: nothing in this package logs them, and any value put into
an error message goes through :func:`mask_nhs_number` first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from app.ingest.text import BoolArray, StrArray, char_codes, matches_pattern, strip, to_ascii

_WEIGHTS: Final = np.arange(10, 1, -1, dtype=np.int64)
_DIGITS_TO_STARS: Final = str.maketrans("0123456789", "*" * 10)


@dataclass(frozen=True, eq=False)
class NhsNumbers:
    """Ten-digit numbers (b"" where unusable) and which values failed which check."""

    digits: StrArray
    empty: BoolArray
    malformed: BoolArray
    bad_check_digit: BoolArray

    @property
    def valid(self) -> BoolArray:
        return ~(self.empty | self.malformed | self.bad_check_digit)


def check_nhs_numbers(values: StrArray) -> NhsNumbers:
    """Normalise and check a column: 10 digits, or 3-3-4 with spaces or hyphens; then mod 11."""
    text, non_ascii = to_ascii(strip(values))
    empty = np.strings.str_len(text) == 0
    plain = matches_pattern(text, "9999999999")
    spaced = matches_pattern(text, "999 999 9999") | matches_pattern(text, "999-999-9999")
    codes = char_codes(np.asarray(text, dtype="S12"))
    spaced_digits = np.concatenate([codes[:, 0:3], codes[:, 4:7], codes[:, 8:12]], axis=1)
    ten = np.where(spaced[:, None], spaced_digits, codes[:, :10]).astype(np.uint8)
    well_formed = (plain | spaced) & ~non_ascii
    digits = ten.astype(np.int64) - ord("0")
    check = 11 - (digits[:, :9] @ _WEIGHTS) % 11
    check = np.where(check == 11, 0, check)
    # A computed check digit of 10 can never equal a single digit, so those numbers fail here.
    good_check = check == digits[:, 9]
    normalised = np.ascontiguousarray(ten).view("S10").reshape(len(text))
    return NhsNumbers(
        digits=np.where(well_formed & good_check, normalised, b""),
        empty=empty & ~non_ascii,
        malformed=~empty & ~well_formed | non_ascii,
        bad_check_digit=well_formed & ~good_check,
    )


def is_valid_nhs_number(values: StrArray) -> BoolArray:
    """True where a value is a well-formed NHS number with a correct check digit."""
    return check_nhs_numbers(values).valid


def mask_nhs_number(value: str) -> str:
    """Keep the first 3 and last 2 characters; every digit between becomes ``*``."""
    if len(value) <= 5:
        return value.translate(_DIGITS_TO_STARS)
    return value[:3] + value[3:-2].translate(_DIGITS_TO_STARS) + value[-2:]

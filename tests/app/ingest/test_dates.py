"""Strict date parsing: ISO and UK layouts only, real calendar dates, NaT for empty."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.ingest.dates import parse_dates


def test_iso_and_uk_layouts_parse_to_the_same_day() -> None:
    parsed = parse_dates(np.array([b"2025-01-05", b"05/01/2025", b" 2025-01-05 "]))
    assert parsed.dates.tolist() == [date(2025, 1, 5)] * 3
    assert not parsed.invalid.any()


def test_empty_is_nat_and_not_invalid() -> None:
    parsed = parse_dates(np.array([b"", b"   "]))
    assert np.isnat(parsed.dates).all()
    assert parsed.empty.tolist() == [True, True]
    assert not parsed.invalid.any()


@pytest.mark.parametrize(
    "value",
    ["2024-1-5", "5/1/2024", "05-01-2024", "2024/01/05", "2024-01-05T00:00", "20240105",
     "05/01/24", "yesterday", "2024-01-05 10:00", "2024–01–05"],
)  # fmt: skip
def test_other_layouts_are_refused(value: str) -> None:
    parsed = parse_dates(np.array([value]))
    assert parsed.bad_format.tolist() == [True]
    assert np.isnat(parsed.dates[0])


@pytest.mark.parametrize(
    "value", ["2025-02-29", "31/02/2025", "2025-13-01", "00/01/2025", "2024-04-31", "0000-01-01"]
)
def test_impossible_dates_are_refused(value: str) -> None:
    parsed = parse_dates(np.array([value.encode()]))
    assert parsed.bad_calendar.tolist() == [True]
    assert not parsed.bad_format.any()


def test_leap_years() -> None:
    parsed = parse_dates(np.array([b"2024-02-29", b"29/02/2000", b"1900-02-29", b"2100-02-29"]))
    assert parsed.bad_calendar.tolist() == [False, False, True, True]


@given(st.lists(st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)), max_size=50))
def test_agrees_with_python_dates(days: list[date]) -> None:
    iso = [day.isoformat() for day in days]
    uk = [f"{day.day:02d}/{day.month:02d}/{day.year:04d}" for day in days]
    for layout in (iso, uk):
        parsed = parse_dates(np.array(layout, dtype=np.bytes_).reshape(len(days)))
        assert parsed.dates.tolist() == days

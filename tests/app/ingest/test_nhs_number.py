"""NHS number checks, with the ``nhs-number`` package as an independent oracle."""

from __future__ import annotations

import nhs_number
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.ingest.nhs_number import check_nhs_numbers, is_valid_nhs_number, mask_nhs_number

ten_digits = st.text(alphabet="0123456789", min_size=10, max_size=10)


def _is_chi_range(number: str) -> bool:
    """The oracle also checks Scottish CHI numbers (010 101 0000 – 311 299 9999) for a real
    date of birth; the PTL format asks for the check digit only, so those are compared apart."""
    return "0101010000" <= number <= "3112999999"


@settings(max_examples=500)
@given(st.lists(ten_digits, min_size=1, max_size=200))
def test_check_digit_agrees_with_nhs_number_package(numbers: list[str]) -> None:
    ours = is_valid_nhs_number(np.array(numbers, dtype=np.bytes_)).tolist()
    for number, valid in zip(numbers, ours, strict=True):
        expected = nhs_number.calculate_checksum(number[:9]) == int(number[9])
        assert valid == expected, number
        if not _is_chi_range(number):
            assert valid == nhs_number.is_valid(number), number


@settings(max_examples=200)
@given(st.integers(min_value=0, max_value=999_999))
def test_generated_999_numbers_are_valid(seed: int) -> None:
    body = f"999{seed:06d}"
    check = nhs_number.calculate_checksum(body)
    number = f"{body}{check}"
    assert is_valid_nhs_number(np.array([number]))[0] == (check != 10)
    assert nhs_number.is_valid(number) == (check != 10)


def test_known_numbers() -> None:
    values = np.array(
        [
            "9434765919",  # valid (the package's own example)
            "9434765918",  # wrong check digit
            "9990000018",  # valid, synthetic range
            "943 476 5919",  # usual 3-3-4 layout with spaces
            "943-476-5919",  # ... or hyphens
            " 9434765919 ",  # surrounding spaces
            "943-476 5919",  # mixed separators: refused, as the oracle does
            "94347659190",  # 11 digits
            "943476591",  # 9 digits
            "94347659l9",  # a letter
            "",
            "9990000000",  # check digit computes to 10: never valid
        ]
    )
    checked = check_nhs_numbers(values)
    assert checked.valid.tolist() == [
        True, False, True, True, True, True, False, False, False, False, False, False,
    ]  # fmt: skip
    assert checked.digits.tolist()[:6] == [
        b"9434765919", b"", b"9990000018", b"9434765919", b"9434765919", b"9434765919",
    ]  # fmt: skip
    assert checked.empty.tolist() == [False] * 10 + [True, False]
    assert checked.malformed.tolist() == [False] * 6 + [True] * 4 + [False, False]
    assert checked.bad_check_digit.tolist() == [False, True] + [False] * 9 + [True]
    for value, valid in zip(values.tolist(), checked.valid.tolist(), strict=True):
        assert valid == nhs_number.is_valid(value.strip()), value


def test_unicode_input_is_handled() -> None:
    checked = check_nhs_numbers(np.array(["9434765919", "94347659１9"]))
    assert checked.valid.tolist() == [True, False]
    assert checked.malformed.tolist() == [False, True]


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("9434765919", "943*****19"),
        ("943 476 5919", "943 *** **19"),
        ("94347659", "943***59"),
        ("12345", "*****"),
        ("unknown", "unknown"),
        ("", ""),
    ],
)
def test_mask_keeps_only_first_three_and_last_two(value: str, masked: str) -> None:
    assert mask_nhs_number(value) == masked

"""The rule for each PTL column: check a whole column at once, return its normalised values.

Every function takes the :class:`ErrorCollector` (which hands out trimmed ASCII columns and
records errors as masks) and returns the column as it will be stored, as ``S`` bytes.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date

import numpy as np
import numpy.typing as npt

from app.ingest.collector import ErrorCollector
from app.ingest.columns import NON_RTT_LIST_TYPES, PATHWAY_STAGES, RTT_STATUS_CODES, SEX_CODES
from app.ingest.dates import DATE_FORMATS_TEXT, DateArray, parse_dates
from app.ingest.nhs_number import check_nhs_numbers
from app.ingest.text import (
    StrArray,
    char_codes,
    charset_mask,
    decode,
    is_empty,
    map_codes,
    matches_pattern,
    upper,
)

_LETTERS_DIGITS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_UPPER_DIGITS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

#: How each date column is named in messages.
DATE_LABELS: Mapping[str, str] = {
    "rtt_clock_start": "clock start",
    "date_of_birth": "date of birth",
    "priority_set_date": "priority set date",
    "last_validated_date": "last validated date",
}


def pathway_id(c: ErrorCollector) -> StrArray:
    values = c.column("pathway_id")
    empty = is_empty(values)
    c.require("pathway_id", empty)
    shape = charset_mask(values, _LETTERS_DIGITS + b"-_/", 1, 20)
    message = "pathway_id must be 1–20 characters: letters, digits, '-', '_' or '/'"
    c.add("pathway_id", ~empty & ~shape, message)
    return values


def nhs_number(c: ErrorCollector) -> StrArray:
    checked = check_nhs_numbers(c.column("nhs_number"))
    c.require("nhs_number", checked.empty)
    message = "NHS number must be 10 digits (spaces or hyphens only in the 3-3-4 layout)"
    c.add("nhs_number", checked.malformed, message)
    c.add("nhs_number", checked.bad_check_digit, "not a valid NHS number (check digit)")
    return checked.digits


def ods_code(
    c: ErrorCollector, name: str, shortest: int, longest: int, what: str, *, required: bool
) -> StrArray:
    """Provider and site codes: upper-cased letters and digits of a bounded length."""
    values = upper(c.column(name))
    empty = is_empty(values)
    if required:
        c.require(name, empty)
    shape = charset_mask(values, _UPPER_DIGITS, shortest, longest)
    c.add(name, ~empty & ~shape, f"{name} must be {what} of {shortest}–{longest} letters or digits")
    return values


def reference_code(
    c: ErrorCollector, name: str, codes: Collection[str], what: str, *, required: bool
) -> StrArray:
    """A code from a reference list, matched case-insensitively, stored in the list's spelling."""
    values = c.column(name)
    empty = is_empty(values)
    if required:
        c.require(name, empty)
    mapped, found = map_codes(upper(values), {code.upper(): code for code in codes})
    known = ", ".join(sorted(codes, key=lambda code: (code.isdigit(), code)))
    hint = f" (expected one of {known})" if len(codes) <= 20 else ""
    c.add(name, ~empty & ~found, lambda i: f"unknown {what} '{c.text(name, i)}'{hint}")
    return mapped


def pathway_stage(c: ErrorCollector) -> StrArray:
    values = upper(c.column("pathway_stage"))
    empty = is_empty(values)
    c.require("pathway_stage", empty)
    mapped, found = map_codes(values, PATHWAY_STAGES)
    non_rtt = np.isin(values, np.array(sorted(NON_RTT_LIST_TYPES), dtype=np.bytes_))
    c.add(
        "pathway_stage",
        non_rtt,
        lambda i: (
            f"non-RTT waiting list type {c.text('pathway_stage', i).upper()} is not "
            "accepted: only RTT pathways (IRTT/ORTT) belong on the PTL"
        ),
    )
    message = "pathway_stage must be admitted or non_admitted (IRTT or ORTT also accepted)"
    c.add("pathway_stage", ~empty & ~found, message)
    return mapped


def dates(c: ErrorCollector, name: str, today: date, *, required: bool) -> DateArray:
    """A date column: strict layouts, real calendar dates, none after ``today``."""
    parsed = parse_dates(c.column(name))
    if required:
        c.require(name, parsed.empty)
    c.add(name, parsed.bad_format, f"date must be {DATE_FORMATS_TEXT}")
    c.add(name, parsed.bad_calendar, lambda i: f"{c.text(name, i)} is not a real calendar date")
    future = parsed.dates > np.datetime64(today, "D")
    label = DATE_LABELS[name]
    c.add(name, future, lambda i: f"{label} {parsed.dates[i]} is after today {today.isoformat()}")
    return np.where(c.ok(name), parsed.dates, np.datetime64("NaT", "D"))


def sex(c: ErrorCollector) -> StrArray:
    values = upper(c.column("sex"))
    mapped, found = map_codes(values, SEX_CODES)
    message = "sex must be 1 (male), 2 (female), 9 (indeterminate) or X (not known); M, F, U also"
    c.add("sex", ~is_empty(values) & ~found, message + " accepted")
    return mapped


def lsoa_code(c: ErrorCollector) -> StrArray:
    values = upper(c.column("lsoa_code"))
    shape = matches_pattern(values, "E01999999") | matches_pattern(values, "W01999999")
    message = "LSOA code must be E01 or W01 followed by 6 digits"
    c.add("lsoa_code", ~is_empty(values) & ~shape, message)
    return values


def imd_decile(c: ErrorCollector) -> npt.NDArray[np.int8]:
    """A supplied decile 1–10, or 0 where none was supplied."""
    values = c.column("imd_decile")
    digits = matches_pattern(values, "9") | matches_pattern(values, "99")
    number = np.where(digits, values, b"0").astype(np.int64)
    good = digits & (number >= 1) & (number <= 10)
    message = "imd_decile must be a whole number from 1 (most deprived) to 10"
    c.add("imd_decile", ~is_empty(values) & ~good, message)
    return np.where(good, number, 0).astype(np.int8)


def code_list(c: ErrorCollector, name: str, codes: Collection[str], what: str) -> StrArray:
    """``;``-separated reference codes, stored sorted, deduplicated and ``;``-joined.

    Checked once per distinct cell value rather than per row: a PTL repeats a handful of
    combinations, so this stays cheap on a million rows.
    """
    values = c.column(name)
    filled = np.flatnonzero(~is_empty(values))
    if filled.size == 0:
        return np.zeros(c.size, dtype="S1")
    distinct, inverse = np.unique(values[filled], return_inverse=True)
    spelling = {code.lower(): code for code in codes}
    normalised: list[bytes] = []
    unknown: list[str] = []
    for raw in distinct.tolist():
        parts = {part.strip().lower() for part in decode(raw).split(";")} - {""}
        missing = sorted(part for part in parts if part not in spelling)
        plural = "s" if len(missing) > 1 else ""
        unknown.append(f"{what}{plural} " + ", ".join(f"'{part}'" for part in missing))
        normalised.append(";".join(sorted(spelling.get(part, part) for part in parts)).encode())
        if not missing:
            unknown[-1] = ""
    normalised_array = np.array(normalised, dtype=np.bytes_)
    out = np.zeros(c.size, dtype=normalised_array.dtype)
    out[filled] = normalised_array[inverse]
    bad_distinct = np.array([bool(text) for text in unknown], dtype=np.bool_)
    bad = np.zeros(c.size, dtype=np.bool_)
    bad[filled] = bad_distinct[inverse]
    lookup = np.zeros(c.size, dtype=np.intp)
    lookup[filled] = inverse

    def message(index: int) -> str:
        hint = ""
        if any(mark in c.text(name, index) for mark in ",|/"):
            hint = " (separate codes with ';')"
        return f"unknown {unknown[int(lookup[index])]}{hint}"

    c.add(name, bad, message)
    return out


def procedure_code(c: ErrorCollector) -> StrArray:
    values = upper(c.column("procedure_code"))
    dotted = matches_pattern(values, "A99.9")
    shape = matches_pattern(values, "A999") | dotted
    message = "procedure_code must be an OPCS-4 code such as W371 or W37.1"
    c.add("procedure_code", ~is_empty(values) & ~shape, message)
    codes = char_codes(np.asarray(values, dtype="S5"))
    undotted = np.where(dotted[:, None], codes[:, [0, 1, 2, 4]], codes[:, :4])
    return np.where(shape, np.ascontiguousarray(undotted).view("S4").reshape(c.size), b"")


def rtt_status(c: ErrorCollector) -> StrArray:
    values = c.column("rtt_status")
    known = np.isin(values, np.array(sorted(RTT_STATUS_CODES), dtype=np.bytes_))
    c.add(
        "rtt_status",
        ~is_empty(values) & ~known,
        lambda i: f"unknown RTT period status '{c.text('rtt_status', i)}'",
    )
    return values

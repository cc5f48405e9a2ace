"""A small, deliberately messy PTL file, with the exact list of errors a validator must report.

Valid rows come from the generator; each messy row is a valid row with exactly one defect, so
the expected errors are one per messy row. Row numbers count the header as row 1.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from app.demo.generator import generate_ptl
from app.demo.reference import reference_codes
from app.demo.writer import PathOrStream, text_stream, write_ptl_csv
from app.ingest.columns import CANONICAL_COLUMNS

VALID_ROWS = 17
Row = dict[str, str]


@dataclass(frozen=True, slots=True)
class ExpectedError:
    """One error the upload validator must report: where it is and why it is there."""

    row: int  # CSV row, header = 1, first data row = 2
    field: str  # canonical column name
    defect: str  # short name of the defect (see ``DEFECTS``)
    value: str  # the offending cell as written
    first_row: int | None = None  # for a duplicate pathway id: the row of its first occurrence


@dataclass(frozen=True, slots=True)
class BadPtl:
    """The messy file as cells, plus the errors it must produce."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    expected_errors: tuple[ExpectedError, ...]


def _iso(day: datetime.date) -> str:
    return day.isoformat()


def _parse(text: str) -> datetime.date:
    """Read a date the writer produced (ISO or DD/MM/YYYY)."""
    if "/" in text:
        day, month, year = (int(part) for part in text.split("/"))
        return datetime.date(year, month, day)
    return datetime.date.fromisoformat(text)


def _years_later(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _unknown(table: str, candidates: tuple[str, ...]) -> str:
    """The first candidate code the reference table does not hold (so the defect stays real)."""
    known = set(reference_codes(table))
    return next(code for code in candidates if code not in known)


def _defects(census: datetime.date) -> tuple[tuple[str, str, Callable[[Row], str]], ...]:
    """``(defect, field, mutate)``: ``mutate`` damages one row in place and returns the cell."""

    def bad_check_digit(row: Row) -> str:
        digits = row["nhs_number"]
        return digits[:9] + str((int(digits[9]) + 1) % 10)  # only one check digit is valid

    def clock_in_future(row: Row) -> str:
        # Three years on, so it is future whether "now" is the census date or the upload day.
        row["priority_set_date"] = row["last_validated_date"] = ""
        return _iso(_years_later(census, 3))

    def clock_before_birth(row: Row) -> str:
        return _iso(_parse(row["date_of_birth"]) - datetime.timedelta(days=200))

    def slashed_iso(row: Row) -> str:
        return (census - datetime.timedelta(days=20)).strftime("%Y/%m/%d")

    def dashed_uk(row: Row) -> str:
        day = census - datetime.timedelta(days=9)
        return f"{day.day}-{day.month}-{day.year}"

    def impossible(row: Row) -> str:
        return f"31/02/{_parse(row['date_of_birth']).year}"

    def unknown_group(row: Row) -> str:
        return "carer;" + _unknown("inclusion_groups", ("frequent_attender", "vip", "other"))

    def unknown_tfc(_: Row) -> str:
        return _unknown("treatment_functions", ("199", "999", "000"))

    def unknown_priority(_: Row) -> str:
        return _unknown("priority_codes", ("P7", "P0", "P9"))

    return (
        ("bad_nhs_check_digit", "nhs_number", bad_check_digit),
        ("nhs_number_nine_digits", "nhs_number", lambda row: row["nhs_number"][:9]),
        ("future_clock_start", "rtt_clock_start", clock_in_future),
        ("clock_start_before_birth", "rtt_clock_start", clock_before_birth),
        ("unknown_treatment_function", "treatment_function_code", unknown_tfc),
        ("unknown_priority_code", "priority_code", unknown_priority),
        ("unsupported_date_format", "priority_set_date", slashed_iso),
        ("unsupported_date_format", "last_validated_date", dashed_uk),
        ("impossible_date", "date_of_birth", impossible),
        ("duplicate_pathway_id", "pathway_id", lambda row: row["pathway_id"]),  # set later
        ("imd_decile_out_of_range", "imd_decile", lambda row: "11"),
        ("unknown_inclusion_group", "inclusion_groups", unknown_group),
        ("invalid_pathway_stage", "pathway_stage", lambda row: "day_case"),
        ("non_rtt_waiting_list", "pathway_stage", lambda row: "INON"),
        ("blank_required_field", "rtt_clock_start", lambda row: ""),
    )


def build_bad_ptl(
    *, seed: int = 20261123, census_date: datetime.date, provider_code: str = "RZZ"
) -> BadPtl:
    """The messy file's cells and expected errors; deterministic in its arguments."""
    defects = _defects(census_date)
    buffer = io.StringIO()
    columns = generate_ptl(
        VALID_ROWS + len(defects), seed=seed, census_date=census_date, provider_code=provider_code
    )
    write_ptl_csv(buffer, columns)
    reader = csv.DictReader(io.StringIO(buffer.getvalue()))
    generated: list[Row] = list(reader)

    rows: list[tuple[Row, tuple[str, str] | None]] = [(row, None) for row in generated[:VALID_ROWS]]
    for (defect, field, mutate), row in zip(defects, generated[VALID_ROWS:], strict=True):
        row[field] = mutate(row)
        rows.append((row, (defect, field)))
    order = np.random.default_rng(seed).permutation(len(rows))
    rows = [rows[i] for i in order]

    # The duplicate repeats the id of a valid row placed before it (after it if none is).
    dup_at = next(i for i, (_, tag) in enumerate(rows) if tag and tag[0] == "duplicate_pathway_id")
    earlier = [i for i, (_, tag) in enumerate(rows[:dup_at]) if tag is None]
    if not earlier:
        rows.append(rows.pop(dup_at))
        dup_at = len(rows) - 1
        earlier = [i for i, (_, tag) in enumerate(rows[:dup_at]) if tag is None]
    rows[dup_at][0]["pathway_id"] = rows[earlier[0]][0]["pathway_id"]
    first_row = earlier[0] + 2

    expected = tuple(
        ExpectedError(
            row=number,
            field=tag[1],
            defect=tag[0],
            value=row[tag[1]],
            first_row=first_row if tag[0] == "duplicate_pathway_id" else None,
        )
        for number, (row, tag) in enumerate(rows, start=2)
        if tag is not None
    )
    cells = tuple(tuple(row[name] for name in CANONICAL_COLUMNS) for row, _ in rows)
    return BadPtl(header=CANONICAL_COLUMNS, rows=cells, expected_errors=expected)


def write_bad_csv(
    path_or_stream: PathOrStream,
    *,
    seed: int = 20261123,
    census_date: datetime.date,
    provider_code: str = "RZZ",
) -> list[ExpectedError]:
    """Write the messy file (same CSV dialect as ``write_ptl_csv``); return its expected errors.

    Each ``ExpectedError`` names the row (header = 1) and canonical field an upload validator
    must reject, so a test can assert a 422 response lists exactly those.
    """
    bad = build_bad_ptl(seed=seed, census_date=census_date, provider_code=provider_code)
    with text_stream(path_or_stream) as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(bad.header)
        writer.writerows(bad.rows)
    return list(bad.expected_errors)

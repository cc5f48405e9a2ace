"""An independent, row-by-row reading of docs/ptl-format.md, used only to check the demo files.

Deliberately separate from the service's validator: if both agree with the generator, the
generator and the contract agree; if the validator disagrees, its own tests will say so.
"""

from __future__ import annotations

import csv
import datetime
import io
import re

from nhs_number.validate import is_valid

from app.demo.reference import reference_codes

REQUIRED = (
    "pathway_id",
    "nhs_number",
    "provider_code",
    "treatment_function_code",
    "pathway_stage",
    "rtt_clock_start",
)
"""Values that may not be blank (a priority code may: it is then ranked as P4)."""
PATHWAY_ID = re.compile(r"[A-Za-z0-9_/-]{1,20}")
PROVIDER = re.compile(r"[A-Z0-9]{3,5}")
LSOA = re.compile(r"[EW]01\d{6}")
SITE = re.compile(r"[A-Za-z0-9]{3,9}")
OPCS = re.compile(r"[A-Za-z]\d{2}\.?\d")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
UK_DATE = re.compile(r"\d{2}/\d{2}/\d{4}")
STAGES = {"admitted", "non_admitted", "irtt", "ortt"}
SEXES = {"1", "2", "9", "X", "M", "F", "U"}
RTT_STATUSES = {"10", "11", "12", "20", "21", "30", "31", "32", "33", "34", "35", "36"}
RTT_STATUSES |= {"90", "91", "92", "98", "99"}


def parse_date(text: str) -> datetime.date | None:
    """A date in one of the two allowed layouts, or None if the cell is not one."""
    try:
        if ISO_DATE.fullmatch(text):
            return datetime.date.fromisoformat(text)
        if UK_DATE.fullmatch(text):
            day, month, year = (int(part) for part in text.split("/"))
            return datetime.date(year, month, day)
    except ValueError:
        return None
    return None


def _codes(table: str) -> set[str]:
    return set(reference_codes(table))


def row_errors(row: dict[str, str], today: datetime.date) -> list[str]:
    """Fields of one row that break the contract (empty list when the row is valid)."""
    bad: list[str] = []
    cell = {name: (value or "").strip() for name, value in row.items()}
    bad += [name for name in REQUIRED if not cell.get(name)]

    def check(name: str, ok: bool) -> None:
        if cell.get(name) and not ok and name not in bad:
            bad.append(name)

    digits = re.sub(r"[ -]", "", cell.get("nhs_number", ""))
    check("pathway_id", bool(PATHWAY_ID.fullmatch(cell.get("pathway_id", ""))))
    check("nhs_number", len(digits) == 10 and digits.isdigit() and is_valid(digits))
    check("provider_code", bool(PROVIDER.fullmatch(cell.get("provider_code", "").upper())))
    check(
        "treatment_function_code",
        cell.get("treatment_function_code") in _codes("treatment_functions"),
    )
    check("pathway_stage", cell.get("pathway_stage", "").lower() in STAGES)
    priorities = {code.lower() for code in _codes("priority_codes")} | {""}
    check("priority_code", cell.get("priority_code", "").lower() in priorities)
    check("sex", cell.get("sex", "").upper() in SEXES)
    check("ethnic_category", cell.get("ethnic_category", "").upper() in _codes("ethnic_categories"))
    check("lsoa_code", bool(LSOA.fullmatch(cell.get("lsoa_code", ""))))
    decile = cell.get("imd_decile", "")
    check("imd_decile", decile.isdigit() and 1 <= int(decile) <= 10)
    for name, table in (
        ("inclusion_groups", "inclusion_groups"),
        ("clinical_areas", "clinical_areas"),
    ):
        codes = [code.strip() for code in cell.get(name, "").split(";") if code.strip()]
        check(name, all(code in _codes(table) for code in codes))
    check("site_code", bool(SITE.fullmatch(cell.get("site_code", ""))))
    check("procedure_code", bool(OPCS.fullmatch(cell.get("procedure_code", ""))))
    check("rtt_status", cell.get("rtt_status", "") in RTT_STATUSES)

    dates: dict[str, datetime.date | None] = {}
    for name in ("rtt_clock_start", "date_of_birth", "priority_set_date", "last_validated_date"):
        day = dates[name] = parse_date(cell.get(name, ""))
        check(name, day is not None and day <= today)
    start, born = dates["rtt_clock_start"], dates["date_of_birth"]
    if start is not None and born is not None:
        check("rtt_clock_start", start >= born)
    return bad


def file_errors(text: str, today: datetime.date) -> list[tuple[int, str]]:
    """``(row, field)`` for every contract breach in a CSV (header = row 1)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    errors: list[tuple[int, str]] = []
    first_seen: dict[tuple[str, str], int] = {}
    for number, row in enumerate(reader, start=2):
        errors += [(number, field) for field in row_errors(row, today)]
        key = ((row.get("provider_code") or "").upper(), (row.get("pathway_id") or "").strip())
        if key in first_seen:
            errors.append((number, "pathway_id"))
        else:
            first_seen[key] = number
    return errors

"""Validate a whole PTL upload at once: every error, or a typed PTL with honest warnings.

Uploads are all-or-nothing, so every column is checked in full and every error reported (row
by row, field by field); only when there are none is the typed :class:`ValidatedPtl` built.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from numpy.dtypes import StringDType

from app.ingest import fields
from app.ingest.collector import ErrorCollector
from app.ingest.columns import (
    DATE_COLUMNS,
    DEFAULT_STALE_PRIORITY_DAYS,
    ETHNICITY_NOT_KNOWN,
    ETHNICITY_NOT_STATED,
    IMD_SOURCE_LOOKUP,
    IMD_SOURCE_SUPPLIED,
    IMD_SOURCE_UNKNOWN,
    RTT_CLOCK_STOPPED_STATUSES,
)
from app.ingest.dates import DateArray
from app.ingest.imd_lookup import ImdLookup
from app.ingest.reader import RawTable
from app.ingest.reference import ReferenceCodes
from app.ingest.results import (
    WARNING_EXAMPLE_ROWS,
    ValidatedPtl,
    ValidationOutcome,
    ValidationWarning,
    WarningCode,
)
from app.ingest.text import BoolArray, StrArray, is_empty


def validate_table(
    table: RawTable,
    reference: ReferenceCodes,
    imd: ImdLookup | None,
    today: date,
    *,
    stale_priority_days: int = DEFAULT_STALE_PRIORITY_DAYS,
    max_errors: int | None = None,
) -> ValidationOutcome:
    """Check every row of ``table``; ``max_errors`` caps the list (``error_count`` does not)."""
    c = ErrorCollector(table)
    text: dict[str, StrArray] = {
        "pathway_id": fields.pathway_id(c),
        "nhs_number": fields.nhs_number(c),
        "provider_code": fields.ods_code(
            c, "provider_code", 3, 5, "an ODS organisation code", required=True
        ),
        "treatment_function_code": fields.reference_code(
            c,
            "treatment_function_code",
            reference.treatment_function_codes,
            "treatment function code",
            required=True,
        ),
        "pathway_stage": fields.pathway_stage(c),
        "priority_code": fields.reference_code(
            c, "priority_code", reference.priority_codes, "priority code", required=False
        ),
        "sex": fields.sex(c),
        "ethnic_category": fields.reference_code(
            c, "ethnic_category", reference.ethnic_categories, "ethnic category", required=False
        ),
        "lsoa_code": fields.lsoa_code(c),
        "inclusion_groups": fields.code_list(
            c, "inclusion_groups", reference.inclusion_groups, "inclusion group"
        ),
        "clinical_areas": fields.code_list(
            c, "clinical_areas", reference.clinical_areas, "clinical area"
        ),
        "site_code": fields.ods_code(c, "site_code", 3, 9, "an ODS site code", required=False),
        "procedure_code": fields.procedure_code(c),
        "rtt_status": fields.rtt_status(c),
    }
    when = {
        name: fields.dates(c, name, today, required=name == "rtt_clock_start")
        for name in DATE_COLUMNS
    }
    supplied_decile = fields.imd_decile(c)
    _clock_start_after_birth(c, when)
    _duplicates(c, text["provider_code"], text["pathway_id"])
    if c.count:
        return ValidationOutcome(None, c.report(max_errors), c.count)

    ethnicity_blank = is_empty(text["ethnic_category"])
    text["ethnic_category"] = np.where(
        ethnicity_blank, ETHNICITY_NOT_KNOWN.encode(), text["ethnic_category"]
    )
    imd_columns, imd_warnings = _resolve_imd(text["lsoa_code"], supplied_decile, imd, table)
    warnings = [
        *_table_warnings(table),
        *_lsoa_column_warnings(table, imd),
        *_ethnicity_warnings(text["ethnic_category"], ethnicity_blank, table),
        *imd_warnings,
        *_other_warnings(text, when, today, stale_priority_days, table),
    ]
    strings = {name: values.astype(StringDType()) for name, values in text.items()}
    validated = ValidatedPtl(
        **strings,
        **when,
        imd_decile=imd_columns.decile,
        imd_source=imd_columns.source.astype(StringDType()),
        imd_edition=imd_columns.edition.astype(StringDType()),
        row_numbers=table.row_numbers.astype(np.int64),
        warnings=warnings,
    )
    return ValidationOutcome(validated, [], 0)


def _clock_start_after_birth(c: ErrorCollector, when: dict[str, DateArray]) -> None:
    start, birth = when["rtt_clock_start"], when["date_of_birth"]
    both = c.ok("rtt_clock_start") & c.ok("date_of_birth") & ~np.isnat(start) & ~np.isnat(birth)
    c.add(
        "rtt_clock_start",
        both & (start < birth),
        lambda i: f"clock start {start[i]} is before date of birth {birth[i]}",
    )


def _duplicates(c: ErrorCollector, provider: StrArray, pathway: StrArray) -> None:
    """Repeats of (provider, pathway_id); each names the row where the pair first appeared."""
    usable = np.flatnonzero(
        c.ok("pathway_id") & c.ok("provider_code") & ~is_empty(pathway) & ~is_empty(provider)
    )
    if usable.size < 2:
        return
    keys = np.strings.add(np.strings.add(provider[usable], b"\x1f"), pathway[usable])
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    first_seen = usable[first[inverse]]
    repeat = np.zeros(c.size, dtype=np.bool_)
    repeat[usable] = first_seen != usable
    earlier = np.zeros(c.size, dtype=np.intp)
    earlier[usable] = first_seen
    rows = c.table.row_numbers
    c.add(
        "pathway_id",
        repeat,
        lambda i: (
            f"duplicate pathway_id '{c.text('pathway_id', i)}' for provider "
            f"{provider[i].decode()} (first seen on row {rows[earlier[i]]})"
        ),
    )


class _ImdColumns(NamedTuple):
    decile: npt.NDArray[np.int8]
    source: StrArray
    edition: StrArray


def _resolve_imd(
    lsoa: StrArray, supplied: npt.NDArray[np.int8], imd: ImdLookup | None, table: RawTable
) -> tuple[_ImdColumns, list[ValidationWarning]]:
    """Supplied deciles win; otherwise the LSOA is looked up; otherwise IMD is unknown."""
    has_lsoa = ~is_empty(lsoa)
    has_decile = supplied > 0
    if imd is None:
        looked, found = np.zeros(len(lsoa), dtype=np.int8), np.zeros(len(lsoa), dtype=np.bool_)
        edition, described = "", "no IMD lookup is loaded"
    else:
        looked, found = imd.lookup(lsoa)
        found &= has_lsoa
        edition, described = imd.edition, f"the {imd.edition} IMD lookup"
    from_lookup = ~has_decile & found
    decile = np.where(has_decile, supplied, np.where(from_lookup, looked, 0)).astype(np.int8)
    source = np.where(
        has_decile,
        IMD_SOURCE_SUPPLIED.encode(),
        np.where(from_lookup, IMD_SOURCE_LOOKUP.encode(), IMD_SOURCE_UNKNOWN.encode()),
    )
    editions = np.where(from_lookup, edition.encode(), b"")
    differs = has_decile & found & (looked != supplied)
    warnings = [
        _warning(
            WarningCode.IMD_UNKNOWN,
            decile == 0,
            table,
            "with no IMD decile (none supplied, and no LSOA or an LSOA not in "
            f"{described}): kept with IMD unknown, which never earns or loses priority",
        ),
        _warning(
            WarningCode.LSOA_NOT_IN_IMD_LOOKUP,
            has_lsoa & ~found,
            table,
            f"with an LSOA code not in {described} (a Welsh LSOA, or an LSOA of another "
            "census year than the lookup edition)",
        ),
        _warning(
            WarningCode.IMD_DECILE_DIFFERS_FROM_LOOKUP,
            differs,
            table,
            f"with a supplied imd_decile that differs from {described} for their LSOA: "
            "the supplied value is kept",
        ),
    ]
    return _ImdColumns(decile, source, editions), [w for w in warnings if w.count]


def _table_warnings(table: RawTable) -> list[ValidationWarning]:
    warnings: list[ValidationWarning] = []
    if table.extra_columns:
        names = ", ".join(table.extra_columns)
        warnings.append(
            ValidationWarning(
                WarningCode.EXTRA_COLUMNS_IGNORED,
                f"columns not in the format were ignored: {names}",
                len(table.extra_columns),
                [1],
            )
        )
    if table.blank_rows:
        warnings.append(
            ValidationWarning(
                WarningCode.BLANK_ROWS_SKIPPED,
                f"{len(table.blank_rows):,} empty rows were skipped",
                len(table.blank_rows),
                table.blank_rows[:WARNING_EXAMPLE_ROWS],
            )
        )
    return warnings


def _lsoa_column_warnings(table: RawTable, imd: ImdLookup | None) -> list[ValidationWarning]:
    """Census-bound LSOA columns ignored, or read although the IMD edition uses the other."""
    lsoa = table.lsoa
    edition = f"the {imd.edition} IMD lookup" if imd is not None else "the IMD lookup"
    warnings: list[ValidationWarning] = []
    if lsoa.ignored:
        ignored = ", ".join(f"{name} ({vintage} LSOAs)" for name, vintage in lsoa.ignored.items())
        read = ", ".join(lsoa.read_from) or "the other LSOA column"
        warnings.append(
            ValidationWarning(
                WarningCode.LSOA_COLUMN_IGNORED,
                f"{ignored} ignored: {edition} uses {lsoa.expected} LSOAs, read from {read}",
                len(lsoa.ignored),
                [1],
            )
        )
    for name, vintage in lsoa.mismatched.items():
        warnings.append(
            ValidationWarning(
                WarningCode.LSOA_VINTAGE_MISMATCH,
                f"lsoa_code was read from {name} ({vintage} LSOAs) but {edition} uses "
                f"{lsoa.expected} LSOAs: LSOAs that changed between the two censuses are not "
                "found, so those entries have IMD unknown unless a decile is supplied",
                1,
                [1],
            )
        )
    return warnings


def _ethnicity_warnings(
    ethnicity: StrArray, blank: BoolArray, table: RawTable
) -> list[ValidationWarning]:
    warnings = [
        _warning(
            WarningCode.ETHNICITY_NOT_STATED,
            ethnicity == ETHNICITY_NOT_STATED.encode(),
            table,
            f"with ethnic category {ETHNICITY_NOT_STATED} (not stated)",
        ),
        _warning(
            WarningCode.ETHNICITY_NOT_KNOWN,
            (ethnicity == ETHNICITY_NOT_KNOWN.encode()) & ~blank,
            table,
            f"with ethnic category {ETHNICITY_NOT_KNOWN} (not known)",
        ),
        _warning(
            WarningCode.ETHNICITY_BLANK,
            blank,
            table,
            f"with no ethnic category: stored as {ETHNICITY_NOT_KNOWN} (not known), never guessed",
        ),
    ]
    return [warning for warning in warnings if warning.count]


def _other_warnings(
    text: dict[str, StrArray],
    when: dict[str, DateArray],
    today: date,
    stale_days: int,
    table: RawTable,
) -> list[ValidationWarning]:
    cutoff = today - timedelta(days=stale_days)
    priority_set = when["priority_set_date"]
    stopped = np.array(sorted(RTT_CLOCK_STOPPED_STATUSES), dtype=np.bytes_)
    warnings = [
        _warning(
            WarningCode.PRIORITY_CODE_BLANK,
            is_empty(text["priority_code"]),
            table,
            "with no priority code: kept blank, ranked as the rule set's unset_priority_as "
            "(P4 by default) and flagged; record a clinical priority",
        ),
        _warning(
            WarningCode.PRIORITY_SET_DATE_STALE,
            ~np.isnat(priority_set) & (priority_set < np.datetime64(cutoff, "D")),
            table,
            f"with a priority set more than {stale_days} days ago "
            f"(before {cutoff.isoformat()}): the clinical priority may need review",
        ),
        _warning(
            WarningCode.RTT_STATUS_CLOCK_STOPPED,
            np.isin(text["rtt_status"], stopped),
            table,
            "with an RTT status that records a stopped clock "
            f"({', '.join(sorted(RTT_CLOCK_STOPPED_STATUSES))}): kept as supplied; "
            "check they belong on a list of open pathways",
        ),
    ]
    return [warning for warning in warnings if warning.count]


def _warning(code: WarningCode, mask: BoolArray, table: RawTable, text: str) -> ValidationWarning:
    """A warning with its count and the first few row numbers; the count leads the message."""
    count = int(mask.sum())
    rows = table.row_numbers[np.flatnonzero(mask)[:WARNING_EXAMPLE_ROWS]].tolist()
    noun = "entry" if count == 1 else "entries"
    return ValidationWarning(code, f"{count:,} {noun} {text}", count, rows)

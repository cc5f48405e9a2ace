"""Data-quality report: how complete and fresh the equity inputs are, per specialty.

Equity monitoring is only as good as the coding behind it: a specialty where a third of
ethnicity is "not stated" cannot show an ethnic gap. Every measure is a count and a share of
the specialty's open entries (parked ones included: their data matters when they return).
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from app.csv_safe import SafeCsvWriter
from app.reports.columns import PtlColumns, load_ptl_columns
from app.reports.equity import DECIMALS, specialty_names

DEFAULT_PRIORITY_STALE_DAYS = 90
DEFAULT_VALIDATED_STALE_DAYS = 84  # 12 weeks

#: Every measure, in report order.
MEASURES: tuple[str, ...] = (
    "ethnicity_not_stated",
    "ethnicity_not_known",
    "ethnicity_incomplete",
    "imd_unknown",
    "lsoa_missing",
    "lsoa_not_in_lookup",
    "priority_missing",
    "priority_date_missing",
    "priority_date_stale",
    "last_validated_missing",
    "last_validated_stale",
)


@dataclass(frozen=True)
class QualityThresholds:
    """Ages (days before the census date) beyond which a date counts as stale."""

    priority_stale_days: int = DEFAULT_PRIORITY_STALE_DAYS
    validated_stale_days: int = DEFAULT_VALIDATED_STALE_DAYS


@dataclass(frozen=True)
class Measure:
    """Entries with the problem and their percentage of the row's entries."""

    count: int
    pct: float | None


@dataclass(frozen=True)
class QualityRow:
    """One specialty (or ``all``) and every measure."""

    specialty: str
    label: str
    entries: int
    measures: dict[str, Measure]


@dataclass(frozen=True)
class DataQualityReport:
    """Data quality of one provider's open PTL on a census date."""

    provider_code: str
    census_date: date
    thresholds: QualityThresholds
    overall: QualityRow
    by_specialty: list[QualityRow] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """Plain JSON types (dates as ISO strings)."""
        data: dict[str, Any] = json.loads(json.dumps(asdict(self), default=str))
        return data


def _older_than(dates: NDArray[np.datetime64], census: date, days: int) -> NDArray[np.bool_]:
    """Present and more than ``days`` days before the census date."""
    age = np.datetime64(census, "D") - dates
    stale: NDArray[np.bool_] = ~np.isnat(dates) & (age > np.timedelta64(days, "D"))
    return stale


def problem_masks(
    columns: PtlColumns, census_date: date, thresholds: QualityThresholds
) -> dict[str, NDArray[np.bool_]]:
    """One boolean array per measure: True where the entry has that problem.

    Blank ethnicity is stored as 99 at upload, so ``ethnicity_not_known`` counts both 99 and
    blank; ``lsoa_not_in_lookup`` is an LSOA that was given but is in no loaded IMD edition (also
    when the upload supplied the decile itself).
    """
    group = columns.ethnic_group
    not_stated = group == "not_stated"
    not_known = group == "not_known"
    return {
        "ethnicity_not_stated": not_stated,
        "ethnicity_not_known": not_known,
        "ethnicity_incomplete": not_stated | not_known,
        "imd_unknown": columns.imd_decile == 0,
        "lsoa_missing": ~columns.lsoa_present,
        "lsoa_not_in_lookup": columns.lsoa_present & ~columns.lsoa_in_lookup,
        "priority_missing": columns.priority == "",
        "priority_date_missing": np.isnat(columns.priority_set_date),
        "priority_date_stale": _older_than(
            columns.priority_set_date, census_date, thresholds.priority_stale_days
        ),
        "last_validated_missing": np.isnat(columns.last_validated_date),
        "last_validated_stale": _older_than(
            columns.last_validated_date, census_date, thresholds.validated_stale_days
        ),
    }


def _measure(count: int, entries: int) -> Measure:
    pct = round(100.0 * count / entries, DECIMALS) if entries else None
    return Measure(count=count, pct=pct)


def build_quality_report(
    session: Session,
    provider_code: str,
    census_date: date,
    thresholds: QualityThresholds | None = None,
    *,
    columns: PtlColumns | None = None,
) -> DataQualityReport:
    """Completeness and staleness of ``provider_code``'s open entries (for a past census date,
    those open on that date); raises ProviderNotFound.

    ``columns``: the entries already loaded (all of the provider's, or one specialty's)."""
    thresholds = thresholds or QualityThresholds()
    if columns is None:
        as_of = census_date if census_date < date.today() else None
        columns = load_ptl_columns(session, provider_code, as_of=as_of)
    masks = problem_masks(columns, census_date, thresholds)
    specialties, codes = np.unique(columns.specialty, return_inverse=True)
    entries = np.bincount(codes, minlength=specialties.size)
    counts = {
        name: np.bincount(codes[mask], minlength=specialties.size) for name, mask in masks.items()
    }
    names = specialty_names(session, [str(s) for s in specialties])
    rows = [
        QualityRow(
            specialty=str(code),
            label=names.get(str(code), str(code)),
            entries=int(entries[i]),
            measures={m: _measure(int(counts[m][i]), int(entries[i])) for m in MEASURES},
        )
        for i, code in enumerate(specialties)
    ]
    total = len(columns)
    overall = QualityRow(
        specialty="all",
        label="All specialties",
        entries=total,
        measures={m: _measure(int(masks[m].sum()), total) for m in MEASURES},
    )
    return DataQualityReport(
        provider_code=provider_code,
        census_date=census_date,
        thresholds=thresholds,
        overall=overall,
        by_specialty=rows,
    )


def quality_csv(report: DataQualityReport) -> str:
    """One row per specialty plus ``all``; each measure as ``<name>_count`` and ``<name>_pct``."""
    header = ["provider_code", "census_date", "specialty", "label", "entries"]
    header += [f"{m}_{part}" for m in MEASURES for part in ("count", "pct")]
    buffer = io.StringIO()
    writer = SafeCsvWriter(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in [report.overall, *report.by_specialty]:
        cells: list[object] = [
            report.provider_code,
            report.census_date,
            row.specialty,
            row.label,
            row.entries,
        ]
        for m in MEASURES:
            measure = row.measures[m]
            cells += [measure.count, "" if measure.pct is None else measure.pct]
        writer.writerow(cells)
    return buffer.getvalue()

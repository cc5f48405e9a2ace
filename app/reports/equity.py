"""The equity report: waits by IMD quintile, ethnic group, inclusion group and specialty.

All arithmetic lives in ``prioritisation.metrics`` (shared with the impact simulator); this
module loads the list, decides who is measured and labels the groups. Definitions: docs/metrics.md.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.csv_safe import SafeDictWriter
from app.reports.columns import EquityColumns, PtlFilters, load_ptl_columns, memberships
from models import EthnicCategory, InclusionGroup, TreatmentFunction
from prioritisation.metrics import (
    OVER_18_WEEKS_DAYS,
    OVER_52_WEEKS_DAYS,
    DeprivationGap,
    WaitStats,
    grouped_waits,
    labelled_waits,
    overall_waits,
    quintile_gap,
    quintile_waits,
)

DECIMALS = 2
NO_INCLUSION_GROUP = "none"
UNKNOWN_IMD = "unknown"
QUINTILE_LABELS = {
    "1": "Q1 most deprived (IMD deciles 1-2)",
    "2": "Q2 (IMD deciles 3-4)",
    "3": "Q3 (IMD deciles 5-6)",
    "4": "Q4 (IMD deciles 7-8)",
    "5": "Q5 least deprived (IMD deciles 9-10)",
    UNKNOWN_IMD: "IMD unknown",
}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, DECIMALS)


@dataclass(frozen=True)
class GroupRow:
    """One group's waits, rounded for presentation (weeks and percentages to 2 decimals)."""

    group: str
    label: str
    count: int
    median_days: int | None
    median_weeks: float | None
    p92_days: int | None
    p92_weeks: float | None
    over_18_weeks: int
    over_52_weeks: int
    pct_over_18_weeks: float | None
    pct_over_52_weeks: float | None

    @classmethod
    def of(cls, group: str, label: str, stats: WaitStats) -> GroupRow:
        return cls(
            group=group,
            label=label,
            count=stats.count,
            median_days=stats.median_days,
            median_weeks=_round(stats.median_weeks),
            p92_days=stats.p92_days,
            p92_weeks=_round(stats.p92_weeks),
            over_18_weeks=stats.over_18_weeks,
            over_52_weeks=stats.over_52_weeks,
            pct_over_18_weeks=_round(stats.pct_over_18_weeks),
            pct_over_52_weeks=_round(stats.pct_over_52_weeks),
        )


@dataclass(frozen=True)
class GapRow:
    """Quintile 1 minus quintile 5 (positive: the most deprived wait longer), rounded."""

    most_deprived_count: int
    least_deprived_count: int
    median_weeks: float | None
    p92_weeks: float | None
    pct_over_18_weeks_points: float | None
    pct_over_52_weeks_points: float | None

    @classmethod
    def of(cls, gap: DeprivationGap) -> GapRow:
        return cls(
            most_deprived_count=gap.most_deprived_count,
            least_deprived_count=gap.least_deprived_count,
            median_weeks=_round(gap.median_weeks),
            p92_weeks=_round(gap.p92_weeks),
            pct_over_18_weeks_points=_round(gap.pct_over_18_weeks_points),
            pct_over_52_weeks_points=_round(gap.pct_over_52_weeks_points),
        )


@dataclass(frozen=True)
class Method:
    """The definitions a report was computed with, stored with every snapshot."""

    percentile: str = "nearest_rank"
    weeks: str = "days / 7"
    over_18_weeks_days: int = OVER_18_WEEKS_DAYS
    over_52_weeks_days: int = OVER_52_WEEKS_DAYS
    gap: str = "quintile 1 (most deprived) minus quintile 5 (least deprived)"


@dataclass(frozen=True)
class EquityReport:
    """Waits of one provider's open PTL on a census date, broken down by group."""

    provider_code: str
    census_date: date
    filters: PtlFilters
    include_parked: bool
    entries_open: int
    parked_count: int
    clock_start_after_census: int
    entries_measured: int
    overall: GroupRow
    by_imd_quintile: list[GroupRow]
    by_ethnic_group: list[GroupRow]
    by_inclusion_group: list[GroupRow]
    by_specialty: list[GroupRow]
    deprivation_gap: GapRow
    method: Method = field(default_factory=Method)
    source: str = "live"

    def as_json(self) -> dict[str, Any]:
        """Plain JSON types (dates as ISO strings), as stored in a snapshot."""
        data: dict[str, Any] = json.loads(json.dumps(asdict(self), default=str))
        return data


def measured(
    columns: EquityColumns, census_date: date, *, include_parked: bool = False
) -> tuple[NDArray[np.bool_], NDArray[np.int64]]:
    """Which entries count in wait metrics, and every entry's wait in days.

    Parked entries (P5/P6, active monitoring) are left out unless ``include_parked``; so are
    clocks starting after the census date (possible only when reporting on a past date).
    """
    waits = columns.wait_days(census_date)
    keep = waits >= 0
    if not include_parked:
        keep &= ~columns.parked
    return keep, waits


def _ethnic_groups(session: Session) -> list[tuple[str, str]]:
    """Broad groups in reference order with labels naming their codes, e.g. "White (A, B, C)"."""
    rows = session.execute(
        select(EthnicCategory.broad_group, EthnicCategory.code).order_by(
            EthnicCategory.is_known.desc(), EthnicCategory.code
        )
    ).all()
    codes: dict[str, list[str]] = {}
    for group, code in rows:
        codes.setdefault(group, []).append(code)
    return [
        (group, f"{group.replace('_', ' ').capitalize()} ({', '.join(members)})")
        for group, members in codes.items()
    ]


def _inclusion_names(session: Session) -> dict[str, str]:
    rows = session.execute(select(InclusionGroup.code, InclusionGroup.name)).all()
    return dict(sorted((code, name) for code, name in rows))


def specialty_names(session: Session, codes: list[str]) -> dict[str, str]:
    """Treatment function names of ``codes`` from the reference table."""
    query = select(TreatmentFunction.code, TreatmentFunction.name).where(
        TreatmentFunction.code.in_(codes)
    )
    return {code: name for code, name in session.execute(query).all()}


def _rows(stats: dict[str, WaitStats], labels: dict[str, str]) -> list[GroupRow]:
    return [GroupRow.of(group, labels.get(group, group), s) for group, s in stats.items()]


def build_equity_report(
    session: Session,
    provider_code: str,
    census_date: date,
    filters: PtlFilters | None = None,
    *,
    include_parked: bool = False,
    columns: EquityColumns | None = None,
    today: date | None = None,
) -> EquityReport:
    """The equity report of ``provider_code``'s entries; raises ProviderNotFound.

    ``columns`` (already filtered) are used when given: the served runs' lists. Otherwise
    the entries are loaded now: those open today, or for a past ``census_date`` those open
    on that date (point in time).
    """
    filters = filters or PtlFilters()
    source = "served" if columns is not None else "live"
    if columns is None:
        as_of = None if census_date >= (today or date.today()) else census_date
        columns = load_ptl_columns(session, provider_code, filters, as_of=as_of).equity()
    keep, all_waits = measured(columns, census_date, include_parked=include_parked)
    waits = all_waits[keep]

    by_quintile = quintile_waits(waits, columns.imd_decile[keep])
    quintile_rows = [
        GroupRow.of(str(q), QUINTILE_LABELS[str(q)], by_quintile.stats(q)) for q in range(1, 6)
    ]
    quintile_rows.append(
        GroupRow.of(UNKNOWN_IMD, QUINTILE_LABELS[UNKNOWN_IMD], by_quintile.stats(0))
    )

    ethnic = _ethnic_groups(session)
    ethnic_stats = labelled_waits(waits, columns.ethnic_group[keep], [g for g, _ in ethnic])

    names = _inclusion_names(session)
    entry_index, group_index, groups = memberships(columns.inclusion_groups[keep], list(names))
    in_none = np.ones(waits.size, dtype=bool)
    in_none[entry_index] = False
    member_waits = np.concatenate([waits[entry_index], waits[in_none]])
    member_groups = np.concatenate([group_index, np.full(int(in_none.sum()), len(groups))])
    by_inclusion = grouped_waits(member_waits, member_groups, len(groups) + 1)
    inclusion_rows = [
        GroupRow.of(code, names.get(code, code), by_inclusion.stats(i))
        for i, code in enumerate(groups)
    ]
    inclusion_rows.append(
        GroupRow.of(NO_INCLUSION_GROUP, "In no inclusion group", by_inclusion.stats(len(groups)))
    )

    specialty_stats = labelled_waits(waits, columns.specialty[keep])
    specialty_labels = specialty_names(session, list(specialty_stats))

    return EquityReport(
        provider_code=provider_code,
        census_date=census_date,
        filters=filters,
        include_parked=include_parked,
        entries_open=len(columns),
        parked_count=int(columns.parked.sum()),
        clock_start_after_census=int((all_waits < 0).sum()),
        entries_measured=int(waits.size),
        overall=GroupRow.of("all", "All measured pathways", overall_waits(waits)),
        by_imd_quintile=quintile_rows,
        by_ethnic_group=_rows(ethnic_stats, dict(ethnic)),
        by_inclusion_group=inclusion_rows,
        by_specialty=_rows(specialty_stats, specialty_labels),
        deprivation_gap=GapRow.of(quintile_gap(by_quintile)),
        source=source,
    )


CSV_COLUMNS = (
    "provider_code",
    "census_date",
    "breakdown",
    "group",
    "label",
    "count",
    "median_days",
    "median_weeks",
    "p92_days",
    "p92_weeks",
    "over_18_weeks",
    "over_52_weeks",
    "pct_over_18_weeks",
    "pct_over_52_weeks",
)


def equity_csv(report: EquityReport) -> str:
    """One row per group (tidy, for spreadsheets); the gap is the ``deprivation_gap`` row.

    On the gap row the week columns hold the gap in weeks and the pct columns the gap in
    percentage points; its count is the number of pathways in quintiles 1 and 5.
    """
    buffer = io.StringIO()
    writer = SafeDictWriter(buffer, CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    common = {"provider_code": report.provider_code, "census_date": report.census_date}
    sections = [
        ("overall", [report.overall]),
        ("imd_quintile", report.by_imd_quintile),
        ("ethnic_group", report.by_ethnic_group),
        ("inclusion_group", report.by_inclusion_group),
        ("specialty", report.by_specialty),
    ]
    for breakdown, rows in sections:
        for row in rows:
            writer.writerow({**common, "breakdown": breakdown, **asdict(row)})
    gap = report.deprivation_gap
    writer.writerow(
        {
            **common,
            "breakdown": "deprivation_gap",
            "group": "q1_minus_q5",
            "label": "Most minus least deprived quintile",
            "count": gap.most_deprived_count + gap.least_deprived_count,
            "median_weeks": gap.median_weeks,
            "p92_weeks": gap.p92_weeks,
            "pct_over_18_weeks": gap.pct_over_18_weeks_points,
            "pct_over_52_weeks": gap.pct_over_52_weeks_points,
        }
    )
    return buffer.getvalue()

"""Reports resource: equity waits, their weekly trend, data quality, and charts.

Any authenticated role may read reports. Definitions of every metric: docs/metrics.md.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from sqlalchemy.orm import Session

from api.capacity import HEAVY, HEAVY_RESPONSES
from api.deps import AnyReader, SessionDep, SettingsDep
from api.errors import responses
from api.pagination import CursorQuery, Cursors, Page
from api.schemas.common import PROVIDER_CODE, TREATMENT_FUNCTION
from api.schemas.reports import (
    DataQualityReportOut,
    EquityReportOut,
    FailureRatesOut,
    ReportFormat,
    TrendGapsOut,
    TrendPointOut,
)
from app.errors import NotFound, Unprocessable
from app.reference_store import UnknownPriorityCode, canonical_priority_code
from app.reports import (
    ProviderNotFound,
    PtlFilters,
    QualityThresholds,
    build_equity_report,
    build_quality_report,
    equity_csv,
    list_snapshots,
    quality_csv,
)
from app.reports.charts import (
    MEDIA_TYPES,
    ChartFormat,
    gap_trend_chart,
    wait_by_quintile_chart,
)
from app.reports.columns import provider_has_entries
from app.reports.failures import failure_rates
from app.reports.gap_watch import WeekGaps, observed_and_predicted
from app.reports.served import served_report
from app.reports.snapshots import has_snapshots
from models import EquitySnapshot

router = APIRouter(
    prefix="/reports",
    tags=["reports"],
    dependencies=HEAVY,
    responses={**responses(401, 403, 404), **HEAVY_RESPONSES},
)

ProviderQuery = Annotated[
    str,
    Query(pattern=PROVIDER_CODE, description="Provider ODS code, e.g. `RZZ`."),
]
SpecialtyQuery = Annotated[
    str | None,
    Query(pattern=TREATMENT_FUNCTION, description="Treatment function code, e.g. `110`."),
]
PriorityQuery = Annotated[
    str | None,
    Query(max_length=10, description="Clinical priority code, e.g. `P3` (case-insensitive)."),
]
StageQuery = Annotated[
    Literal["admitted", "non_admitted"] | None, Query(description="Pathway stage.")
]
CensusQuery = Annotated[
    date | None,
    Query(description="Census date (default today, not in the future): wait = census - start."),
]
FormatQuery = Annotated[
    ReportFormat, Query(alias="format", description="`json` (default) or `csv`.")
]
ParkedQuery = Annotated[
    bool,
    Query(description="Count parked pathways (P5/P6, RTT status 31/32) in the wait statistics."),
]
FromQuery = Annotated[date | None, Query(alias="from", description="Census dates from (incl.).")]
ToQuery = Annotated[date | None, Query(alias="to", description="Census dates up to (incl.).")]

_CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "JSON or CSV"}
}
IMAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            media: {"schema": {"type": "string", "format": "binary"}}
            for media in MEDIA_TYPES.values()
        },
        "description": "The chart as PNG or SVG",
    }
}


def _invalid(message: str) -> Unprocessable:
    return Unprocessable(message)


def _missing(provider: str) -> NotFound:
    return NotFound(f"provider {provider} has no open PTL entries")


def _census(census_date: date | None) -> date:
    today = date.today()
    if census_date is not None and census_date > today:
        raise _invalid(f"census_date {census_date} is in the future")
    return census_date or today


def _priority(session: Session, code: str | None) -> str | None:
    if not code:
        return None
    try:
        return canonical_priority_code(session, code)
    except UnknownPriorityCode as exc:
        raise _invalid(str(exc)) from exc


def _filters(
    session: Session, specialty: str | None, priority: str | None, stage: str | None
) -> PtlFilters:
    return PtlFilters(specialty=specialty, priority=_priority(session, priority), stage=stage)


def _csv(content: str, name: str) -> Response:
    return Response(
        content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@router.get(
    "/equity",
    response_model=EquityReportOut,
    summary="Waits by IMD quintile, ethnic group, inclusion group and specialty",
    responses={**responses(422), **_CSV},
)
def get_equity_report(
    _: AnyReader,
    session: SessionDep,
    provider: ProviderQuery,
    specialty: SpecialtyQuery = None,
    priority: PriorityQuery = None,
    stage: StageQuery = None,
    census_date: CensusQuery = None,
    include_parked: ParkedQuery = False,
    fmt: FormatQuery = "json",
    live: Annotated[
        bool,
        Query(description="Load the PTL now instead of reading the lists' serving runs."),
    ] = False,
) -> EquityReportOut | Response:
    """Count, median and 92nd-percentile wait (weeks), share over 18 and 52 weeks per group,
    and the gap between the most and least deprived quintiles.

    Today's report is served from what the lists' ranking runs stored (`source: served`);
    `live=true` loads the PTL now, and a past census date reports the entries open on that
    date. Parked pathways are left out of the statistics by default and counted in
    `parked_count`. `format=csv` answers one row per group (see docs/metrics.md).
    """
    code = provider.upper()
    census = _census(census_date)
    filters = _filters(session, specialty, priority, stage)
    report = None
    if not live and census == date.today():
        report = served_report(session, code, census, filters, include_parked=include_parked)
    try:
        if report is None:
            report = build_equity_report(
                session, code, census, filters, include_parked=include_parked
            )
    except ProviderNotFound as exc:
        raise _missing(code) from exc
    if fmt == "csv":
        return _csv(equity_csv(report), f"equity-{code}-{census.isoformat()}")
    return EquityReportOut.model_validate(report.as_json())


@router.get(
    "/equity/failed-offers",
    response_model=FailureRatesOut,
    summary="Failed offers by IMD quintile, ethnic group, sex and age band, observed and predicted",
)
def get_failed_offer_rates(
    _: AnyReader, session: SessionDep, provider: ProviderQuery, specialty: SpecialtyQuery = None
) -> FailureRatesOut:
    """Per group: the stored offers of the provider (one specialty's when given), the share
    that failed (did not attend, arrived too late to be seen, cancelled by the patient, unfit
    at pre-op) and the active risk model's mean predicted chance of failure for the same
    offers. With no offer history, or no active model, `empty` says so in plain words.
    """
    rates = failure_rates(session, provider.upper(), specialty=specialty)
    return FailureRatesOut.model_validate(rates.as_json())


def _point(snapshot: EquitySnapshot, gaps: WeekGaps | None) -> TrendPointOut:
    report = snapshot.report
    at_treatment = None
    if gaps is not None:
        at_treatment = TrendGapsOut.model_validate(asdict(gaps))
    return TrendPointOut.model_validate(
        {
            "week": f"{snapshot.iso_year}-W{snapshot.iso_week:02d}",
            "iso_year": snapshot.iso_year,
            "iso_week": snapshot.iso_week,
            "census_date": snapshot.census_date,
            "created_at": snapshot.created_at,
            "created_by": snapshot.created_by,
            "entries_measured": report["entries_measured"],
            "overall": report["overall"],
            "deprivation_gap": report["deprivation_gap"],
            "gap_at_treatment": at_treatment,
        }
    )


def _check_range(since: date | None, until: date | None) -> None:
    if since is not None and until is not None and since > until:
        raise _invalid("`from` must not be after `to`")


def require_provider(session: Session, code: str) -> None:
    if not provider_has_entries(session, code) and not has_snapshots(session, code):
        raise _missing(code)


@router.get(
    "/equity/trend",
    response_model=Page[TrendPointOut],
    summary="Weekly equity snapshots, oldest first",
    responses=responses(400, 422),
)
def get_equity_trend(
    _: AnyReader,
    session: SessionDep,
    settings: SettingsDep,
    cursors: Cursors,
    provider: ProviderQuery,
    since: FromQuery = None,
    until: ToQuery = None,
    limit: Annotated[int, Query(ge=1, le=520, description="Weeks per page (1-520).")] = 104,
    cursor: CursorQuery = None,
) -> Page[TrendPointOut]:
    """One point per ISO week with a snapshot: overall waits and the deprivation gap, and
    per specialty the measured gap at treatment beside the gap the preview or calibration of
    the rule version in force predicted, from the version's `effective_from`.

    Snapshots are stored by `equiwait snapshot-equity` and after the first ranking run of each
    ISO week; the first one of a week is kept.
    """
    code = provider.upper()
    _check_range(since, until)
    require_provider(session, code)
    key = cursors.decode(cursor, tuple[int, int])
    snapshots = list_snapshots(session, code, since=since, until=until, after=key, limit=limit + 1)
    more = len(snapshots) > limit
    snapshots = snapshots[:limit]
    last = snapshots[-1] if snapshots else None
    tolerance = settings.gap_divergence_tolerance_weeks
    weeks = {
        (w.iso_year, w.iso_week): w
        for w in observed_and_predicted(session, code, tolerance_weeks=tolerance)
    }
    return Page(
        items=[_point(s, weeks.get((s.iso_year, s.iso_week))) for s in snapshots],
        next_cursor=cursors.encode([last.iso_year, last.iso_week]) if more and last else None,
    )


@router.get(
    "/data-quality",
    response_model=DataQualityReportOut,
    summary="Completeness and freshness of ethnicity, IMD, LSOA and review dates",
    responses={**responses(422), **_CSV},
)
def get_data_quality_report(
    _: AnyReader,
    session: SessionDep,
    provider: ProviderQuery,
    census_date: CensusQuery = None,
    priority_stale_days: Annotated[
        int, Query(ge=1, le=3650, description="Priority date older than this is stale.")
    ] = 90,
    validated_stale_days: Annotated[
        int, Query(ge=1, le=3650, description="Last validation older than this is stale.")
    ] = 84,
    fmt: FormatQuery = "json",
) -> DataQualityReportOut | Response:
    """Per specialty: share of ethnicity Z / 99 (blank is stored as 99), IMD unknown, LSOA
    missing or not in the lookup, priority date and last validation missing or stale."""
    code = provider.upper()
    census = _census(census_date)
    thresholds = QualityThresholds(priority_stale_days, validated_stale_days)
    try:
        report = build_quality_report(session, code, census, thresholds)
    except ProviderNotFound as exc:
        raise _missing(code) from exc
    if fmt == "csv":
        return _csv(quality_csv(report), f"data-quality-{code}-{census.isoformat()}")
    data = report.as_json()
    for row in [data["overall"], *data["by_specialty"]]:
        row.update(row.pop("measures"))
    return DataQualityReportOut.model_validate(data)


def image_response(content: bytes, fmt: ChartFormat) -> Response:
    return Response(content, media_type=MEDIA_TYPES[fmt])


@router.get(
    "/equity/charts/wait-by-quintile.{fmt}",
    summary="Chart: wait distribution by IMD quintile (PNG or SVG)",
    response_class=Response,
    responses={**responses(422), **IMAGE_RESPONSES},
)
def get_wait_by_quintile_chart(
    fmt: ChartFormat,
    _: AnyReader,
    session: SessionDep,
    provider: ProviderQuery,
    specialty: SpecialtyQuery = None,
    priority: PriorityQuery = None,
    stage: StageQuery = None,
    census_date: CensusQuery = None,
    include_parked: ParkedQuery = False,
) -> Response:
    """Cumulative share waiting at most X weeks per quintile, and median/p92 bars."""
    code = provider.upper()
    census = _census(census_date)
    filters = _filters(session, specialty, priority, stage)
    try:
        content = wait_by_quintile_chart(
            session, code, census, filters, fmt, include_parked=include_parked
        )
    except ProviderNotFound as exc:
        raise _missing(code) from exc
    return image_response(content, fmt)


@router.get(
    "/equity/charts/gap-trend.{fmt}",
    summary="Chart: weekly gap between the most and least deprived quintiles (PNG or SVG)",
    response_class=Response,
    responses={**responses(422), **IMAGE_RESPONSES},
)
def get_gap_trend_chart(
    fmt: ChartFormat,
    _: AnyReader,
    session: SessionDep,
    provider: ProviderQuery,
    since: FromQuery = None,
    until: ToQuery = None,
) -> Response:
    """Gap in median/p92 weeks and in points over 18/52 weeks, one point per stored week."""
    code = provider.upper()
    _check_range(since, until)
    require_provider(session, code)
    snapshots = list_snapshots(session, code, since=since, until=until)
    return image_response(gap_trend_chart(code, snapshots, fmt), fmt)

"""Weekly capacity from recent clock stops: per list, and shared between priorities.

Why from the database: when a replace upload leaves a pathway out it is closed (``closed_at``);
the closures of the last 13 weeks are the list's recent throughput, and their priorities say
how the list books its bands. Closures include validation removals, so this overstates
treatments somewhat (docs/simulation.md §2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import PtlEntry
from models.base import as_utc
from prioritisation.simulation.plan import Rates

CLOCK_STOP_WEEKS = 13
MIN_CLOCK_STOP_DAYS = 28
"""Closures are used as capacity only when they cover at least four weeks of uploads."""
BLANK_PRIORITY_AS = "P4"


@dataclass(frozen=True, slots=True)
class ClockStops:
    """Per list key (``provider/tfc/stage``): closures per week, and per priority code."""

    rates: dict[str, float]
    by_priority: dict[str, dict[str, float]]


def clock_stops(
    session: Session, provider_code: str, census_date: date, specialties: Sequence[str] | None
) -> ClockStops:
    """Pathways closed per week per list and priority, over the 13 weeks to the census date
    (or since the provider's first upload, if later); empty when that covers under four weeks.

    Only lists with at least one closure get a rate. A blank priority counts as P4, the rank
    it had.
    """
    empty = ClockStops({}, {})
    end = datetime.combine(census_date + timedelta(days=1), time.min, tzinfo=UTC)
    first = session.scalar(
        select(func.min(PtlEntry.created_at)).where(PtlEntry.provider_code == provider_code)
    )
    if first is None:
        return empty
    start = max(end - timedelta(weeks=CLOCK_STOP_WEEKS), as_utc(first))
    days = (end - start).total_seconds() / 86_400
    if days < MIN_CLOCK_STOP_DAYS:
        return empty
    query = (
        select(
            PtlEntry.treatment_function_code,
            PtlEntry.pathway_stage,
            PtlEntry.priority_code,
            func.count(),
        )
        .where(
            PtlEntry.provider_code == provider_code,
            PtlEntry.is_open.is_(False),
            PtlEntry.closed_at >= start,
            PtlEntry.closed_at < end,
        )
        .group_by(PtlEntry.treatment_function_code, PtlEntry.pathway_stage, PtlEntry.priority_code)
    )
    if specialties is not None:
        query = query.where(PtlEntry.treatment_function_code.in_(list(specialties)))
    rates: dict[str, float] = {}
    by_priority: dict[str, dict[str, float]] = {}
    for tfc, stage, priority, count in session.execute(query).all():
        key = f"{provider_code}/{tfc}/{stage}"
        weekly = count * 7 / days
        rates[key] = rates.get(key, 0.0) + weekly
        code = priority or BLANK_PRIORITY_AS
        shares = by_priority.setdefault(key, {})
        shares[code] = shares.get(code, 0.0) + weekly
    return ClockStops(
        {k: round(v, 3) for k, v in rates.items()},
        {k: {c: round(v, 3) for c, v in shares.items()} for k, shares in by_priority.items()},
    )


def with_clock_stops(
    provider_code: str,
    supplied: Rates | None,
    stops: Mapping[str, float],
) -> tuple[dict[str, float | Mapping[str, float]] | None, set[str]]:
    """Supplied capacity (API keys as the core's) plus clock-stop rates for the lists the
    caller left out; and which lists took a clock-stop rate."""
    capacity: dict[str, float | Mapping[str, float]] = dict(
        core_keys(provider_code, supplied) or {}
    )
    covered = set(capacity)
    used = {k for k in stops if k not in covered and k.split("/")[1] not in covered}
    capacity.update({k: stops[k] for k in used})
    return (capacity or None), used


def core_keys(
    provider_code: str, rates: Rates | None
) -> dict[str, float | Mapping[str, float]] | None:
    """API keys (``110`` or ``110/admitted``) as the core's (``110`` or ``RZZ/110/admitted``)."""
    if rates is None:
        return None
    return {(f"{provider_code}/{k}" if "/" in k else k): v for k, v in rates.items()}


def band_capacity(
    provider_code: str, stops: ClockStops, lists: Sequence[tuple[str, str]]
) -> dict[str, dict[str, float]]:
    """Weekly capacity per priority band of ``lists`` (``(tfc, stage)``) that had closures,
    keyed ``tfc/stage`` as a ranking run stores it."""
    chosen: dict[str, dict[str, float]] = {}
    for tfc, stage in lists:
        bands = stops.by_priority.get(f"{provider_code}/{tfc}/{stage}")
        if bands:
            chosen[f"{tfc}/{stage}"] = dict(sorted(bands.items()))
    return chosen

"""Reference lists and labels the pages' filters and headings need (small, read per page)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.rankings import ServedRuns, ranked_providers
from models import PriorityCode, PtlEntry, RankingRun, RuleSetVersion, TreatmentFunction

STAGES = {"admitted": "Admitted", "non_admitted": "Non-admitted"}


def providers(session: Session) -> list[str]:
    """Providers with a ranked list, or with open entries when none was ranked yet."""
    ranked = ranked_providers(session)
    if ranked:
        return ranked
    rows = session.scalars(select(PtlEntry.provider_code).distinct().where(PtlEntry.is_open))
    return sorted(rows)


def specialties(session: Session, provider_code: str | None) -> list[tuple[str, str]]:
    """(code, name) of the treatment functions on the provider's open list, in code order."""
    query = select(PtlEntry.treatment_function_code).distinct().where(PtlEntry.is_open)
    if provider_code:
        query = query.where(PtlEntry.provider_code == provider_code)
    codes = sorted(session.scalars(query))
    names = dict(
        session.execute(
            select(TreatmentFunction.code, TreatmentFunction.name).where(
                TreatmentFunction.code.in_(codes)
            )
        ).all()
    )
    return [(code, names.get(code, code)) for code in codes]


def all_specialties(session: Session) -> list[tuple[str, str]]:
    rows = session.execute(
        select(TreatmentFunction.code, TreatmentFunction.name).order_by(TreatmentFunction.code)
    )
    return [(code, name) for code, name in rows]


def priorities(session: Session) -> list[str]:
    return list(session.scalars(select(PriorityCode.code).order_by(PriorityCode.sort_order)))


def version_labels(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Rule version id → ``110 v3``."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = session.execute(
        select(RuleSetVersion.id, RuleSetVersion.specialty, RuleSetVersion.version).where(
            RuleSetVersion.id.in_(wanted)
        )
    )
    return {row.id: f"{row.specialty} v{row.version}" for row in rows}


@dataclass(frozen=True, slots=True)
class RunFreshness:
    """When a run ranked the lists it serves, and with which rule versions."""

    run_id: int
    completed_at: datetime | None
    census_date: str
    specialties: list[str] | None
    rules: list[str]


def freshness(session: Session, served: ServedRuns) -> list[RunFreshness]:
    """What the ranked list was read from: each serving run's time and rule versions."""
    runs = list(
        session.scalars(
            select(RankingRun).where(RankingRun.id.in_(served.run_ids)).order_by(RankingRun.id)
        )
    )
    labels = version_labels(session, [i for run in runs for i in run.rule_versions.values()])
    found = []
    for run in runs:
        rules = [
            f"{key}: {labels[vid]}" if vid is not None and vid in labels else f"{key}: shipped"
            for key, vid in sorted(
                run.rule_versions.items(), key=lambda kv: (kv[0] != "default", kv[0])
            )
        ]
        found.append(
            RunFreshness(
                run_id=run.id,
                completed_at=run.completed_at,
                census_date=run.census_date.isoformat(),
                specialties=run.specialties,
                rules=rules,
            )
        )
    return found

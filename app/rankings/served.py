"""Which stored run serves each list of a provider.

A run naming specialties ranks only those lists, so the provider's ranked list is a patchwork:
each list (provider + specialty + stage) comes from the latest completed run that ranked its
specialty. A newer partial run therefore replaces the lists it ranked and leaves every other
list to the older run that ranked it. Nothing is rescored: each segment is read from its run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.rankings.errors import BadRequest, NotFound
from app.rankings.runs import get_run, ranked_providers, runs_newest_first
from models import RankingRun


@dataclass(frozen=True, slots=True)
class Segment:
    """A run's rows for one specialty (``specialty``) or a range of them (``after``..``before``,
    both exclusive, None = unbounded), in list order."""

    run_id: int
    specialty: str | None = None
    after: str | None = None
    before: str | None = None

    def precedes(self, specialty: str) -> bool:
        """Whether every row of the segment sorts before ``specialty``'s rows."""
        if self.specialty is not None:
            return self.specialty < specialty
        return self.before is not None and self.before <= specialty

    def holds(self, specialty: str) -> bool:
        """Whether ``specialty``'s rows are read from this segment."""
        if self.specialty is not None:
            return self.specialty == specialty
        return (self.after is None or self.after < specialty) and (
            self.before is None or specialty < self.before
        )


@dataclass(frozen=True, slots=True)
class ServedRuns:
    """The runs serving a provider's lists: ``by_specialty`` for specialties a newer partial
    run ranked, ``rest`` (the latest run of every specialty) for all others."""

    provider_code: str
    rest: int | None
    by_specialty: dict[str, int] = field(default_factory=dict)

    @property
    def run_ids(self) -> list[int]:
        """Every run read from, ascending (what a cursor pins)."""
        ids = set(self.by_specialty.values())
        if self.rest is not None:
            ids.add(self.rest)
        return sorted(ids)

    def run_for(self, specialty: str) -> int | None:
        """The run serving ``specialty``'s lists (None: no run ranked it)."""
        return self.by_specialty.get(specialty, self.rest)

    def segments(self, specialty: str | None = None) -> list[Segment]:
        """What to read, in list order: one specialty, or every specialty of the provider."""
        if specialty is not None:
            run_id = self.run_for(specialty)
            return [] if run_id is None else [Segment(run_id, specialty=specialty)]
        segments: list[Segment] = []
        previous: str | None = None
        for code in sorted(self.by_specialty):
            if self.rest is not None:
                segments.append(Segment(self.rest, after=previous, before=code))
            segments.append(Segment(self.by_specialty[code], specialty=code))
            previous = code
        if self.rest is not None:
            segments.append(Segment(self.rest, after=previous))
        return segments


def plan(provider_code: str, runs_newest: Iterable[RankingRun]) -> ServedRuns:
    """Walk runs newest first: each claims the specialties it ranked that no newer run claimed;
    the first run of every specialty claims the rest and ends the walk."""
    claimed: dict[str, int] = {}
    for run in runs_newest:
        if run.specialties is None:
            return ServedRuns(provider_code, run.id, claimed)
        for code in run.specialties:
            claimed.setdefault(code, run.id)
    return ServedRuns(provider_code, None, claimed)


def latest_served(session: Session, provider_code: str) -> ServedRuns:
    """The runs serving the provider's lists now (empty when it was never ranked)."""
    return plan(provider_code, runs_newest_first(session, provider_code))


def served_by(session: Session, run_ids: Sequence[int]) -> ServedRuns:
    """The same lists again from the runs a cursor pinned (Invalid when they do not fit).

    The runs that served a walk are exactly those that claimed a list, so planning over them
    alone gives the same answer, whatever ran since.
    """
    if not run_ids:
        raise BadRequest("no ranking run named")
    runs = list(
        session.scalars(
            select(RankingRun)
            .where(RankingRun.id.in_(set(run_ids)), RankingRun.completed_at.is_not(None))
            .order_by(RankingRun.completed_at.desc(), RankingRun.id.desc())
        )
    )
    providers = {run.provider_code for run in runs}
    if len(runs) != len(set(run_ids)) or len(providers) != 1:
        raise BadRequest("the ranking runs named do not form one provider's ranked list")
    return plan(providers.pop(), runs)


def single_run(run: RankingRun) -> ServedRuns:
    """Every list of one given run (``run_id`` asked for explicitly)."""
    return plan(run.provider_code, [run])


def resolve_served(
    session: Session,
    *,
    provider_code: str | None,
    specialty: str | None = None,
    run_id: int | None = None,
    pinned: Sequence[int] | None = None,
) -> ServedRuns:
    """The runs a ranked-list request reads: those its cursor ``pinned``, the one ``run_id``
    names, or per list the latest that ranked it. ``provider_code`` may be None when exactly
    one provider has been ranked."""
    if pinned is not None:
        if run_id is not None and list(pinned) != [run_id]:
            raise BadRequest("cursor belongs to another run")
        try:
            served = served_by(session, pinned)
        except BadRequest as exc:
            raise BadRequest(f"invalid cursor: {exc}") from exc
        what = "cursor"
    elif run_id is not None:
        served, what = single_run(get_run(session, run_id)), f"run {run_id}"
    else:
        return _latest(session, provider_code, specialty)
    if provider_code is not None and served.provider_code != provider_code:
        raise BadRequest(f"{what} ranked provider {served.provider_code}, not {provider_code}")
    return served


def _latest(session: Session, provider_code: str | None, specialty: str | None) -> ServedRuns:
    if provider_code is None:
        providers = ranked_providers(session)
        if len(providers) > 1:
            raise BadRequest("provider is required: more than one provider has been ranked")
        if not providers:
            raise NotFound("no ranking run yet")
        provider_code = providers[0]
    served = latest_served(session, provider_code)
    if not served.run_ids or (specialty is not None and served.run_for(specialty) is None):
        scope = f" covering specialty {specialty}" if specialty else ""
        raise NotFound(f"no ranking run of provider {provider_code}{scope}")
    return served

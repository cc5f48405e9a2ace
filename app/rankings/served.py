"""Which stored run serves each list of a provider.

Each list (provider + specialty + stage) is served by one run, named in ``ranking_lists``:
the latest run for today's census that ranked it. A run ranks only the lists that changed,
so a provider's ranked list is a patchwork of runs, one per list; each list switches to a new
run in that run's own transaction. Nothing is rescored: each list is read from its run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.rankings.errors import BadRequest, NotFound
from app.rankings.lists import served_runs
from app.rankings.runs import get_run, ranked_providers
from models import RankingRun, RankingRunList

ListOf = tuple[str, str]
"""(treatment function code, pathway stage)."""


@dataclass(frozen=True, slots=True)
class Segment:
    """One list's rows in one run, in list order."""

    run_id: int
    specialty: str
    stage: str

    @property
    def key(self) -> ListOf:
        return (self.specialty, self.stage)


@dataclass(frozen=True, slots=True)
class ServedRuns:
    """The run serving each list of a provider."""

    provider_code: str
    lists: dict[ListOf, int] = field(default_factory=dict)

    @property
    def run_ids(self) -> list[int]:
        """Every run read from, ascending (what a cursor pins)."""
        return sorted(set(self.lists.values()))

    def run_for(self, specialty: str) -> int | None:
        """A run serving one of ``specialty``'s lists (None: none is served)."""
        found = [run for (tfc, _), run in self.lists.items() if tfc == specialty]
        return max(found) if found else None

    def segments(self, specialty: str | None = None, stage: str | None = None) -> list[Segment]:
        """What to read, in list order: every served list, or those of a specialty / stage."""
        return [
            Segment(run_id, tfc, st)
            for (tfc, st), run_id in sorted(self.lists.items())
            if (specialty is None or tfc == specialty) and (stage is None or st == stage)
        ]


def runs_lists(session: Session, run_ids: Sequence[int]) -> dict[int, list[ListOf]]:
    """The lists each run ranked."""
    rows = session.execute(
        select(
            RankingRunList.run_id,
            RankingRunList.treatment_function_code,
            RankingRunList.pathway_stage,
        ).where(RankingRunList.run_id.in_(sorted(set(run_ids))))
    )
    found: dict[int, list[ListOf]] = {}
    for run_id, tfc, stage in rows:
        found.setdefault(int(run_id), []).append((tfc, stage))
    return found


def latest_served(session: Session, provider_code: str) -> ServedRuns:
    """The runs serving the provider's lists now (empty when it was never ranked)."""
    return ServedRuns(provider_code, served_runs(session, provider_code))


def served_by(session: Session, run_ids: Sequence[int]) -> ServedRuns:
    """The same lists again from the runs a cursor pinned (BadRequest when they do not fit).

    Each list comes from the newest pinned run that ranked it: the runs that served a walk
    are exactly those that were serving a list, so whatever ran since does not change it.
    """
    if not run_ids:
        raise BadRequest("no ranking run named")
    runs = session.execute(  # ids and providers only: a page is read on every request
        select(RankingRun.id, RankingRun.provider_code)
        .where(RankingRun.id.in_(set(run_ids)), RankingRun.completed_at.is_not(None))
        .order_by(RankingRun.completed_at, RankingRun.id)
    ).all()
    providers = {provider for _, provider in runs}
    if len(runs) != len(set(run_ids)) or len(providers) != 1:
        raise BadRequest("the ranking runs named do not form one provider's ranked list")
    ranked = runs_lists(session, [int(run_id) for run_id, _ in runs])
    lists: dict[ListOf, int] = {}
    for run_id, _ in runs:  # oldest first: newer runs overwrite the lists they ranked
        for key in ranked.get(int(run_id), []):
            lists[key] = int(run_id)
    return ServedRuns(providers.pop(), lists)


def single_run(session: Session, run: RankingRun) -> ServedRuns:
    """Every list of one given run (``run_id`` asked for explicitly)."""
    ranked = runs_lists(session, [run.id]).get(run.id, [])
    return ServedRuns(run.provider_code, {key: run.id for key in ranked})


def resolve_served(
    session: Session,
    *,
    provider_code: str | None,
    specialty: str | None = None,
    run_id: int | None = None,
    pinned: Sequence[int] | None = None,
) -> ServedRuns:
    """The runs a ranked-list request reads: those its cursor ``pinned``, the one ``run_id``
    names, or per list the one serving it. ``provider_code`` may be None when exactly one
    provider has been ranked."""
    if pinned is not None:
        if run_id is not None and list(pinned) != [run_id]:
            raise BadRequest("cursor belongs to another run")
        try:
            served = served_by(session, pinned)
        except BadRequest as exc:
            raise BadRequest(f"invalid cursor: {exc}") from exc
        what = "cursor"
    elif run_id is not None:
        served, what = single_run(session, get_run(session, run_id)), f"run {run_id}"
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

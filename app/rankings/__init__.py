"""Ranking runs (stored snapshots), the ranked list read path, overrides and rationales.

Plain functions taking a session; none commits (the request or command does, once).
"""

from app.rankings.errors import Conflict, Invalid, NotFound, RankingError, RankingFailed
from app.rankings.overrides import (
    active_overrides,
    create_override,
    list_overrides,
    revoke_override,
)
from app.rankings.ranked import RankedFilters, iter_ranked, ranked_page, specialty_names
from app.rankings.rationale import Rationale, entry_rationale
from app.rankings.runs import (
    census_moment,
    get_run,
    latest_run,
    list_runs,
    ranked_providers,
    run_ranking,
)

__all__ = [
    "Conflict",
    "Invalid",
    "NotFound",
    "RankedFilters",
    "RankingError",
    "RankingFailed",
    "Rationale",
    "active_overrides",
    "census_moment",
    "create_override",
    "entry_rationale",
    "get_run",
    "iter_ranked",
    "latest_run",
    "list_overrides",
    "list_runs",
    "ranked_page",
    "ranked_providers",
    "revoke_override",
    "run_ranking",
    "specialty_names",
]

"""Ranking runs (stored snapshots), the ranked list read path, overrides and rationales.

Plain functions taking a session; none commits (the request or command does, once).
"""

from app.rankings.errors import (
    BadRequest,
    Conflict,
    Invalid,
    NotFound,
    RankingError,
    RankingFailed,
)
from app.rankings.overrides import (
    active_overrides,
    create_override,
    list_overrides,
    revoke_override,
)
from app.rankings.ranked import (
    RankedFilters,
    iter_ranked,
    priority_code,
    ranked_page,
    specialty_names,
)
from app.rankings.rationale import (
    Rationale,
    entry_rationale,
    find_rationale,
    record_rationale_access,
)
from app.rankings.runs import (
    census_moment,
    get_run,
    latest_run,
    list_runs,
    ranked_providers,
    run_ranking,
)
from app.rankings.served import (
    ServedRuns,
    latest_served,
    resolve_served,
    served_by,
    single_run,
)

__all__ = [
    "BadRequest",
    "Conflict",
    "Invalid",
    "NotFound",
    "RankedFilters",
    "RankingError",
    "RankingFailed",
    "Rationale",
    "ServedRuns",
    "active_overrides",
    "census_moment",
    "create_override",
    "entry_rationale",
    "find_rationale",
    "get_run",
    "iter_ranked",
    "latest_run",
    "latest_served",
    "list_overrides",
    "list_runs",
    "priority_code",
    "ranked_page",
    "ranked_providers",
    "record_rationale_access",
    "resolve_served",
    "revoke_override",
    "run_ranking",
    "served_by",
    "single_run",
    "specialty_names",
]

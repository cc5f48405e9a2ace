"""Equity impact simulation: book a PTL week by week under several rule sets and compare.

Each week every list is ranked with the engine (``rank_ptl``), the top ``capacity`` entries of
each list are treated, new referrals join, and the census date moves on seven days. The
conventional order (priority, then longest wait) is always simulated alongside. Pure: the
standard library and numpy only. The model and every metric: docs/simulation.md.
"""

from prioritisation.simulation.comparison import (
    BandGap,
    DelayVersusConventional,
    GapShare,
    OfferSummary,
)
from prioritisation.simulation.model import (
    CONVENTIONAL,
    DEFAULT_SEED,
    MAX_WEEKS,
    SHIPPED_DEFAULT,
    SimulationResult,
    simulate,
)
from prioritisation.simulation.offers import OfferModel
from prioritisation.simulation.outcomes import (
    ETHNIC_GROUP_LABELS,
    IMD_QUINTILE_LABELS,
    EndOfHorizon,
    GroupChange,
    PriorityBreaches,
    RuleSetOutcome,
    WeekPoint,
)
from prioritisation.simulation.plan import RECENT_WEEKS, BandPlan, ListPlan, list_codes
from prioritisation.simulation.support import (
    DEFAULT_SUPPORT_EFFECT,
    DEFAULT_SUPPORT_PER_WEEK,
    SupportIntervention,
    supported_name,
)

__all__ = [
    "CONVENTIONAL",
    "DEFAULT_SEED",
    "DEFAULT_SUPPORT_EFFECT",
    "DEFAULT_SUPPORT_PER_WEEK",
    "ETHNIC_GROUP_LABELS",
    "IMD_QUINTILE_LABELS",
    "MAX_WEEKS",
    "RECENT_WEEKS",
    "SHIPPED_DEFAULT",
    "BandGap",
    "BandPlan",
    "DelayVersusConventional",
    "EndOfHorizon",
    "GapShare",
    "GroupChange",
    "ListPlan",
    "OfferModel",
    "OfferSummary",
    "PriorityBreaches",
    "RuleSetOutcome",
    "SimulationResult",
    "SupportIntervention",
    "WeekPoint",
    "list_codes",
    "simulate",
    "supported_name",
]

"""Pure numpy scoring core: rule documents, vectorised scorer, guardrails, ranks, explanations.

Imports only the standard library, numpy and pydantic, so the API, the batch job and the
impact simulator can all share it. See docs/scoring.md for the exact formula.
"""

from prioritisation.bounds import (
    RuleBoundsError,
    RuleProblem,
    bounds_problems,
    default_bounds_problems,
    validate_against_bounds,
)
from prioritisation.engine import as_census_day, rank_ptl
from prioritisation.guardrails import breach_day, rtt_weeks
from prioritisation.inputs import FlagMatrix, Overrides, PtlArrays
from prioritisation.result import RankingResult
from prioritisation.rulebook import (
    ReviewWarning,
    RuleBook,
    load_default_rule_set,
    load_default_rules,
    review_warnings,
    shipped_bounds_problems,
)
from prioritisation.rules import RuleSet
from prioritisation.scoring import COMPONENTS, EQUITY_COMPONENTS

__all__ = [
    "COMPONENTS",
    "EQUITY_COMPONENTS",
    "FlagMatrix",
    "Overrides",
    "PtlArrays",
    "RankingResult",
    "ReviewWarning",
    "RuleBook",
    "RuleBoundsError",
    "RuleProblem",
    "RuleSet",
    "as_census_day",
    "bounds_problems",
    "breach_day",
    "default_bounds_problems",
    "load_default_rule_set",
    "load_default_rules",
    "rank_ptl",
    "review_warnings",
    "rtt_weeks",
    "shipped_bounds_problems",
    "validate_against_bounds",
]

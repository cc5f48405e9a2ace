from datetime import date, timedelta

import numpy as np

from app.rules.preview import compare_rankings, group_labels
from prioritisation import PtlArrays, RuleBook, load_default_rules, rank_ptl

CENSUS = date(2026, 11, 23)
RULES = load_default_rules()


def _arrays(rows):
    """rows: (pathway, priority, wait days, IMD decile, ethnic group)."""
    return PtlArrays.from_columns(
        pathway_id=[r[0] for r in rows],
        provider_code=["RKB"] * len(rows),
        treatment_function_code=["110"] * len(rows),
        pathway_stage=["admitted"] * len(rows),
        priority_code=[r[1] for r in rows],
        rtt_clock_start=np.array(
            [np.datetime64(CENSUS - timedelta(days=r[2])) for r in rows], dtype="datetime64[D]"
        ),
        imd_decile=np.array([r[3] for r in rows], dtype=np.int8),
        ethnic_group=[r[4] for r in rows],
    )


def _default_with(**changes):
    document = RULES.default.model_dump(mode="json")
    for path, value in changes.items():
        *parents, leaf = path.split("__")
        node = document
        for key in parents:
            node = node[key]
        node[leaf] = value
    return RuleBook.model_validate({"default": document})


def test_a_draft_that_changes_nothing_moves_nobody():
    arrays = _arrays([("a", "P4", 90, 1, "black"), ("b", "P4", 100, 0, ""), ("c", "P3", 5, 3, "")])
    ranked = rank_ptl(arrays, RULES, CENSUS)
    body = compare_rankings(ranked, rank_ptl(arrays, RULES, CENSUS), group_labels(arrays))
    assert (body.entries_compared, body.overall.moved) == (3, 0)
    unknown = next(g for g in body.by_ethnic_group if g.group == "unknown")
    assert (unknown.entries, unknown.mean_rank_change, unknown.percentile_change) == (2, 0.0, 0.0)
    assert next(g for g in body.by_imd_quintile if g.group == "unknown").entries == 1
    assert body.guardrails.priority_order_kept


def test_losing_protection_and_moving_behind_an_unprotected_entry_is_reported():
    # Now a 50-day margin before 52 weeks protects p (320 days); the draft's 35 days does not,
    # and x (300 days + 21) overtakes it.
    arrays = _arrays([("p", "P4", 320, 10, "white"), ("x", "P4", 300, 1, "asian")])
    current = rank_ptl(arrays, _default_with(guardrails__long_wait_margin_days=50), CENSUS)
    draft = rank_ptl(arrays, RULES, CENSUS)
    body = compare_rankings(current, draft, group_labels(arrays))
    assert current.rank.tolist() == [1, 2] and draft.rank.tolist() == [2, 1]
    assert body.guardrails.lost_protection == 1
    assert body.guardrails.protected_moved_back == 1
    assert body.overall.max_abs_change == 1


def test_protected_entries_reordered_among_themselves_are_counted_apart():
    # Uplift never reorders protected entries, but a wider margin protects both p and q, and
    # protected entries are ordered by wait: p loses the place its uplift gave it (320 + 21).
    arrays = _arrays([("p", "P4", 320, 1, "black"), ("q", "P4", 325, 10, "white")])
    current = rank_ptl(arrays, RULES, CENSUS)
    draft = rank_ptl(arrays, _default_with(guardrails__long_wait_margin_days=50), CENSUS)
    body = compare_rankings(current, draft, group_labels(arrays))
    assert current.rank.tolist() == [1, 2] and draft.rank.tolist() == [2, 1]
    assert body.guardrails.protected_moved_back == 0
    assert body.guardrails.protected_moved_later_among_protected == 1
    black = next(g for g in body.by_ethnic_group if g.group == "black")
    assert (black.mean_rank_change, black.share_moved_earlier, black.percentile_change) == (
        1.0,
        0.0,
        50.0,
    )

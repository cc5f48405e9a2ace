"""A synthetic strained list whose deprivation gap comes from deferrals rising with deprivation.

Built as the research model of a strained list describes it: most P2 and P3 patients past
target, about 40% of entries over 18 weeks, deprived entries with a longer history (their
offers fail more often, so they have waited longer), and weekly capacity per band equal to the
band's referrals, so every band is strained but stable.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from prioritisation import FlagMatrix, PtlArrays
from prioritisation.simulation import RuleSetOutcome

CENSUS = date(2026, 1, 5)
PROVIDER = "RZZ"
SPECIALTIES = {"110": 1.7, "120": 1.2, "502": 1.1, "100": 1.0, "101": 0.9, "130": 0.8}
"""Treatment function → pressure on the time to treatment."""
STAGE_PRESSURE = {"admitted": 1.0, "non_admitted": 0.65}
BASE_WEEKS = {"P2": 12.0, "P3": 30.0, "P4": 26.0}
"""Typical weeks to treatment per band at pressure 1 (a strained list)."""
PRIORITY_MIX = {"P2": 0.12, "P3": 0.33, "P4": 0.50, "P5": 0.05}
DECILE_SHARE = [0.20, 0.18, 0.12, 0.10, 0.08, 0.07, 0.07, 0.06, 0.07, 0.05]
"""A deprived urban trust: quintile 1 about 38%, quintile 5 about 9%."""
INCLUSION = ("learning_disability", "autism", "homeless")


@dataclass(frozen=True)
class GapList:
    arrays: PtlArrays
    capacity: dict[str, dict[str, float]]
    """List key → priority code → patients per week (also the referrals)."""


def gap_list(n: int = 20_000, seed: int = 2, history: float = 0.36) -> GapList:
    """``n`` open pathways of one provider over 6 specialties × 2 stages.

    Waits per list and band are ``U^0.6 × W`` (an older-skewed queue that grew before it
    stabilised) with ``W`` = base weeks × specialty × stage pressure; a deprived entry's wait
    is stretched by up to ``history`` (decile 1 most), the history of its failed offers.
    """
    rng = np.random.default_rng(seed)
    tfcs = rng.choice(list(SPECIALTIES), n)
    stages = rng.choice(list(STAGE_PRESSURE), n, p=[0.55, 0.45])
    priority = rng.choice(list(PRIORITY_MIX), n, p=list(PRIORITY_MIX.values()))
    decile = rng.choice(np.arange(1, 11), n, p=DECILE_SHARE)
    decile = np.where(rng.random(n) < 0.03, 0, decile)  # 3% unknown
    pressure = np.array([SPECIALTIES[t] for t in tfcs]) * np.array(
        [STAGE_PRESSURE[s] for s in stages]
    )
    base = np.array([BASE_WEEKS.get(p, 26.0) for p in priority])
    weeks_to_treat = base * pressure
    stretch = 1 + history * np.clip((5 - decile) / 4, 0, 1) * (decile > 0)
    wait_days = np.floor(rng.random(n) ** 0.6 * weeks_to_treat * 7 * stretch).astype(np.int64)
    stalled = rng.random(n) < 0.15
    wait_days = wait_days + np.where(stalled, rng.exponential(60, n).astype(np.int64), 0)
    blank = (priority == "P4") & (stages == "non_admitted") & (rng.random(n) < 0.3)
    codes = np.where(blank, "", priority)
    ld = rng.random(n) < np.where(decile <= 2, 0.02, 0.01)
    autism = rng.random(n) < 0.01
    homeless = rng.random(n) < np.where(decile <= 2, 0.01, 0.001)
    flags = FlagMatrix(INCLUSION, np.column_stack([ld, autism, homeless]))
    arrays = PtlArrays.from_columns(
        pathway_id=[f"GAP{i:06d}" for i in range(n)],
        provider_code=[PROVIDER] * n,
        treatment_function_code=tfcs,
        pathway_stage=stages,
        priority_code=codes,
        rtt_clock_start=np.datetime64(CENSUS) - wait_days.astype("timedelta64[D]"),
        imd_decile=decile.astype(np.int8),
        inclusion_groups=flags,
    )
    capacity: dict[str, dict[str, float]] = {}
    ranked_as = np.where(codes == "", "P4", codes)
    for tfc in SPECIALTIES:
        for stage in STAGE_PRESSURE:
            mine = (tfcs == tfc) & (stages == stage)
            bands: dict[str, float] = {}
            for code, weeks in BASE_WEEKS.items():
                stock = int((mine & (ranked_as == code)).sum())
                w = weeks * SPECIALTIES[tfc] * STAGE_PRESSURE[stage]
                bands[code] = round(stock / w, 3)
            capacity[f"{PROVIDER}/{tfc}/{stage}"] = bands
    return GapList(arrays, capacity)


def p2_p3_breaches(outcome: RuleSetOutcome) -> int:
    """P2 and P3 patients past target, treated or still waiting: the count the benchmarks
    compare between orderings."""
    return sum(
        (b.treated_over_target or 0) + (b.waiting_over_target or 0)
        for b in outcome.priority_breaches
        if b.priority_code in ("P2", "P3")
    )


def spread(values: Sequence[float | None], scale: float = 1.0, places: int = 1) -> str:
    """Mean ± sample standard deviation over seeds, as the benchmarks print it.

    A seed without a figure (None: a share of a gap when a short horizon treats no one in a
    group) is left out and the count of seeds used is shown; none at all prints "n/a".
    """
    known = [v for v in values if v is not None]
    if not known:
        return "n/a"
    mean = statistics.mean(known) * scale
    sd = statistics.stdev(known) * scale if len(known) > 1 else 0.0
    text = f"{mean:.{places}f} ± {sd:.{places}f}"
    return text if len(known) == len(values) else f"{text} (of {len(known)} seeds)"

"""The deprivation gap closed by support alone, reordering alone and both, on the gap list.

Run with ``python -m bench.support_closure [--seeds 5] [--weeks 26] [--settings 50:0.25,...]``.
Builds the strained gap list of the simulation tests (``bench/gap_list.py``: 20,000 pathways,
a gap carried by deferrals that rise with deprivation), and for each support setting
(``k:effect``: patients supported per week, share of their deferral chance removed) simulates
the conventional order and the shipped default rules, each with and without support, over
several seeds (the seed draws the referrals and the offers' random numbers; the list is
fixed). Prints, as mean ± sd over the seeds, the share of the conventional order's Q1-Q5 gap
in mean wait at treatment closed by support alone, reordering alone and both; what support
changes under each ordering: P2/P3 target breaches and 52-week waiters (counts), and the weeks
spent past target and past 52 weeks (summed); and the share of the support given to
quintile 1. The figures in docs/simulation.md §8 come from this script.
"""

from __future__ import annotations

import argparse
import time

from bench.gap_list import CENSUS, gap_list, p2_p3_breaches, spread
from prioritisation import load_default_rules
from prioritisation.simulation import (
    CONVENTIONAL,
    SupportIntervention,
    simulate,
    supported_name,
)

DEFAULT_SETTINGS = "50:0.25,200:0.25,200:0.5,500:0.5"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--weeks", type=int, default=26)
    parser.add_argument("--settings", default=DEFAULT_SETTINGS)
    args = parser.parse_args()
    gaps = gap_list()
    rules = {"default": load_default_rules()}
    print(
        "k | effect | support alone | reordering alone | both | support's change, "
        "conventional / default: P2/P3 breaches | 52-week waiters | weeks past target | weeks "
        "past 52 | supported in quintile 1"
    )
    for setting in args.settings.split(","):
        per_week, effect = setting.split(":")
        support = SupportIntervention(int(per_week), float(effect))
        started = time.perf_counter()
        alone: list[float] = []
        reorder: list[float] = []
        both: list[float] = []
        q1: list[float] = []
        changes: dict[str, dict[str, list[float]]] = {
            name: {"breaches": [], "long": [], "past": [], "past52": []}
            for name in (CONVENTIONAL, "default")
        }
        for seed in range(1, args.seeds + 1):
            result = simulate(
                gaps.arrays, rules, census_date=CENSUS, weeks=args.weeks, seed=seed,
                capacity=gaps.capacity, referrals_per_week=gaps.capacity, support=support,
            )  # fmt: skip
            assert result.support is not None
            shares = result.support["comparison"][0]
            alone.append(shares["support_alone"])
            reorder.append(shares["reordering_alone"])
            both.append(shares["both"])
            for name, change in changes.items():
                plain, helped = result.outcome(name), result.outcome(supported_name(name))
                change["breaches"].append(float(p2_p3_breaches(helped) - p2_p3_breaches(plain)))
                change["long"].append(float(helped.long_waiters - plain.long_waiters))
                change["past"].append(helped.weeks_past_target - plain.weeks_past_target)
                change["past52"].append(helped.weeks_over_52 - plain.weeks_over_52)
            given = result.outcome(supported_name("default")).offers
            by_quintile = given.supported_by_imd_quintile or {}
            q1.append(by_quintile.get("1", 0) / max(given.supported, 1))
        print(
            f"{support.per_week} | {support.effect:.2f} | {spread(alone, 100, 0)}% | "
            f"{spread(reorder, 100, 0)}% | {spread(both, 100, 0)}% | "
            + " | ".join(
                " / ".join(spread(changes[name][key], places=0) for name in changes)
                for key in ("breaches", "long", "past", "past52")
            )
            + f" | {spread(q1, 100, 0)}%   ({time.perf_counter() - started:.1f} s)",
            flush=True,
        )


if __name__ == "__main__":
    main()

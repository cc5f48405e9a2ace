"""How long a calibration of a 100,000-entry list takes (8 multipliers × 3 seeds × 26 weeks).

Run with ``python -m bench.calibration_benchmark [--entries 100000] [--multipliers 8]
[--seeds 3] [--weeks 26]``. Builds the strained gap list of the simulation tests
(``bench/gap_list.py``) at that size and times ``prioritisation.calibration.calibrate`` with
the shipped default rules, deprivation and inclusion scaling and no refinement steps (so
exactly multipliers × seeds simulated rule sets, plus the conventional order once per seed).
Prints the wall time, the frontier and the choice. The figure in the README comes from it.
"""

from __future__ import annotations

import argparse
import os
import time

from bench.gap_list import CENSUS, gap_list
from prioritisation import load_default_rule_set, load_default_rules
from prioritisation.calibration import calibrate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--multipliers", type=int, default=8)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--weeks", type=int, default=26)
    args = parser.parse_args()
    gaps = gap_list(n=args.entries)
    rules, shipped = load_default_rules(), load_default_rule_set()
    assert shipped.bounds is not None
    started = time.perf_counter()
    result = calibrate(
        gaps.arrays, rules, rules.default, limits_from=shipped, bounds=shipped.bounds,
        census_date=CENSUS, factors=["deprivation", "inclusion"],
        seeds=list(range(1, args.seeds + 1)), weeks=args.weeks,
        multipliers=args.multipliers, refinements=0,
        capacity=gaps.capacity, referrals_per_week=gaps.capacity,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    print(
        f"{args.entries} entries, {len(result.frontier)} multipliers x {args.seeds} seeds x "
        f"{args.weeks} weeks: {elapsed:.1f} s  (cpus: {os.cpu_count()}, "
        f"load average {os.getloadavg()[0]:.1f})"
    )
    print("multiplier | share closed (mean, min-max) | within limits | broken")
    for p in result.frontier:
        print(
            f"{p.multiplier:g} | {p.share_closed or 0:.0%} ({p.share_closed_min or 0:.0%}-"
            f"{p.share_closed_max or 0:.0%}) | {p.within_limits} | {'; '.join(p.limits_broken)}"
        )
    print(f"chosen: {result.chosen_multiplier}")
    if result.unreachable:
        print(result.unreachable.reason)


if __name__ == "__main__":
    main()

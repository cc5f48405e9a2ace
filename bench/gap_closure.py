"""The deprivation gap the shipped default rules close on strained synthetic lists.

Run with ``python -m bench.gap_closure [--seeds 5] [--weeks 26]``. Builds the gap list of the
simulation tests (``bench/gap_list.py``: 20,000 pathways, most P2/P3 past target) with
deprived patients' histories stretched by several amounts, simulates each with the shipped
default rules and the conventional order over several seeds, and prints the conventional
Q1-Q5 gap in mean wait at treatment, the share the defaults close, the extra P2/P3 target
breaches and 52-week waiters (mean ± sd over seeds), the largest quintile median rise and the
largest delay of a patient already past target. The figures in docs/simulation.md §7 come
from this script.
"""

from __future__ import annotations

import argparse
import time

from bench.gap_list import CENSUS, gap_list, p2_p3_breaches, spread
from prioritisation import load_default_rules
from prioritisation.simulation import CONVENTIONAL, simulate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--weeks", type=int, default=26)
    parser.add_argument("--histories", default="0.2,0.36,0.5,0.7")
    args = parser.parse_args()
    rules = {"default": load_default_rules()}
    print(
        "history | conventional gap (wk) | closed by the defaults | extra P2/P3 breaches | "
        "extra 52-week waiters | largest quintile median rise (wk) | most delayed past "
        "target (wk)"
    )
    for history in (float(h) for h in args.histories.split(",")):
        gaps = gap_list(history=history)
        started = time.perf_counter()
        rows = []
        for seed in range(1, args.seeds + 1):
            result = simulate(
                gaps.arrays, rules, census_date=CENSUS, weeks=args.weeks, seed=seed,
                capacity=gaps.capacity, referrals_per_week=gaps.capacity,
            )  # fmt: skip
            rows.append((result.outcome(CONVENTIONAL), result.outcome("default")))
        gap = [c.deprivation_gap.mean_weeks or 0.0 for c, _ in rows]
        closed = [d.gap_closed.mean or 0.0 for _, d in rows if d.gap_closed]
        extra = [float(p2_p3_breaches(d) - p2_p3_breaches(c)) for c, d in rows]
        long = [float(d.long_waiters - c.long_waiters) for c, d in rows]
        rises = [
            max(
                x.median_change_weeks or 0.0
                for x in d.versus_conventional
                if x.dimension == "imd_quintile"
            )
            for _, d in rows
        ]
        delayed = [(d.delay.max_delay_past_target_weeks or 0.0) for _, d in rows if d.delay]
        print(
            f"{history:.2f} | {spread(gap, places=2)} | {spread(closed, 100, 0)}% | "
            f"{spread(extra, places=0)} | {spread(long, places=0)} | {max(rises):.1f} | "
            f"{max(delayed):.0f}   ({time.perf_counter() - started:.1f} s)"
        )


if __name__ == "__main__":
    main()

"""Benchmark: simulate 52 weeks of booking a 100,000-entry PTL under four rule sets.

Run with ``python -m bench.simulation_benchmark [--rows N] [--weeks W]``. The list is the demo
generator's synthetic PTL (real LSOA codes, so IMD and domain deciles come from the shipped
IoD 2019 file); the rule sets are the conventional order, the shipped default, the default with
every deprivation uplift at its bound (2x), and the default weighting the barriers domain.
Capacity, referrals and failed offers take their documented defaults. Prints wall time, peak
memory allocated (tracemalloc, a separate run) and peak RSS. Target: under 10 s on the
reference machine.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import resource
import time
import tracemalloc
from datetime import date
from typing import Any

import numpy as np

from app.demo import generate_ptl
from app.demo.reference import IMD_2019_FILE, REFERENCE_DIR
from app.ingest.imd_lookup import ImdLookup
from prioritisation import FlagMatrix, PtlArrays, RuleBook, load_default_rules
from prioritisation.codes import IMD_DOMAINS
from prioritisation.simulation import SupportIntervention, simulate

CENSUS = date(2026, 11, 23)


def demo_arrays(rows: int, seed: int = 20261123) -> PtlArrays:
    """The demo generator's PTL as the engine's arrays, as ``app.ptl_arrays`` would load it."""
    columns = generate_ptl(rows, seed=seed, census_date=CENSUS)
    with (REFERENCE_DIR / "ethnic_categories.csv").open(newline="", encoding="utf-8") as handle:
        broad = {row["code"]: row["broad_group"] for row in csv.DictReader(handle)}
    category = np.array(columns["ethnic_category"], dtype=str)
    uniques, inverse = np.unique(category, return_inverse=True)
    group = np.array([broad.get(c, "") for c in uniques.tolist()], dtype=str)[inverse]
    lookup = ImdLookup.from_iod_csv(IMD_2019_FILE, "iod2019")
    lsoa = np.array(["" if v is None else v for v in columns["lsoa_code"]], dtype=str)
    decile = np.array([0 if v is None else int(v) for v in columns["imd_decile"]], dtype=np.int8)

    def text(name: str) -> np.ndarray[Any, Any]:
        return np.array(["" if v is None else str(v) for v in columns[name]], dtype=str)

    return PtlArrays.from_columns(
        pathway_id=text("pathway_id"),
        provider_code=text("provider_code"),
        treatment_function_code=text("treatment_function_code"),
        pathway_stage=text("pathway_stage"),
        priority_code=text("priority_code"),
        rtt_clock_start=np.asarray(columns["rtt_clock_start"]).astype("datetime64[D]"),
        imd_decile=decile,
        imd_domain_deciles={d: lookup.lookup_domain(lsoa, d)[0] for d in IMD_DOMAINS},
        ethnic_category=category,
        ethnic_group=group,
        inclusion_groups=FlagMatrix.from_strings(text("inclusion_groups")),
        clinical_areas=FlagMatrix.from_strings(text("clinical_areas")),
        rtt_status=text("rtt_status"),
    )


def benchmark_rule_books() -> dict[str, RuleBook]:
    """The shipped default and two variants of it (the conventional order is always added)."""
    default = load_default_rules()
    document = default.default.model_dump(mode="json")
    deprivation = document["deprivation"]
    bound = default.default.bounds.uplift_max_multiplier if default.default.bounds else 1.0
    stronger = {
        **document,
        "version": "bench-deprivation-at-bound",
        "deprivation": {
            **deprivation,
            "decile_uplift_days": {
                k: round(v * bound, 2) for k, v in deprivation["decile_uplift_days"].items()
            },
        },
    }
    barriers = {
        **document,
        "version": "bench-barriers",
        "deprivation": {**deprivation, "imd_measure": "barriers"},
    }
    return {
        "default": default,
        "deprivation_at_bound": RuleBook.model_validate({"default": stronger}),
        "barriers_domain": RuleBook.model_validate({"default": barriers}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--support",
        action="store_true",
        help="also simulate every rule set with the default support intervention (as the API "
        "does by default)",
    )
    args = parser.parse_args()

    arrays = demo_arrays(args.rows)
    books = benchmark_rule_books()

    def run() -> Any:
        support = SupportIntervention() if args.support else None
        return simulate(
            arrays, books, census_date=CENSUS, weeks=args.weeks, seed=1, support=support
        )

    best = best_cpu = float("inf")
    result = None
    for _ in range(args.repeats):
        start, cpu = time.perf_counter(), time.process_time()
        result = run()
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    assert result is not None
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    print(f"machine: {platform.machine()} {platform.processor() or ''}, {os.cpu_count()} cores")
    print(f"numpy {np.__version__}, python {platform.python_version()}")
    print(
        f"rows: {args.rows:,} in {len(result.lists)} lists; weeks: {args.weeks}; rule sets: "
        f"{', '.join(o.name for o in result.rule_sets)}; new referrals: {result.new_referrals:,}"
    )
    print(
        f"simulate: {best:.2f} s wall, {best_cpu:.2f} s CPU (best of {args.repeats}); target < 10 s"
    )
    print(f"peak memory allocated by simulate (tracemalloc): {peak / 2**20:.0f} MiB")
    print(f"peak RSS of the whole process (inputs included): {rss_kib / 1024:.0f} MiB")
    for outcome in result.rule_sets:
        gap = outcome.deprivation_gap.mean_weeks
        print(
            f"  {outcome.name:<20} treated {outcome.treated.count:>7,}  median "
            f"{outcome.treated.median_weeks or 0:6.2f} wk  Q1-Q5 mean gap {gap or 0:+6.2f} wk  "
            f"over target treated {outcome.treated_over_target:>6,} "
            f"waiting {outcome.waiting_over_target:>6,}"
        )


if __name__ == "__main__":
    main()

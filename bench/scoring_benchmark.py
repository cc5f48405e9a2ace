"""Benchmark: score and rank 1,000,000 PTL entries across 20 specialties.

Run with ``python -m bench.scoring_benchmark [--rows N] [--baseline-rows M]``. Prints the best
of several timed runs of ``rank_ptl`` (from strings, and on entries coded once), the peak
memory it allocates (tracemalloc, a separate run), the process's peak RSS, and the ratio to
the per-row Python baseline. The baseline is
timed on a smaller sample and extrapolated linearly (it is O(n) apart from a per-list sort).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time
import tracemalloc
from datetime import date

import numpy as np

from bench.baseline_scoring import score_rows
from prioritisation import FlagMatrix, PtlArrays, RuleBook, load_default_rules, rank_ptl
from prioritisation.coded import CodedPtl

CENSUS = date(2026, 11, 23)
SPECIALTIES = (
    "100", "101", "110", "120", "130", "140", "150", "160", "170", "300",
    "301", "320", "330", "340", "400", "410", "430", "502", "103", "104",
)  # fmt: skip
PRIORITIES = np.array(["P1a", "P1b", "P2", "P3", "P4", "P5", "P6", ""])
PRIORITY_SHARE = np.array([0.005, 0.01, 0.10, 0.30, 0.50, 0.03, 0.02, 0.035])
CATEGORIES = np.array([*"ABCDEFGHJKLMNPRS", "Z", "99", ""])
GROUPS = {
    **dict.fromkeys("ABC", "white"),
    **dict.fromkeys("DEFG", "mixed"),
    **dict.fromkeys("HJKL", "asian"),
    **dict.fromkeys("MNP", "black"),
    **dict.fromkeys("RS", "other"),
    "Z": "not_stated",
    "99": "not_known",
    "": "",
}
STATUSES = np.array(["", "10", "20", "30", "31", "32", "99"])
STATUS_SHARE = np.array([0.5, 0.2, 0.2, 0.03, 0.03, 0.02, 0.02])


def _groups(category: np.ndarray) -> np.ndarray:
    uniques, inverse = np.unique(category, return_inverse=True)
    return np.array([GROUPS[c] for c in uniques.tolist()], dtype=str)[inverse]


def synthetic_ptl(rows: int, seed: int = 7) -> PtlArrays:
    """A PTL with realistic shares of priorities, waits, deprivation, ethnicity and flags."""
    rng = np.random.default_rng(seed)
    rules = load_default_rules().default
    assert rules.vocabulary is not None
    inclusion_codes = tuple(rules.vocabulary.inclusion_groups)
    area_codes = tuple(rules.vocabulary.clinical_areas)
    category = rng.choice(CATEGORIES, rows, p=[0.05] * 16 + [0.1, 0.05, 0.05])
    ids = np.strings.add("RX", np.strings.zfill(rng.permutation(rows).astype(str), 8))
    starts = np.datetime64(CENSUS) - rng.integers(-10, 900, rows).astype("timedelta64[D]")
    return PtlArrays.from_columns(
        pathway_id=ids,
        provider_code=rng.choice(np.array(["RKB", "RRK"]), rows),
        treatment_function_code=rng.choice(np.array(SPECIALTIES), rows),
        pathway_stage=rng.choice(np.array(["admitted", "non_admitted"]), rows),
        priority_code=rng.choice(PRIORITIES, rows, p=PRIORITY_SHARE),
        rtt_clock_start=starts,
        imd_decile=rng.integers(0, 11, rows).astype(np.int8),
        imd_domain_deciles={"barriers": rng.integers(0, 11, rows).astype(np.int8)},
        ethnic_category=category,
        ethnic_group=_groups(category),
        inclusion_groups=FlagMatrix(
            inclusion_codes, rng.random((rows, len(inclusion_codes))) < 0.02
        ),
        clinical_areas=FlagMatrix(area_codes, rng.random((rows, len(area_codes))) < 0.03),
        rtt_status=rng.choice(STATUSES, rows, p=STATUS_SHARE),
    )


def benchmark_rules() -> RuleBook:
    """The default plus four specialty rule sets that exercise every factor and option."""
    book = load_default_rules()
    base = book.default.model_dump(mode="json")
    base.pop("bounds"), base.pop("vocabulary"), base.pop("rationale")

    def variant(code: str, **changes: dict[str, object]) -> dict[str, object]:
        doc = {**base, "rule_set_id": code, "version": f"{code}-2026.1"}
        for section, values in changes.items():
            doc[section] = {**base[section], **values}
        return doc

    specialties = [
        variant("110", deprivation={"imd_measure": "barriers"}),
        variant(
            "130",
            ethnicity={
                "enabled": True,
                "group_uplift_days": {"black": 7.0, "asian": 7.0},
                "category_uplift_days": {"K": 10.0},
                "evidence_reference": "Ophthalmology equity audit 2026/03",
                "approved_by": "Clinical lead, ophthalmology",
                "review_date": "2027-03-31",
            },
        ),
        variant("340", clinical_area={"enabled": True}, core20={"enabled": True}),
        variant("502", inclusion={"combine": "sum"}),
    ]
    return RuleBook.model_validate(
        {
            "default": book.default.model_dump(mode="json"),
            "specialties": {d["rule_set_id"]: d for d in specialties},
        }
    )


def _best_seconds(function: object, repeats: int) -> float:
    assert callable(function)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--baseline-rows", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    rules = benchmark_rules()
    arrays = synthetic_ptl(args.rows)
    sample = synthetic_ptl(args.baseline_rows, seed=11)

    def run() -> object:
        return rank_ptl(arrays, rules, CENSUS)

    result = rank_ptl(arrays, rules, CENSUS)  # warm-up
    seconds = _best_seconds(run, args.repeats)
    coded = CodedPtl.from_arrays(arrays)
    coding = _best_seconds(lambda: CodedPtl.from_arrays(arrays), 1)
    coded_seconds = _best_seconds(lambda: rank_ptl(coded, rules, CENSUS), args.repeats)
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    baseline = _best_seconds(lambda: score_rows(sample, rules, CENSUS), 1)
    vector_sample = _best_seconds(lambda: rank_ptl(sample, rules, CENSUS), 3)
    baseline_full = baseline * args.rows / args.baseline_rows

    lists = len(result.list_keys)
    print(f"machine: {platform.machine()} {platform.processor() or ''}, {os.cpu_count()} cores")
    print(f"numpy {np.__version__}, python {platform.python_version()}")
    print(f"rows: {args.rows:,} in {lists} lists across {len(SPECIALTIES)} specialties")
    print(f"rank_ptl: {seconds:.3f} s (best of {args.repeats})")
    print(
        f"rank_ptl on entries coded once (CodedPtl): {coded_seconds:.3f} s "
        f"(best of {args.repeats}); coding them: {coding:.3f} s"
    )
    print(f"peak memory allocated by rank_ptl (tracemalloc): {peak / 2**20:.0f} MiB")
    print(f"peak RSS of the whole process (inputs included): {rss_kib / 1024:.0f} MiB")
    print(
        f"baseline (per-row Python): {baseline:.2f} s for {args.baseline_rows:,} rows "
        f"(vectorised: {vector_sample * 1000:.1f} ms); "
        f"extrapolated linearly to {args.rows:,}: {baseline_full:.0f} s"
    )
    print(f"speed-up over the baseline: {baseline_full / seconds:,.0f}×")
    print(
        f"parked: {int(result.parked.sum()):,}; protected: {int(result.protected.sum()):,}; "
        f"capped: {int(result.capped.sum()):,}"
    )


if __name__ == "__main__":
    main()

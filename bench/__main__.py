"""Run every benchmark in turn (``make bench``); each prints its own measured figures."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

BENCHMARKS = (
    "bench.scoring_benchmark",
    "bench.ingest_benchmark",
    "bench.ranked_read_benchmark",
    "bench.background_benchmark",
    "bench.simulation_benchmark",
    "bench.gap_closure",
    "bench.support_closure",
    "bench.calibration_benchmark",
    "bench.risk_model_benchmark",
    "bench.risk_training_job_benchmark",
    "bench.load_benchmark",
)


def main() -> int:
    failures = 0
    for module in BENCHMARKS:
        if importlib.util.find_spec(module) is None:
            print(f"== {module}: not present", flush=True)
            continue
        print(f"== {module}", flush=True)
        failures += subprocess.run([sys.executable, "-m", module], check=False).returncode != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

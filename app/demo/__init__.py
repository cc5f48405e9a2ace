"""Synthetic demo data: a deterministic PTL generator and a deliberately messy sample file.

Only synthetic data ever lives in the repository: NHS numbers come from the never-issued 999
range and every other value is drawn from documented distributions (docs/demo-data.md).
"""

from app.demo.bad_rows import BadPtl, ExpectedError, build_bad_ptl, write_bad_csv
from app.demo.generator import generate_ptl, patient_count
from app.demo.writer import write_ptl_csv
from app.ingest.columns import CANONICAL_COLUMNS

__all__ = [
    "CANONICAL_COLUMNS",
    "BadPtl",
    "ExpectedError",
    "build_bad_ptl",
    "generate_ptl",
    "patient_count",
    "write_bad_csv",
    "write_ptl_csv",
]

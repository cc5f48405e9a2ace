"""Read the shipped reference tables, so the generator only ever emits codes the service knows."""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterable
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "reference_data"
IMD_2019_FILE = REFERENCE_DIR / "imd" / "iod2019_lsoa11_scores_ranks_deciles.csv.gz"
IMD_LSOA_COLUMN = "LSOA code (2011)"
IMD_DECILE_COLUMN = (
    "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)"
)


@cache
def reference_codes(table: str) -> tuple[str, ...]:
    """The ``code`` column of ``app/reference_data/<table>.csv``, in file order."""
    with (REFERENCE_DIR / f"{table}.csv").open(newline="", encoding="utf-8") as handle:
        return tuple(row["code"].strip() for row in csv.DictReader(handle))


def check_codes(table: str, codes: Iterable[str]) -> None:
    """Fail loudly if a distribution names a code the reference table does not hold."""
    known = set(reference_codes(table))
    missing = sorted({str(code) for code in codes} - known)
    if missing:
        raise ValueError(f"codes not in {table}.csv: {', '.join(missing)}")


@lru_cache(maxsize=2)
def _read_imd(path: Path) -> tuple[NDArray[np.str_], NDArray[np.int8]]:
    with gzip.open(path, "rt", newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = [name.strip() for name in next(reader)]
        code_at, decile_at = header.index(IMD_LSOA_COLUMN), header.index(IMD_DECILE_COLUMN)
        codes: list[str] = []
        deciles: list[int] = []
        for row in reader:
            codes.append(row[code_at].strip())
            deciles.append(int(row[decile_at]))
    code_array = np.array(codes, dtype=np.str_)
    code_array.flags.writeable = False
    decile_array = np.array(deciles, dtype=np.int8)
    decile_array.flags.writeable = False
    return code_array, decile_array


def imd_2019_lsoas(path: Path = IMD_2019_FILE) -> tuple[NDArray[np.str_], NDArray[np.int8]]:
    """LSOA codes and IMD deciles of the shipped IoD 2019 lookup (read once, then cached)."""
    return _read_imd(path)

"""Synthetic identifiers: NHS numbers from the never-issued 999 range and PAS-like pathway ids."""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

#: NHS numbers 999 000 0000 - 999 999 9999 are valid but never issued: safe for synthetic data.
SYNTHETIC_PREFIX_FIRST = 999_000_000
SYNTHETIC_PREFIX_COUNT = 1_000_000
_WEIGHTS = np.arange(10, 1, -1, dtype=np.int64)  # 10..2 on the first nine digits
_PROVIDER_CODE = re.compile(r"[A-Z0-9]{3,5}")
PATHWAY_ID_DIGITS = 9


def nhs_check_digits(prefixes: NDArray[np.int64]) -> NDArray[np.int64]:
    """Modulus-11 check digit of each nine-digit prefix; 10 marks a prefix with no valid number."""
    digits = (prefixes[:, None] // 10 ** np.arange(8, -1, -1, dtype=np.int64)) % 10
    check = 11 - (digits @ _WEIGHTS) % 11
    return np.where(check == 11, 0, check)


@lru_cache(maxsize=1)
def synthetic_nhs_numbers() -> NDArray[np.int64]:
    """Every valid NHS number in the 999 range (about 909,000), ascending; read-only and cached."""
    prefixes = SYNTHETIC_PREFIX_FIRST + np.arange(SYNTHETIC_PREFIX_COUNT, dtype=np.int64)
    check = nhs_check_digits(prefixes)
    valid = check != 10
    numbers: NDArray[np.int64] = prefixes[valid] * 10 + check[valid]
    numbers.flags.writeable = False
    return numbers


def sample_nhs_numbers(rng: np.random.Generator, count: int) -> NDArray[np.int64]:
    """``count`` distinct synthetic NHS numbers in random order."""
    pool = synthetic_nhs_numbers()
    if count > pool.size:
        raise ValueError(f"only {pool.size} synthetic NHS numbers exist; asked for {count}")
    return rng.choice(pool, size=count, replace=False, shuffle=True)


def normalise_provider_code(provider_code: str) -> str:
    """Upper-case ODS code of 3-5 letters/digits, as the interchange format requires."""
    code = provider_code.strip().upper()
    if not _PROVIDER_CODE.fullmatch(code):
        raise ValueError(f"provider_code must be 3-5 letters or digits, got {provider_code!r}")
    return code


def pathway_ids(
    rng: np.random.Generator, provider_code: str, clock_start: NDArray[np.datetime64]
) -> NDArray[np.str_]:
    """Unique ids like ``RZZ004718823``, allocated in clock-start order as a PAS would.

    Sequence numbers grow by small random gaps (other pathways of the trust, since closed), so
    ids are unique, at most 14 characters, and older pathways carry lower numbers.
    """
    count = clock_start.size
    if not count:  # np.strings.zfill cannot size an empty array
        return np.empty(0, dtype=f"U{len(provider_code) + PATHWAY_ID_DIGITS}")
    gaps = rng.integers(1, 40, size=count, dtype=np.int64)
    sequence = 1_000_000 + np.cumsum(gaps)
    if count and int(sequence[-1]) >= 10**PATHWAY_ID_DIGITS:
        raise ValueError("too many rows for the pathway id sequence")
    numbers = np.empty(count, dtype=np.int64)
    numbers[np.argsort(clock_start, kind="stable")] = sequence
    digits = np.strings.zfill(numbers.astype(f"U{PATHWAY_ID_DIGITS}"), PATHWAY_ID_DIGITS)
    return np.strings.add(provider_code, digits)

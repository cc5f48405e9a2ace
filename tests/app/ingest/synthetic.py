"""Synthetic, valid PTL CSVs of any size (NHS numbers only from the never-issued 999 range)."""

from __future__ import annotations

from datetime import date

import numpy as np

HEADER = (
    "pathway_id,nhs_number,provider_code,treatment_function_code,pathway_stage,priority_code,"
    "rtt_clock_start,date_of_birth,sex,ethnic_category,lsoa_code,imd_decile,inclusion_groups,"
    "clinical_areas,site_code,priority_set_date,procedure_code,last_validated_date,rtt_status"
)

_TFC = ["100", "101", "110", "120", "130", "330", "502"]
_ETHNIC = [*"ABCDEFGHJKLMNPRS", "Z", "99", ""]
_GROUPS = ["", "", "", "", "homeless", "learning_disability;autism", "carer", "interpreter_needed"]
_AREAS = ["", "", "", "", "", "smi", "chronic_respiratory;hypertension"]
_PRIORITIES = ["P1b", "P2", "P3", "P4", "P5"]


def synthetic_nhs_numbers(count: int, rng: np.random.Generator) -> list[str]:
    """Valid NHS numbers 999xxxxxxC (never issued); check digits of 10 are re-drawn."""
    out: list[str] = []
    while len(out) < count:
        body = rng.integers(0, 10, size=(count, 9))
        body[:, :3] = 9
        check = 11 - (body @ np.arange(10, 1, -1)) % 11
        check[check == 11] = 0
        keep = check != 10
        digits = np.concatenate([body[keep], check[keep, None]], axis=1)
        out.extend("".join(map(str, row)) for row in digits.tolist())
    return out[:count]


def synthetic_ptl_csv(rows: int, *, seed: int = 7, today: date = date(2026, 11, 23)) -> bytes:
    """A valid PTL of ``rows`` rows in the canonical layout, both date formats mixed."""
    rng = np.random.default_rng(seed)
    nhs = synthetic_nhs_numbers(rows, rng)
    end = np.datetime64(today, "D")
    clock = end - rng.integers(0, 900, size=rows).astype("timedelta64[D]")
    birth = clock - rng.integers(365, 90 * 365, size=rows).astype("timedelta64[D]")
    priority_set = clock + rng.integers(0, 30, size=rows).astype("timedelta64[D]")
    priority_set = np.minimum(priority_set, end)
    clock_text = np.datetime_as_string(clock, unit="D").tolist()
    birth_text = [f"{d[8:10]}/{d[5:7]}/{d[0:4]}" for d in np.datetime_as_string(birth).tolist()]
    set_text = np.datetime_as_string(priority_set, unit="D").tolist()
    lsoa = rng.integers(1, 32_000, size=rows)
    pick = rng.integers(0, 1 << 30, size=(rows, 8)).tolist()
    lines = [HEADER]
    for i in range(rows):
        p = pick[i]
        lines.append(
            f"PW{i:09d},{nhs[i]},RZZ,{_TFC[p[0] % 7]},"
            f"{'admitted' if p[1] % 2 else 'non_admitted'},{_PRIORITIES[p[2] % 5]},"
            f"{clock_text[i]},{birth_text[i]},{'12X'[p[3] % 3]},{_ETHNIC[p[4] % 19]},"
            f"E01{lsoa[i]:06d},,{_GROUPS[p[5] % 8]},{_AREAS[p[6] % 7]},RZZ01,"
            f"{set_text[i]},W37{p[7] % 10},{clock_text[i]},20"
        )
    return ("\n".join(lines) + "\n").encode()

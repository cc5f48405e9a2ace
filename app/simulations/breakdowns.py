"""Who is in which group on the simulated list: age band, sex and inclusion group.

Why here: the simulation core keeps each starting entry's week of treatment per rule set but
knows nothing of age or sex, which only the database holds (and which the core must not
need). The impact assessment uses these masks to show waits at treatment by group, as it
does for IMD quintile and ethnic group. Only group membership leaves this module, never a
date of birth.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.privacy import AGE_BANDS
from models import PtlEntry
from prioritisation import PtlArrays

BoolArray = NDArray[np.bool_]
SEX_LABELS: dict[str, str] = {"1": "Male", "2": "Female", "9": "Indeterminate", "X": "Not known"}
"""Person stated gender codes as an upload stores them (docs/ptl-format.md)."""
NO_FLAG = "None recorded"


@dataclass(frozen=True, slots=True)
class GroupBreakdowns:
    """Per dimension, (label, mask over the starting entries) in display order; an entry may
    sit in several inclusion groups."""

    start_wait_days: NDArray[np.int64]
    dimensions: Mapping[str, list[tuple[str, BoolArray]]]


def _ages(dob: NDArray[np.datetime64], census: date) -> NDArray[np.int64]:
    """Whole years on ``census`` (-1 where unknown), vectorised."""
    known = ~np.isnat(dob)
    safe = np.where(known, dob, np.datetime64("2000-01-01"))
    years = safe.astype("datetime64[Y]").astype(np.int64) + 1970
    months = safe.astype("datetime64[M]").astype(np.int64) % 12 + 1
    days = (safe - safe.astype("datetime64[M]")).astype(np.int64) + 1
    before = (census.month, census.day)
    not_yet = (months > before[0]) | ((months == before[0]) & (days > before[1]))
    age = census.year - years - not_yet.astype(np.int64)
    return np.where(known, np.maximum(age, 0), -1)


def group_breakdowns(
    session: Session, arrays: PtlArrays, provider_code: str, census: date
) -> GroupBreakdowns:
    """Age band (on the census date), sex and inclusion group of every entry of ``arrays``."""
    rows = session.execute(
        select(PtlEntry.pathway_id, PtlEntry.date_of_birth, PtlEntry.sex).where(
            PtlEntry.provider_code == provider_code, PtlEntry.is_open.is_(True)
        )
    ).all()
    found = {r.pathway_id: (r.date_of_birth, r.sex or "") for r in rows}
    ids = arrays.pathway_id.tolist()
    dob = np.array(
        [found.get(i, (None, ""))[0] or np.datetime64("NaT") for i in ids], dtype="datetime64[D]"
    )
    sex = np.array([found.get(i, (None, ""))[1] for i in ids], dtype=str)
    ages = _ages(dob, census)
    top = np.iinfo(np.int64).max
    age_groups: list[tuple[str, BoolArray]] = [
        (label, np.asarray((ages >= first) & (ages <= (top if last is None else last))))
        for label, first, last in AGE_BANDS
    ]
    age_groups.append(("Unknown", np.asarray(ages < 0)))
    sex_groups: list[tuple[str, BoolArray]] = [
        (name, np.asarray(sex == code)) for code, name in SEX_LABELS.items()
    ]
    sex_groups.append(("Unknown", np.asarray(~np.isin(sex, list(SEX_LABELS)))))
    flags = arrays.inclusion_groups
    inclusion: list[tuple[str, BoolArray]] = [
        (code.replace("_", " ").capitalize(), flags.values[:, j])
        for j, code in enumerate(flags.codes)
        if flags.values[:, j].any()
    ]
    flagged = flags.values.any(axis=1) if flags.codes else np.zeros(len(ids), dtype=np.bool_)
    inclusion.append((NO_FLAG, np.asarray(~flagged)))
    census_day = np.datetime64(census, "D")
    waits = (census_day - arrays.rtt_clock_start.astype("datetime64[D]")).astype(np.int64)
    return GroupBreakdowns(
        start_wait_days=np.maximum(waits, 0),
        dimensions={
            "Age band": age_groups,
            "Sex": sex_groups,
            "Inclusion group": inclusion,
        },
    )

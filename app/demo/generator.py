"""Deterministic, vectorised generator of a synthetic PTL in the interchange format.

Columns come back typed, so callers can compute with them and the writer formats them:
``nhs_number`` int64; ``imd_decile`` int8 with 0 for empty; the four date columns
``datetime64[D]`` with NaT for empty; ``pathway_id`` a numpy string array; every other column an
object array of ``str`` ("" for empty) drawn from a small set of shared values, which keeps a
million-row list compact and fast to write.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from app.demo import distributions as d
from app.demo.identifiers import normalise_provider_code, pathway_ids, sample_nhs_numbers
from app.demo.identifiers import synthetic_nhs_numbers as _nhs_pool
from app.demo.reference import imd_2019_lsoas
from app.demo.writer import write_ptl_csv
from app.ingest.columns import CANONICAL_COLUMNS

__all__ = ["CANONICAL_COLUMNS", "generate_ptl", "patient_count", "write_ptl_csv"]

Column = NDArray[Any]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

_SPEC_CODES = [s.code for s in d.SPECIALTIES]
_GYNAECOLOGY = _SPEC_CODES.index("502")
_GERIATRICS = _SPEC_CODES.index("430")
_DAYS_PER_YEAR = 365.25


def patient_count(rows: int) -> int:
    """Distinct patients behind ``rows`` pathways: England's ratio, capped by the 999 range."""
    return min(max(1, round(rows / d.PATHWAYS_PER_PATIENT)), _nhs_pool().size) if rows else 0


def _labels(values: Sequence[str], index: IntArray) -> Column:
    """Object array of shared ``str`` values picked by ``index``."""
    return np.array(list(values), dtype=object)[index]


def _pick(rng: np.random.Generator, values: Sequence[str], p: Sequence[float], n: int) -> Column:
    weights = np.asarray(p, dtype=np.float64)
    return _labels(values, rng.choice(len(values), size=n, p=weights / weights.sum()))


def _join_flags(flags: dict[str, BoolArray], n: int) -> Column:
    """``;``-joined, sorted codes of the set flags; only distinct combinations become strings."""
    names = sorted(flags)
    code = np.zeros(n, dtype=np.int64)
    for bit, name in enumerate(names):
        code |= flags[name].astype(np.int64) << bit
    combos, inverse = np.unique(code, return_inverse=True)
    labels = [";".join(nm for bit, nm in enumerate(names) if int(c) >> bit & 1) for c in combos]
    return _labels(labels, inverse.reshape(-1))


def _ages(rng: np.random.Generator, spec: IntArray) -> NDArray[np.float64]:
    """Age in years at census for patients whose main specialty is ``spec``."""
    mean = np.array([s.age_mean for s in d.SPECIALTIES])[spec]
    sd = np.array([s.age_sd for s in d.SPECIALTIES])[spec]
    low = np.array([s.age_min for s in d.SPECIALTIES])[spec]
    child = rng.random(spec.size) < np.array([s.child_share for s in d.SPECIALTIES])[spec]
    adult_age = np.clip(rng.normal(mean, sd), low, 101.0)
    child_age = rng.uniform(3.0, 18.0, size=spec.size)
    return np.where(child, child_age, adult_age)


def _sex(rng: np.random.Generator, spec: IntArray) -> Column:
    female = rng.random(spec.size) < np.array([s.female for s in d.SPECIALTIES])[spec]
    sex = _labels(("1", "2"), female.astype(np.int64))
    other = rng.random(spec.size)
    sex[other < d.SEX_INDETERMINATE + d.SEX_NOT_KNOWN] = "X"
    sex[other < d.SEX_INDETERMINATE] = "9"
    return sex


def _ethnicity(rng: np.random.Generator, n: int) -> Column:
    known = sum(d.ETHNICITY_KNOWN.values())
    unknown = d.ETHNICITY_NOT_STATED + d.ETHNICITY_NOT_KNOWN + d.ETHNICITY_BLANK
    codes = [*d.ETHNICITY_KNOWN, "Z", "99", ""]
    weights = [w / known * (1 - unknown) for w in d.ETHNICITY_KNOWN.values()]
    weights += [d.ETHNICITY_NOT_STATED, d.ETHNICITY_NOT_KNOWN, d.ETHNICITY_BLANK]
    return _pick(rng, codes, weights, n)


def _imd(
    rng: np.random.Generator, n: int, lookup: tuple[NDArray[Any], NDArray[Any]]
) -> tuple[Column, NDArray[np.int8], NDArray[np.int8]]:
    """LSOA codes, supplied deciles (0 where not supplied) and every patient's true decile:
    sample a skewed decile, then an LSOA of that decile."""
    codes = np.asarray(lookup[0]).astype(object)  # shared str objects, not one per row
    deciles = np.asarray(lookup[1]).astype(np.int64)
    order = np.argsort(deciles, kind="stable")
    counts = np.bincount(deciles, minlength=11)[1:11]
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    weights = np.where(counts > 0, np.array(d.IMD_DECILE_WEIGHTS), 0.0)
    if not weights.sum():
        raise ValueError("the IMD lookup holds no deciles 1-10")
    decile_index = rng.choice(10, size=n, p=weights / weights.sum())
    offset = (rng.random(n) * counts[decile_index]).astype(np.int64)
    chosen = order[starts[decile_index] + offset]
    lsoa = codes[chosen]
    decile = (decile_index + 1).astype(np.int8)
    mode = rng.random(n)
    unknown = mode < d.IMD_UNKNOWN_SHARE
    supplied = ~unknown & (mode < d.IMD_UNKNOWN_SHARE + d.IMD_SUPPLIED_SHARE)
    drop_lsoa = unknown | (supplied & (rng.random(n) >= d.IMD_SUPPLIED_WITH_LSOA))
    lsoa[drop_lsoa] = ""
    return lsoa, np.where(supplied, decile, 0).astype(np.int8), decile


def _ramp(age: NDArray[np.float64], base: float, slope: float, cap: float) -> NDArray[np.float64]:
    """A prevalence rising linearly with age over 30, bounded to ``[base, cap]``."""
    return np.clip(base + slope * (age - 30.0), base, cap)


def _patient_flags(
    rng: np.random.Generator, age: NDArray[np.float64], spec: IntArray, ethnicity: Column
) -> tuple[dict[str, BoolArray], dict[str, BoolArray]]:
    """Inclusion-group and clinical-area flags per patient (maternity is per pathway)."""
    n = age.size
    adult, child = age >= 18.0, age < 18.0
    groups = {name: rng.random(n) < rate for name, rate in d.INCLUSION_RATES.items()}
    groups["multimorbidity"] = rng.random(n) < np.where(adult, _ramp(age, 0.03, 0.0055, 0.5), 0.01)
    little_english = ~np.isin(ethnicity, ["A", "B", "Z", "99", ""])
    interpreter = np.where(
        little_english, d.INTERPRETER_RATE_OTHER, d.INTERPRETER_RATE_WHITE_BRITISH
    )
    groups["interpreter_needed"] = rng.random(n) < interpreter
    areas: dict[str, BoolArray] = {}
    for name, rate in d.ADULT_AREA_RATES.items():
        p = np.full(n, rate)
        for (area, code), specific in d.AREA_SPECIALTY_RATES.items():
            if area == name:
                p[spec == _SPEC_CODES.index(code)] = specific
        areas[name] = adult & (rng.random(n) < p)
    areas["hypertension"] = adult & (rng.random(n) < _ramp(age, 0.01, 0.0036, 0.3))
    areas["diabetes"] = adult & (rng.random(n) < _ramp(age, 0.01, 0.0029, 0.2))
    for name, rate in d.CYP_AREA_RATES.items():
        areas[name] = child & (rng.random(n) < rate)
    return groups, areas


def _waits(rng: np.random.Generator, priority: IntArray, admitted: BoolArray) -> IntArray:
    """Days waited at census, drawn from the band profile of each row's priority and stage."""
    waits = np.zeros(priority.size, dtype=np.int64)
    names = list(d.WAIT_BANDS)
    table = [
        names.index(d.wait_profile(code, a)) for code in d.PRIORITY_CODES for a in (False, True)
    ]
    profiles = np.array(table)[priority * 2 + admitted]
    for index, bands in enumerate(d.WAIT_BANDS.values()):
        rows = np.flatnonzero(profiles == index)
        low = np.array([b[0] for b in bands])
        high = np.array([b[1] for b in bands])
        weight = np.array([b[2] for b in bands])
        band = rng.choice(len(bands), size=rows.size, p=weight / weight.sum())
        waits[rows] = rng.integers(low[band], high[band])
    return waits


def _days_back(
    rng: np.random.Generator,
    census: np.datetime64,
    mean: NDArray[np.float64],
    limit: IntArray,
    blank: float,
) -> NDArray[np.datetime64]:
    """A date ``Exp(mean)`` days before census but not before clock start; some left blank."""
    days = np.minimum(np.floor(rng.exponential(mean)).astype(np.int64), limit)
    dates = census - days.astype("timedelta64[D]")
    dates[rng.random(limit.size) < blank] = np.datetime64("NaT")
    return dates


def _procedures(rng: np.random.Generator, spec: IntArray, admitted: BoolArray) -> Column:
    procedure = np.full(spec.size, "", dtype=object)
    pick = rng.random(spec.size)
    for index, specialty in enumerate(d.SPECIALTIES):
        rows = np.flatnonzero((spec == index) & admitted)
        choice = (pick[rows] * len(specialty.procedures)).astype(np.int64)
        procedure[rows] = _labels(specialty.procedures, choice)
    procedure[rng.random(spec.size) < d.PROCEDURE_BLANK] = ""
    return procedure


_DEFERRED = (d.PRIORITY_CODES.index("P5"), d.PRIORITY_CODES.index("P6"))


def _priorities(
    rng: np.random.Generator, admitted: BoolArray, relative: NDArray[np.float64]
) -> IntArray:
    """Priority indices from each stage's mix, with the patient-deferred share (P5/P6) scaled
    by the row's relative deferral (the stage's mean share is kept)."""
    out = np.zeros(admitted.size, np.int64)
    for stage, mix in ((True, d.PRIORITY_MIX_ADMITTED), (False, d.PRIORITY_MIX_NON_ADMITTED)):
        rows = np.flatnonzero(admitted == stage)
        weights = np.array(mix)
        deferred_share = weights[list(_DEFERRED)].sum()
        active = weights.copy()
        active[list(_DEFERRED)] = 0
        out[rows] = rng.choice(len(mix), size=rows.size, p=active / active.sum())
        scaled = deferred_share * relative[rows] / relative[rows].mean() if rows.size else rows
        chosen = rng.random(rows.size) < scaled
        split = weights[_DEFERRED[1]] / max(deferred_share, 1e-12)
        out[rows[chosen]] = np.where(
            rng.random(int(chosen.sum())) < split, _DEFERRED[1], _DEFERRED[0]
        )
    return out


def _with_history(wait: IntArray, priority: IntArray, decile: NDArray[np.int8]) -> IntArray:
    """Deprived patients' P2-P4 waits stretched by their history of failed offers."""
    taper = np.clip((5 - decile.astype(np.float64)) / 4, 0, 1)
    scheduled = np.isin(priority, [d.PRIORITY_CODES.index(c) for c in ("P2", "P3", "P4")])
    extra = np.where(scheduled, d.DEPRIVED_HISTORY * taper * wait, 0.0)
    stretched: IntArray = wait + np.floor(np.minimum(extra, d.DEPRIVED_HISTORY_MAX_DAYS)).astype(
        np.int64
    )
    return stretched


def _blank_some_routine(rng: np.random.Generator, codes: Column, admitted: BoolArray) -> Column:
    """Non-admitted P4 rows sent with no priority code, as many extracts do."""
    blank = (
        (~admitted)
        & (codes == "P4")
        & (rng.random(admitted.size) < d.BLANK_PRIORITY_NON_ADMITTED_ROUTINE)
    )
    out = codes.copy()
    out[blank] = ""
    return out


def generate_ptl(
    rows: int = 100_000,
    *,
    seed: int = 20261123,
    census_date: datetime.date,
    provider_code: str = "RZZ",
    imd_lsoas: tuple[NDArray[Any], NDArray[Any]] | None = None,
) -> dict[str, Column]:
    """A synthetic PTL of ``rows`` open pathways at ``census_date``, keyed by canonical column.

    The same arguments always give the same arrays. As on real lists, some patients hold more
    than one open pathway (about 1.19 pathways per patient, so roughly 30% of rows share their
    NHS number, birth date, sex, ethnicity, LSOA and inclusion groups with another row); NHS
    numbers are unique per patient, not per row. ``imd_lsoas`` is an
    ``(lsoa_codes, deciles)`` pair to draw areas from, defaulting to the shipped IoD 2019 lookup.
    """
    if rows < 0:
        raise ValueError("rows must not be negative")
    d.validate_distributions()
    provider = normalise_provider_code(provider_code)
    lookup = imd_lsoas if imd_lsoas is not None else imd_2019_lsoas()
    rng = np.random.default_rng(seed)
    census = np.datetime64(census_date, "D")
    n_patients = patient_count(rows)

    # Every patient has a first pathway in their main specialty; the extra pathways go to random
    # patients. Rows are shuffled here, once, as a PTL extract is not sorted by patient.
    order = rng.permutation(rows)
    extra = rng.integers(0, max(n_patients, 1), rows - n_patients)
    patient = np.concatenate([np.arange(n_patients), extra]).astype(np.int64)[order]
    first = order < n_patients
    spec_weights = np.array([s.weight for s in d.SPECIALTIES])
    spec_p = spec_weights / spec_weights.sum()
    main_spec = rng.choice(len(d.SPECIALTIES), size=n_patients, p=spec_p)
    spec = np.where(first, main_spec[patient], rng.choice(len(d.SPECIALTIES), size=rows, p=spec_p))
    age = _ages(rng, main_spec)
    age_days = np.floor(age * _DAYS_PER_YEAR).astype(np.int64)
    sex = _sex(rng, main_spec)
    nhs = sample_nhs_numbers(rng, n_patients)
    ethnicity = _ethnicity(rng, n_patients)
    lsoa, decile, true_decile = _imd(rng, n_patients, lookup)
    groups, areas = _patient_flags(rng, age, main_spec, ethnicity)

    # An extra pathway may not contradict the patient: no male gynaecology, no young geriatrics.
    row_age, row_sex = age[patient], sex[patient]
    clash = ((spec == _GYNAECOLOGY) & (row_sex != "2")) | ((spec == _GERIATRICS) & (row_age < 65))
    spec = np.where(clash, main_spec[patient], spec)

    admitted = rng.random(rows) < np.array([s.admitted for s in d.SPECIALTIES])[spec]
    relative = np.array(d.DEFERRAL_RELATIVE)[true_decile[patient] - 1]
    priority = _priorities(rng, admitted, relative)
    wait = _with_history(_waits(rng, priority, admitted), priority, true_decile[patient])
    wait = np.minimum(wait, age_days[patient] - 1)
    clock_start = census - wait.astype("timedelta64[D]")
    date_of_birth = census - age_days.astype("timedelta64[D]")

    maternity = (
        (spec == _GYNAECOLOGY) & (row_sex == "2") & (row_age >= 16) & (row_age < 46)
        & (rng.random(rows) < d.MATERNITY_RATE)
    )  # fmt: skip
    area_flags = {name: flag[patient] for name, flag in areas.items()}
    area_flags["maternity"] = maternity
    urgent = priority <= d.PRIORITY_CODES.index("P2")
    set_mean = np.where(
        urgent, d.PRIORITY_SET_MEAN_DAYS["urgent"], d.PRIORITY_SET_MEAN_DAYS["routine"]
    )
    priority_set = _days_back(rng, census, set_mean, wait, d.PRIORITY_SET_BLANK)
    validated_mean = np.full(rows, d.VALIDATED_MEAN_DAYS)
    validated = _days_back(rng, census, validated_mean, wait, d.VALIDATED_BLANK)
    procedure = _procedures(rng, spec, admitted)
    sites = [f"{provider}{i:02d}" for i in range(1, len(d.SITE_WEIGHTS))] + [""]
    site = _pick(rng, sites, d.SITE_WEIGHTS, rows)
    rtt_status = _pick(rng, list(d.RTT_STATUS_MIX), list(d.RTT_STATUS_MIX.values()), rows)
    did_not_attend = ~admitted & (rng.random(rows) < d.DID_NOT_ATTEND_FIRST * relative)
    rtt_status[did_not_attend] = "33"
    ids = pathway_ids(rng, provider, clock_start)

    columns: dict[str, Column] = {
        "pathway_id": ids,
        "nhs_number": nhs[patient],
        "provider_code": np.full(rows, provider, dtype=object),
        "treatment_function_code": _labels(_SPEC_CODES, spec),
        "pathway_stage": _labels(("non_admitted", "admitted"), admitted.astype(np.int64)),
        "priority_code": _blank_some_routine(rng, _labels(d.PRIORITY_CODES, priority), admitted),
        "rtt_clock_start": clock_start,
        "date_of_birth": date_of_birth[patient],
        "sex": row_sex,
        "ethnic_category": ethnicity[patient],
        "lsoa_code": lsoa[patient],
        "imd_decile": decile[patient],
        "inclusion_groups": _join_flags(groups, n_patients)[patient],
        "clinical_areas": _join_flags(area_flags, rows),
        "site_code": site,
        "priority_set_date": priority_set,
        "procedure_code": procedure,
        "last_validated_date": validated,
        "rtt_status": rtt_status,
    }
    return {name: columns[name] for name in CANONICAL_COLUMNS}

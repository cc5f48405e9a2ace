"""Distribution parameters of the synthetic PTL, gathered in one place so they can be reviewed.

Every share here is an assumption for a large, deprived, urban acute trust; docs/demo-data.md
gives the reasoning and sources. Codes are checked against app/reference_data/ at import time
(see ``validate_distributions``), so a renamed reference code breaks loudly, not silently.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.demo.reference import check_codes


@dataclass(frozen=True, slots=True)
class Specialty:
    """One treatment function: its share of pathways and the patients it sees."""

    code: str
    weight: float  # relative share of all open pathways
    admitted: float  # share of its pathways waiting for an admission (IRTT)
    age_mean: float  # adult age at census, years
    age_sd: float
    child_share: float  # share of patients aged 3-17
    female: float  # share of patients stated female (code 2)
    procedures: tuple[str, ...]  # OPCS-4-like codes proposed on admitted pathways
    age_min: float = 18.0


#: Roughly the national mix of incomplete RTT pathways by treatment function (2024-25),
#: restricted to the specialties a typical acute trust lists.
SPECIALTIES: tuple[Specialty, ...] = (
    Specialty("110", 12.5, 0.50, 60, 16, 0.04, 0.57, ("W371", "W401", "W821", "W191", "T522")),
    Specialty("130", 9.0, 0.42, 68, 14, 0.05, 0.57, ("C751", "C712", "C866", "C542")),
    Specialty("120", 8.5, 0.35, 45, 18, 0.20, 0.52, ("F341", "E036", "D151", "E141")),
    Specialty("100", 7.0, 0.50, 54, 17, 0.03, 0.50, ("T201", "J183", "T241", "H511")),
    Specialty("502", 8.5, 0.35, 42, 13, 0.0, 1.00, ("Q073", "Q181", "Q381", "P231")),
    Specialty("330", 6.0, 0.15, 52, 20, 0.05, 0.55, ("S061", "S051", "S091")),
    Specialty("101", 5.5, 0.50, 63, 15, 0.03, 0.25, ("M651", "M459", "M421", "N303")),
    Specialty("301", 5.5, 0.20, 55, 17, 0.0, 0.55, ("H221", "G451", "H251")),
    Specialty("320", 5.0, 0.15, 64, 14, 0.0, 0.45, ("K634", "K571", "K611")),
    Specialty("140", 5.0, 0.45, 38, 16, 0.10, 0.55, ("F091", "F092", "F101")),
    Specialty("160", 3.0, 0.50, 50, 18, 0.08, 0.60, ("A651", "S018", "T521")),
    Specialty("400", 3.5, 0.03, 50, 17, 0.0, 0.58, ("A841",)),
    Specialty("340", 3.0, 0.05, 60, 16, 0.0, 0.52, ("E481", "E491")),
    Specialty("410", 2.5, 0.03, 57, 15, 0.0, 0.68, ("W903",)),
    Specialty("300", 2.0, 0.05, 62, 18, 0.0, 0.52, ("X339",)),
    Specialty("430", 1.0, 0.03, 83, 6, 0.0, 0.60, ("X339",), age_min=65),
    Specialty("150", 2.0, 0.35, 56, 15, 0.0, 0.48, ("V254", "V295", "A022")),
    Specialty("170", 0.8, 0.60, 66, 11, 0.0, 0.30, ("K401", "K261", "E541")),
    Specialty("107", 1.5, 0.45, 62, 15, 0.0, 0.38, ("L851", "L881", "L541")),
    Specialty("103", 1.2, 0.30, 56, 13, 0.0, 0.97, ("B281", "B271", "B311")),
    Specialty("104", 2.0, 0.40, 60, 15, 0.0, 0.50, ("H335", "H071", "H511")),
    Specialty("191", 1.5, 0.30, 55, 15, 0.0, 0.62, ("A577", "V544")),
)

#: Clinical priority mixes (FSSA codes) for admitted and non-admitted pathways. Non-admitted
#: pathways carry the referral urgency on the same scale (urgent -> P2, soon -> P3, routine -> P4)
#: because the format requires a priority on every row.
PRIORITY_CODES: tuple[str, ...] = ("P1a", "P1b", "P2", "P3", "P4", "P5", "P6")
PRIORITY_MIX_ADMITTED: tuple[float, ...] = (0.001, 0.004, 0.125, 0.33, 0.515, 0.012, 0.013)
PRIORITY_MIX_NON_ADMITTED: tuple[float, ...] = (0.0, 0.001, 0.11, 0.48, 0.389, 0.008, 0.012)

#: Waits (days from clock start to census) as weighted ``(from, to, weight)`` bands, ``to``
#: exclusive; a day is uniform within its band. RTT week bands (guidance v5.0): over 18 weeks is
#: 127+ days, over 52 is 365+, over 65 is 456+, over 78 is 547+, over 104 is 729+.
#: Keyed by a wait profile; each priority/stage maps to one profile (``wait_profile``).
WAIT_BANDS: dict[str, tuple[tuple[int, int, float], ...]] = {
    "p1a": ((0, 2, 0.9), (2, 7, 0.1)),
    "p1b": ((0, 4, 0.8), (4, 14, 0.2)),
    "p2": ((0, 14, 0.32), (14, 28, 0.30), (28, 56, 0.22), (56, 126, 0.12), (126, 250, 0.04)),
    "routine_non_admitted": (
        (0, 42, 0.25), (42, 84, 0.18), (84, 127, 0.15), (127, 182, 0.16), (182, 280, 0.16),
        (280, 365, 0.0785), (365, 456, 0.0185), (456, 547, 0.0022), (547, 729, 0.0007),
        (729, 760, 0.0001),
    ),
    "routine_admitted": (
        (0, 42, 0.14), (42, 84, 0.13), (84, 127, 0.12), (127, 182, 0.16), (182, 280, 0.22),
        (280, 365, 0.164), (365, 456, 0.055), (456, 547, 0.008), (547, 729, 0.0027),
        (729, 800, 0.0003),
    ),
    "deferred": (
        (42, 127, 0.25), (127, 280, 0.35), (280, 365, 0.2), (365, 547, 0.15), (547, 729, 0.05),
    ),
}  # fmt: skip

#: IMD decile weights 1..10: a deprived urban trust draws far more from deciles 1-3 than 8-10.
IMD_DECILE_WEIGHTS: tuple[float, ...] = (0.20, 0.16, 0.13, 0.11, 0.09, 0.08, 0.07, 0.06, 0.05, 0.05)
IMD_UNKNOWN_SHARE = 0.02  # neither LSOA nor decile (no fixed abode, overseas, bad address)
IMD_SUPPLIED_SHARE = 0.05  # the extract carries the decile itself
IMD_SUPPLIED_WITH_LSOA = 0.6  # of those, how many also carry the LSOA

#: Ethnic category mix of a diverse urban catchment (2021-census-like), then poor coding.
ETHNICITY_KNOWN: dict[str, float] = {
    "A": 55.0, "B": 1.0, "C": 6.5, "D": 1.6, "E": 0.7, "F": 0.8, "G": 1.0, "H": 6.0,
    "J": 7.0, "K": 2.0, "L": 2.5, "M": 2.5, "N": 4.5, "P": 1.0, "R": 0.8, "S": 2.5,
}  # fmt: skip
ETHNICITY_NOT_STATED = 0.10  # Z
ETHNICITY_NOT_KNOWN = 0.04  # 99
ETHNICITY_BLANK = 0.01  # empty cell

SEX_INDETERMINATE = 0.001  # 9
SEX_NOT_KNOWN = 0.003  # X

#: Inclusion groups: flat per-patient rates; ``multimorbidity`` and ``interpreter_needed``
#: are modelled (age, ethnicity) in the generator and listed here only for completeness.
INCLUSION_RATES: dict[str, float] = {
    "learning_disability": 0.015,
    "autism": 0.010,
    "homeless": 0.003,
    "drug_alcohol_dependence": 0.008,
    "asylum_seeker": 0.003,
    "gypsy_roma_traveller": 0.002,
    "sex_worker": 0.0005,
    "justice_system": 0.002,
    "modern_slavery": 0.0003,
    "transient_community": 0.002,
    "rural_exclusion": 0.003,
    "carer": 0.03,
}
INTERPRETER_RATE_WHITE_BRITISH = 0.001
INTERPRETER_RATE_OTHER = 0.06

#: Adult Core20PLUS5 clinical areas (age 18+): base rates, raised in matching specialties.
ADULT_AREA_RATES: dict[str, float] = {
    "smi": 0.02,
    "chronic_respiratory": 0.04,
    "early_cancer": 0.006,
    "smoking_cessation": 0.04,
}
AREA_SPECIALTY_RATES: dict[tuple[str, str], float] = {
    ("chronic_respiratory", "340"): 0.45,
    ("early_cancer", "103"): 0.15,
    ("early_cancer", "104"): 0.06,
    ("early_cancer", "301"): 0.04,
    ("early_cancer", "101"): 0.03,
    ("early_cancer", "330"): 0.03,
}
MATERNITY_RATE = 0.12  # gynaecology, female, aged 16-45
#: Children and young people (under 18).
CYP_AREA_RATES: dict[str, float] = {
    "cyp_asthma": 0.06,
    "cyp_diabetes": 0.004,
    "cyp_epilepsy": 0.006,
    "cyp_oral_health": 0.04,
    "cyp_mental_health": 0.03,
}

SITE_WEIGHTS: tuple[float, ...] = (0.55, 0.30, 0.14, 0.01)  # sites 01, 02, 03, blank

PRIORITY_SET_MEAN_DAYS = {"urgent": 10.0, "routine": 75.0}  # days since last priority review
PRIORITY_SET_BLANK = 0.02
VALIDATED_MEAN_DAYS = 35.0
VALIDATED_BLANK = 0.04
PROCEDURE_BLANK = 0.10  # admitted pathways with no proposed procedure yet
RTT_STATUS_MIX: dict[str, float] = {"": 0.63, "20": 0.36, "31": 0.006, "32": 0.004}

#: The gap mechanism (docs/demo-data.md): offers to patients in more deprived areas fail more
#: often (did not attend, cancelled, unfit at pre-op), so they have waited longer and more of
#: them are patient-deferred (P5/P6) or did not attend a first appointment (RTT status 33).
#: Relative to the list's average, by IMD decile 1..10 (about 3 : 1 from decile 1 to 10, as
#: the simulation's default chances of a deferred offer).
DEFERRAL_RELATIVE: tuple[float, ...] = (1.56, 1.45, 1.33, 1.22, 1.11, 0.89, 0.78, 0.67, 0.55, 0.45)
DEPRIVED_HISTORY = 0.30
"""Waits of decile 1 are stretched by 30%, tapering to none from decile 5 (P2-P4)..."""
DEPRIVED_HISTORY_MAX_DAYS = 56
"""...by at most 8 weeks, so the long-wait tail stays that of the national lists."""
DID_NOT_ATTEND_FIRST = 0.03
"""Average share of non-admitted pathways with RTT status 33 (did not attend first activity)."""
BLANK_PRIORITY_NON_ADMITTED_ROUTINE = 0.10
"""Non-admitted routine (P4) pathways sent with no priority code, as many PAS extracts do."""

PATHWAYS_PER_PATIENT = 1.19  # England: ~7.5m open pathways held by ~6.3m patients (2024-25)


def wait_profile(priority: str, admitted: bool) -> str:
    """Which ``WAIT_BANDS`` profile a priority and stage draw their waits from."""
    if priority in ("P1a", "P1b", "P2"):
        return priority.lower()
    if priority in ("P5", "P6"):
        return "deferred"
    return "routine_admitted" if admitted else "routine_non_admitted"


def validate_distributions() -> None:
    """Every code used above must exist in the shipped reference tables; weights must be sane."""
    check_codes("treatment_functions", [s.code for s in SPECIALTIES])
    check_codes("priority_codes", PRIORITY_CODES)
    check_codes("ethnic_categories", [*ETHNICITY_KNOWN, "Z", "99"])
    check_codes("inclusion_groups", [*INCLUSION_RATES, "multimorbidity", "interpreter_needed"])
    check_codes("clinical_areas", [*ADULT_AREA_RATES, *CYP_AREA_RATES, "maternity"])
    check_codes("clinical_areas", ["hypertension", "diabetes"])
    check_codes("clinical_areas", [area for area, _ in AREA_SPECIALTY_RATES])
    for mix in (PRIORITY_MIX_ADMITTED, PRIORITY_MIX_NON_ADMITTED, IMD_DECILE_WEIGHTS):
        if abs(sum(mix) - 1.0) > 1e-9:
            raise ValueError(f"weights do not sum to 1: {mix}")
    for name, bands in WAIT_BANDS.items():
        if abs(sum(w for _, _, w in bands) - 1.0) > 0.01:
            raise ValueError(f"wait bands of {name} do not sum to 1")
        if any(lo >= hi or lo < 0 for lo, hi, _ in bands):
            raise ValueError(f"bad wait band in {name}")

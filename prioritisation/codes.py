"""Fixed national code lists the engine validates against, and labels for explanations.

Why here and not in reference data: these lists are defined nationally (FSSA priority codes,
NHS Data Dictionary ethnic categories, the seven IMD domains) and the rules validator must
know them without touching the database. Locally configurable lists (inclusion groups,
Core20PLUS5 clinical areas) live in the default rule document's ``vocabulary`` instead.
"""

from __future__ import annotations

from typing import Final

PRIORITY_CODES: Final = ("P1a", "P1b", "P2", "P3", "P4", "P5", "P6")

ETHNIC_CATEGORIES: Final = (
    "A", "B", "C", "D", "E", "F", "G", "H", "J", "K", "L", "M", "N", "P", "R", "S",
)  # fmt: skip
"""Known ethnic category codes (2001 census). Z and 99 are the not-stated / not-known codes."""

NEUTRAL_ETHNIC_CATEGORIES: Final = frozenset({"Z", "99", ""})
"""Codes that mean ethnicity is missing: always neutral, never uplifted."""

ETHNIC_GROUPS: Final = ("white", "mixed", "asian", "black", "other")
NEUTRAL_ETHNIC_GROUPS: Final = frozenset({"not_stated", "not_known", ""})

IMD_DOMAINS: Final = (
    "income",
    "employment",
    "education",
    "health",
    "crime",
    "barriers",
    "living_environment",
)
IMD_MEASURES: Final = ("overall", *IMD_DOMAINS)

PATHWAY_STAGES: Final = ("admitted", "non_admitted")

CORE20_DECILES: Final = (1, 2)
"""Core20: the 20% most deprived areas nationally, on the overall IMD."""

OVERRIDE_KINDS: Final = ("", "pin_ahead", "hold_back", "adjust_uplift")

IMD_MEASURE_LABELS: Final = {
    "overall": "",
    "income": "income",
    "employment": "employment",
    "education": "education, skills and training",
    "health": "health and disability",
    "crime": "crime",
    "barriers": "barriers to housing and services",
    "living_environment": "living environment",
}

FLAG_LABELS: Final = {
    "learning_disability": "having a learning disability",
    "autism": "being autistic",
    "homeless": "experiencing homelessness",
    "drug_alcohol_dependence": "drug or alcohol dependence",
    "asylum_seeker": "being a vulnerable migrant or asylum seeker",
    "gypsy_roma_traveller": "being from a Gypsy, Roma or Traveller community",
    "sex_worker": "being a sex worker",
    "justice_system": "contact with the justice system",
    "modern_slavery": "being a victim of modern slavery",
    "transient_community": "being part of a transient community",
    "multimorbidity": "living with multiple long-term conditions",
    "coastal_community": "living in a coastal community",
    "rural_exclusion": "rural exclusion",
    "carer": "being an unpaid carer",
    "interpreter_needed": "needing an interpreter",
    "maternity": "maternity care",
    "smi": "severe mental illness",
    "chronic_respiratory": "chronic respiratory disease",
    "early_cancer": "early cancer diagnosis",
    "hypertension": "hypertension",
    "smoking_cessation": "smoking cessation",
    "diabetes": "diabetes",
}
"""Plain-English phrases for the sentence builder; unknown codes fall back to the code."""


def flag_label(code: str) -> str:
    """Phrase for an inclusion group or clinical area code, readable even when unlisted."""
    return FLAG_LABELS.get(code, code.replace("_", " "))

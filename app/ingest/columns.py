"""The PTL interchange format's columns, aliases and fixed code lists: the one place for them.

Reference lists that trusts may extend (treatment functions, priorities, ethnic categories,
inclusion groups, clinical areas) live in ``app/reference_data`` and reach the validator as
:class:`app.ingest.reference.ReferenceCodes`; only NHS Data Dictionary facts that the format
itself spells out are kept here.
"""

from __future__ import annotations

from typing import Final

#: Canonical columns in the documented order.
CANONICAL_COLUMNS: Final[tuple[str, ...]] = (
    "pathway_id",
    "nhs_number",
    "provider_code",
    "treatment_function_code",
    "pathway_stage",
    "priority_code",
    "rtt_clock_start",
    "date_of_birth",
    "sex",
    "ethnic_category",
    "lsoa_code",
    "imd_decile",
    "inclusion_groups",
    "clinical_areas",
    "site_code",
    "priority_set_date",
    "procedure_code",
    "last_validated_date",
    "rtt_status",
)

#: Columns every upload must carry (the first seven).
REQUIRED_COLUMNS: Final[frozenset[str]] = frozenset(CANONICAL_COLUMNS[:7])

#: Columns holding dates (ISO ``YYYY-MM-DD`` or UK ``DD/MM/YYYY``).
DATE_COLUMNS: Final[tuple[str, ...]] = (
    "rtt_clock_start",
    "date_of_birth",
    "priority_set_date",
    "last_validated_date",
)

#: Waiting List Minimum Data Set names (and two common extras) accepted as headers as they come.
WLMDS_ALIASES: Final[dict[str, str]] = {
    "PATIENT_PATHWAY_IDENTIFIER": "pathway_id",
    "NHS_NUMBER": "nhs_number",
    "ORGANISATION_IDENTIFIER_CODE_OF_PROVIDER": "provider_code",
    "ORGANISATION_SITE_IDENTIFIER_OF_TREATMENT": "site_code",
    "ACTIVITY_TREATMENT_FUNCTION_CODE": "treatment_function_code",
    "Waiting_List_Type": "pathway_stage",
    "REFERRAL_TO_TREATMENT_PERIOD_START_DATE": "rtt_clock_start",
    "PERSON_BIRTH_DATE": "date_of_birth",
    "PERSON_STATED_GENDER_CODE": "sex",
    "ETHNIC_CATEGORY": "ethnic_category",
    "Procedure_Priority_Code": "priority_code",
    "Date_Of_Last_Priority_Review": "priority_set_date",
    "Proposed_Procedure_OPCS_Code": "procedure_code",
    "REFERRAL_TO_TREATMENT_PERIOD_STATUS": "rtt_status",
    "Last_PAS_Validation_Performed_Date": "last_validated_date",
    "derLSOA": "lsoa_code",
    "derLSOA2021": "lsoa_code",
    "LSOA": "lsoa_code",
    "IMD_DECILE": "imd_decile",
}

#: LSOA names tied to one census's LSOAs (2011: IoD 2019; 2021: IoD 2025). When a header has
#: both, the one matching the IMD edition in use is read and the other ignored.
LSOA_VINTAGE_ALIASES: Final[dict[str, str]] = {"derLSOA": "2011", "derLSOA2021": "2021"}
_LSOA_VINTAGES: Final[dict[str, str]] = {
    alias.casefold(): vintage for alias, vintage in LSOA_VINTAGE_ALIASES.items()
}


def lsoa_vintage_of_header(header: str) -> str | None:
    """The LSOA census year a header name promises (``derLSOA2021`` → 2021), or None."""
    return _LSOA_VINTAGES.get(header.strip().casefold())


_HEADER_NAMES: Final[dict[str, str]] = {
    **{alias.casefold(): column for alias, column in WLMDS_ALIASES.items()},
    **{column.casefold(): column for column in CANONICAL_COLUMNS},
}


def canonical_column(header: str) -> str | None:
    """The canonical column a header names (case-insensitive, trimmed), or None if unknown."""
    return _HEADER_NAMES.get(header.strip().casefold())


#: Pathway stage spellings (upper-cased) and what they mean; WLMDS list types map on to them.
PATHWAY_STAGES: Final[dict[str, str]] = {
    "ADMITTED": "admitted",
    "NON_ADMITTED": "non_admitted",
    "IRTT": "admitted",
    "ORTT": "non_admitted",
}
#: WLMDS waiting list types for non-RTT lists, which do not belong on an RTT PTL.
NON_RTT_LIST_TYPES: Final[frozenset[str]] = frozenset({"INON", "ONON"})

#: Person stated gender codes (upper-cased input) and their stored form; M/F/U are PAS habits.
SEX_CODES: Final[dict[str, str]] = {
    "1": "1",
    "2": "2",
    "9": "9",
    "X": "X",
    "M": "1",
    "F": "2",
    "U": "X",
}

#: Ethnic category codes meaning "not stated" and "not known"; a blank is stored as not known.
ETHNICITY_NOT_STATED: Final = "Z"
ETHNICITY_NOT_KNOWN: Final = "99"

#: RTT period status codes accepted (NHS Data Dictionary).
RTT_STATUS_CODES: Final[frozenset[str]] = frozenset(
    {"10", "11", "12", "20", "21", "30", "31", "32", "33", "34", "35", "36", "90", "91", "92"}
    | {"98", "99"}
)
#: Statuses that record a stopped clock (treatment, decision not to treat, declined, died):
#: unusual on a list of open pathways, so they are reported but kept.
RTT_CLOCK_STOPPED_STATUSES: Final[frozenset[str]] = frozenset({"30", "34", "35", "36"})

#: How a stored IMD decile was obtained.
IMD_SOURCE_SUPPLIED: Final = "supplied"
IMD_SOURCE_LOOKUP: Final = "lookup"
IMD_SOURCE_UNKNOWN: Final = "unknown"

#: Default age, in days, after which a priority_set_date is reported as stale.
DEFAULT_STALE_PRIORITY_DAYS: Final = 90

#: Longest value any cell may hold; a longer one is a broken row (it would bloat the arrays).
MAX_CELL_CHARS: Final = 1024

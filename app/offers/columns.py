"""The offers format's columns, national aliases and code lists: the one place for them."""

from __future__ import annotations

from typing import Final

#: Canonical columns in the documented order.
OFFER_COLUMNS: Final[tuple[str, ...]] = (
    "pathway_id",
    "provider_code",
    "nhs_number",
    "offer_date",
    "appointment_date",
    "attendance",
    "outcome_reason",
)

#: Columns every upload must carry (all but ``outcome_reason``).
REQUIRED_OFFER_COLUMNS: Final[frozenset[str]] = frozenset(OFFER_COLUMNS[:6])

#: NHS Data Dictionary element names as PAS outpatient extracts (CDS, WLMDS) spell them.
OFFER_ALIASES: Final[dict[str, str]] = {
    "PATIENT_PATHWAY_IDENTIFIER": "pathway_id",
    "ORGANISATION_IDENTIFIER_CODE_OF_PROVIDER": "provider_code",
    "NHS_NUMBER": "nhs_number",
    "APPOINTMENT_DATE": "appointment_date",
    "ATTENDED_OR_DID_NOT_ATTEND": "attendance",
    "ATTENDED_OR_DID_NOT_ATTEND_CODE": "attendance",
    "OUTCOME_REASON": "outcome_reason",
}

#: NHS Data Dictionary "attended or did not attend" codes accepted, and what they mean.
ATTENDANCE_CODES: Final[dict[int, str]] = {
    5: "attended on time, or late but seen",
    6: "arrived late but was seen",
    7: "arrived late and could not be seen",
    2: "cancelled by the patient",
    3: "did not attend, no advance warning",
    4: "cancelled or postponed by the provider",
}

#: Codes that count as a failed offer: the patient could not take the slot. Code 7 (arrived
#: too late to be seen) is a failure to take the slot as much as 3; code 4 is the provider's.
FAILED_ATTENDANCE: Final[frozenset[int]] = frozenset({2, 3, 7})

#: Coded outcome reasons (optional). ``unfit_at_preop`` marks a failed offer whatever the
#: attendance code: the patient came but could not be treated on that date.
OUTCOME_REASONS: Final[dict[str, str]] = {
    "unfit_at_preop": "found unfit at pre-operative assessment",
    "patient_unavailable": "patient not available on the date",
    "illness": "patient unwell on the day",
    "transport": "could not travel to the appointment",
    "interpreter": "no interpreter available",
    "caring_responsibilities": "caring or work responsibilities",
    "other": "another reason",
}
#: The reason that makes an attended offer a failed one.
UNFIT_AT_PREOP: Final = "unfit_at_preop"

_HEADER_NAMES: Final[dict[str, str]] = {
    **{alias.casefold(): column for alias, column in OFFER_ALIASES.items()},
    **{column.casefold(): column for column in OFFER_COLUMNS},
}


def canonical_offer_column(header: str) -> str | None:
    """The canonical column a header names (case-insensitive, trimmed), or None if unknown."""
    return _HEADER_NAMES.get(header.strip().casefold().replace(" ", "_"))

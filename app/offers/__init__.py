"""Offer history: past appointment and admission offers and whether the patient could take them.

``read_offers_csv`` turns an upload into raw columns, ``validate_offers`` checks them all and
returns every error or typed columns; :mod:`app.offers.ingest` stores a valid file all or
nothing. The history is what a failed-offer risk model learns from.
"""

from app.offers.columns import (
    ATTENDANCE_CODES,
    FAILED_ATTENDANCE,
    OFFER_ALIASES,
    OFFER_COLUMNS,
    OUTCOME_REASONS,
)
from app.offers.reader import read_offers_csv
from app.offers.validate import OfferValidation, ValidatedOffers, validate_offers

__all__ = [
    "ATTENDANCE_CODES",
    "FAILED_ATTENDANCE",
    "OFFER_ALIASES",
    "OFFER_COLUMNS",
    "OUTCOME_REASONS",
    "OfferValidation",
    "ValidatedOffers",
    "read_offers_csv",
    "validate_offers",
]

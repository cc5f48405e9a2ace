"""Check every cell of an offers upload at once; return every error, or typed columns.

The PTL validator's pieces do the shared work (pathway id, NHS number, provider code, the error
collector with masked NHS numbers); the rules here are the offers format's own
(``docs/offers-format.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from app.ingest import fields
from app.ingest.collector import ErrorCollector
from app.ingest.dates import DATE_FORMATS_TEXT, DateArray, parse_dates
from app.ingest.reader import RawTable
from app.ingest.results import RowError
from app.ingest.text import StrArray, is_empty, map_codes, strip
from app.offers.columns import ATTENDANCE_CODES, FAILED_ATTENDANCE, OUTCOME_REASONS, UNFIT_AT_PREOP

#: How far back an offer may go: a history older than this is a mistyped year.
EARLIEST_OFFER = np.datetime64("2000-01-01", "D")
#: How many rows are allowed per file.
MAX_OFFER_ROWS = 2_000_000


@dataclass(frozen=True, eq=False)
class ValidatedOffers:
    """A valid upload as typed columns, one element per offer."""

    pathway_id: StrArray
    provider_code: StrArray
    nhs_number: StrArray
    offer_date: DateArray
    appointment_date: DateArray
    attendance: npt.NDArray[np.int8]
    outcome_reason: StrArray
    failed: npt.NDArray[np.bool_]

    def __len__(self) -> int:
        return len(self.pathway_id)


@dataclass(frozen=True)
class OfferValidation:
    """Either ``validated`` or ``errors`` (the first ``max_errors``); the count is exact."""

    validated: ValidatedOffers | None
    errors: list[RowError]
    error_count: int

    @property
    def ok(self) -> bool:
        return self.validated is not None


def validate_offers(
    table: RawTable, *, today: date, max_errors: int | None = None
) -> OfferValidation:
    """Every rule of the offers format over whole columns; nothing is stored here."""
    c = ErrorCollector(table)
    if len(table) > MAX_OFFER_ROWS:
        message = f"{len(table):,} rows: at most {MAX_OFFER_ROWS:,} offers per file"
        table.errors.append(RowError(1, None, "", message))
    pathway = fields.pathway_id(c)
    provider = fields.ods_code(c, "provider_code", 3, 5, "an ODS code", required=True)
    nhs = fields.nhs_number(c)
    offered = _date(c, "offer_date", "offer date", today)
    appointment = _date(c, "appointment_date", "appointment date", today)
    both = c.ok("offer_date") & c.ok("appointment_date")
    c.add(
        "appointment_date",
        both & (appointment < offered),
        lambda i: f"appointment date {appointment[i]} is before its offer date {offered[i]}",
    )
    attendance = _attendance(c)
    reason = _outcome_reason(c)
    _duplicates(c, provider, pathway, offered, appointment)
    if c.count or not len(table):
        errors = c.report(max_errors)
        if not errors:
            errors = [RowError(1, None, "", "no rows: the file holds a header only")]
        return OfferValidation(None, errors, max(c.count, len(errors)))
    failed = np.isin(attendance, np.array(sorted(FAILED_ATTENDANCE), dtype=np.int8)) | (
        reason == UNFIT_AT_PREOP.encode()
    )
    validated = ValidatedOffers(
        pathway_id=pathway,
        provider_code=provider,
        nhs_number=nhs,
        offer_date=offered,
        appointment_date=appointment,
        attendance=attendance,
        outcome_reason=reason,
        failed=failed,
    )
    return OfferValidation(validated, [], 0)


def _date(c: ErrorCollector, name: str, label: str, today: date) -> DateArray:
    parsed = parse_dates(c.column(name))
    c.require(name, parsed.empty)
    c.add(name, parsed.bad_format, f"date must be {DATE_FORMATS_TEXT}")
    c.add(name, parsed.bad_calendar, lambda i: f"{c.text(name, i)} is not a real calendar date")
    future = parsed.dates > np.datetime64(today, "D")
    c.add(
        name,
        future,
        lambda i: (
            f"{label} {parsed.dates[i]} is after today {today.isoformat()}: "
            "only offers whose outcome is known belong in the history"
        ),
    )
    c.add(name, parsed.dates < EARLIEST_OFFER, f"{label} is before {EARLIEST_OFFER}")
    return np.where(c.ok(name), parsed.dates, np.datetime64("NaT", "D"))


def _attendance(c: ErrorCollector) -> npt.NDArray[np.int8]:
    values = strip(c.column("attendance"))
    empty = is_empty(values)
    c.require("attendance", empty)
    mapped, found = map_codes(values, {str(code): str(code) for code in ATTENDANCE_CODES})
    message = (
        "attendance must be an 'attended or did not attend' code: 5 or 6 attended, "
        "7 arrived late and not seen, 2 cancelled by the patient, 3 did not attend, "
        "4 cancelled by the provider"
    )
    c.add("attendance", ~empty & ~found, message)
    return np.where(found, mapped, b"0").astype(np.int8)


def _outcome_reason(c: ErrorCollector) -> StrArray:
    values = np.strings.lower(strip(c.column("outcome_reason")))
    empty = is_empty(values)
    mapped, found = map_codes(values, {code: code for code in OUTCOME_REASONS})
    known = ", ".join(OUTCOME_REASONS)
    c.add(
        "outcome_reason",
        ~empty & ~found,
        lambda i: f"unknown outcome reason '{c.text('outcome_reason', i)}' (expected {known})",
    )
    return np.where(found, mapped, b"")


def _duplicates(
    c: ErrorCollector,
    provider: StrArray,
    pathway: StrArray,
    offered: DateArray,
    appointment: DateArray,
) -> None:
    """The same offer twice in one file is an extract fault: report each repeat."""
    if not len(provider):
        return
    days = np.stack([offered.view(np.int64), appointment.view(np.int64)], axis=1).astype(np.int64)
    keys = np.char.add(np.char.add(provider.astype("S8"), b"|"), pathway.astype("S24"))
    order = np.lexsort((days[:, 1], days[:, 0], keys))
    same = (keys[order][1:] == keys[order][:-1]) & np.all(
        days[order][1:] == days[order][:-1], axis=1
    )
    repeat = np.zeros(len(provider), dtype=np.bool_)
    repeat[order[1:][same]] = True
    valid = c.ok("offer_date") & c.ok("appointment_date") & c.ok("pathway_id")
    c.add(
        "pathway_id",
        repeat & valid,
        "the same offer (provider, pathway, offer date, appointment date) appears more than "
        "once in the file",
    )

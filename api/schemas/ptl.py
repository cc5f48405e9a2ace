"""Schemas of the PTL resource: uploads (batches) and entries."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

UploadMode = Literal["replace", "upsert"]


class UploadWarning(BaseModel):
    """A non-blocking finding about an upload (e.g. ethnicity not stated)."""

    code: str
    message: str
    count: int
    rows: list[int] = Field(description="First few row numbers concerned (header = row 1).")


_BATCH_EXAMPLE: dict[str, Any] = {
    "id": 17,
    "source": "csv",
    "mode": "replace",
    "filename": "ptl-2026-11-23.csv",
    "checksum_sha256": "65b9bcf31e6c2b20d5c85e745e0fa2bf65101aa1e33f5b06352fa1edb2c4fead",
    "submitted_by": "pas.feed",
    "submitted_at": "2026-11-23T06:00:02.118Z",
    "completed_at": "2026-11-23T06:00:27.904Z",
    "outcome": "succeeded",
    "provider_codes": ["RZZ"],
    "rows_received": 100000,
    "inserted": 1240,
    "updated": 98760,
    "closed": 1187,
    "error_count": 0,
    "warnings": [
        {
            "code": "ethnicity_not_stated",
            "message": "13,112 entries with ethnic category Z (not stated)",
            "count": 13112,
            "rows": [3, 8, 15, 21, 40],
        }
    ],
}


class UploadBatchOut(BaseModel):
    """One ingestion request and what it changed."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={"examples": [_BATCH_EXAMPLE]},
    )

    id: int
    source: Literal["csv", "json"]
    mode: UploadMode
    filename: str | None
    checksum_sha256: str
    submitted_by: str
    submitted_at: datetime
    completed_at: datetime | None
    outcome: Literal["succeeded", "rejected"]
    provider_codes: list[str]
    rows_received: int
    inserted: int
    updated: int
    closed: int
    error_count: int
    warnings: list[UploadWarning]


class UploadRankingOut(BaseModel):
    """The background job re-ranking one provider's changed lists after the upload."""

    provider_code: str
    job_id: int | None = Field(
        default=None,
        description="The ranking job (`GET /api/v1/jobs/{id}`): queued when the upload "
        "answers, and shared with other changes waiting for the same provider.",
    )
    state: str | None = Field(
        default=None, description="The job's state when this answer was made."
    )
    run_id: int | None = Field(
        default=None,
        description="The run that ranked the lists, once one has (`GET /api/v1/rankings/{id}`).",
    )
    error: str | None = Field(
        default=None,
        description="Why the job failed, if it did. The upload itself is stored either way.",
    )


class UploadResultOut(UploadBatchOut):
    """The answer to an upload: the batch, and the ranking job queued per provider."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_BATCH_EXAMPLE,
                    "rankings": [{"provider_code": "RZZ", "job_id": 41, "state": "queued"}],
                }
            ]
        }
    )

    rankings: list[UploadRankingOut] = Field(
        default_factory=list,
        description="One item per provider in the batch (empty for a rejected upload).",
    )


class PtlRecordIn(BaseModel):
    """One PTL record sent as JSON; the same fields and rules as a CSV row.

    Values are checked by the same validator as CSV uploads, so errors come back in the same
    ``{"errors": [{row, field, value, message}]}`` shape (``row`` = 1-based position in
    ``entries``). Unknown fields are ignored and reported as a warning.
    """

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "pathway_id": "RZZ000000123",
                    "nhs_number": "9990000018",
                    "provider_code": "RZZ",
                    "treatment_function_code": "110",
                    "pathway_stage": "admitted",
                    "priority_code": "P3",
                    "rtt_clock_start": "2026-03-02",
                    "date_of_birth": "1961-07-14",
                    "sex": "2",
                    "ethnic_category": "A",
                    "lsoa_code": "E01009686",
                    "inclusion_groups": "learning_disability",
                    "clinical_areas": "hypertension;diabetes",
                }
            ]
        },
    )

    pathway_id: str | None = None
    nhs_number: str | None = None
    provider_code: str | None = None
    treatment_function_code: str | int | None = None
    pathway_stage: str | None = None
    priority_code: str | None = None
    rtt_clock_start: str | None = None
    date_of_birth: str | None = None
    sex: str | int | None = None
    ethnic_category: str | int | None = None
    lsoa_code: str | None = None
    imd_decile: str | int | None = None
    inclusion_groups: str | list[str] | None = None
    clinical_areas: str | list[str] | None = None
    site_code: str | None = None
    priority_set_date: str | None = None
    procedure_code: str | None = None
    last_validated_date: str | None = None
    rtt_status: str | int | None = None

    def as_record(self) -> dict[str, Any]:
        """The record by key: declared fields as the text a CSV cell holds (lists joined with
        ``;``); other keys (WLMDS names, extra columns) as sent, for the reader to judge."""
        record: dict[str, Any] = {}
        declared = type(self).model_fields
        for key, value in self.model_dump(exclude_none=True).items():
            if key not in declared:
                record[key] = value
            else:
                record[key] = ";".join(value) if isinstance(value, list) else str(value)
        return record


class EntriesIn(BaseModel):
    """PTL records pushed as JSON."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "mode": "upsert",
                    "entries": [
                        {
                            "pathway_id": "RZZ000000123",
                            "nhs_number": "9990000018",
                            "provider_code": "RZZ",
                            "treatment_function_code": "110",
                            "pathway_stage": "admitted",
                            "priority_code": "P3",
                            "rtt_clock_start": "2026-03-02",
                            "ethnic_category": "A",
                            "lsoa_code": "E01009686",
                        }
                    ],
                }
            ]
        }
    )

    mode: UploadMode = Field(
        default="upsert",
        description="`upsert` (default here) adds or updates; `replace` also closes the "
        "provider's open pathways missing from `entries`.",
    )
    entries: list[PtlRecordIn] = Field(min_length=1)


class PtlEntryOut(BaseModel):
    """A stored PTL entry. ``nhs_number`` is masked and ``date_of_birth`` null unless the
    caller's role books patients (scheduler, admin)."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "provider_code": "RZZ",
                    "pathway_id": "RZZ000000123",
                    "nhs_number": "999*****18",
                    "treatment_function_code": "110",
                    "pathway_stage": "admitted",
                    "priority_code": "P3",
                    "rtt_clock_start": "2026-03-02",
                    "date_of_birth": None,
                    "age_band": "65-74",
                    "sex": "2",
                    "ethnic_category": "A",
                    "lsoa_code": "E01009686",
                    "imd_decile": 1,
                    "imd_source": "lookup",
                    "imd_edition": "iod2019",
                    "inclusion_groups": ["learning_disability"],
                    "clinical_areas": ["hypertension", "diabetes"],
                    "site_code": "RZZ01",
                    "priority_set_date": "2026-03-09",
                    "procedure_code": None,
                    "last_validated_date": "2026-11-02",
                    "rtt_status": None,
                    "is_open": True,
                    "closed_at": None,
                    "first_batch_id": 9,
                    "last_batch_id": 17,
                    "updated_at": "2026-11-23T06:00:02.118Z",
                }
            ]
        },
    )

    provider_code: str
    pathway_id: str
    nhs_number: str
    treatment_function_code: str
    pathway_stage: str
    priority_code: str
    rtt_clock_start: date
    date_of_birth: date | None = Field(
        description="Only for roles that book patients (scheduler, admin); null for others."
    )
    age_band: str | None = Field(
        default=None,
        description="Age band today (`0-17`, `18-39`, `40-64`, `65-74`, `75-84`, `85+`); "
        "null when the date of birth is unknown.",
    )
    sex: str | None
    ethnic_category: str
    lsoa_code: str | None
    imd_decile: int | None = Field(description="1 = most deprived; null = IMD unknown.")
    imd_source: str
    imd_edition: str | None
    inclusion_groups: list[str]
    clinical_areas: list[str]
    site_code: str | None
    priority_set_date: date | None
    procedure_code: str | None
    last_validated_date: date | None
    rtt_status: str | None
    is_open: bool
    closed_at: datetime | None
    first_batch_id: int
    last_batch_id: int
    updated_at: datetime

"""Schemas of the rankings resource: runs, the ranked list, overrides and rationales."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import PROVIDER_CODE, TREATMENT_FUNCTION, FiniteFloat

OverrideKind = Literal["pin_ahead", "hold_back", "adjust_uplift"]
Stage = Literal["admitted", "non_admitted"]

_COMPONENTS_DESCRIPTION = (
    "Score components in days: wait, deprivation, ethnicity, core20, inclusion, "
    "clinical_area, cap (zero or negative: the equity cap), override (clinician "
    "adjustment). They sum to `score`."
)
_COMPONENTS_EXAMPLE: dict[str, Any] = {
    "wait": 287.0,
    "deprivation": 21.0,
    "ethnicity": 0.0,
    "core20": 7.0,
    "inclusion": 0.0,
    "clinical_area": 0.0,
    "cap": -7.0,
    "override": 0.0,
}


_RUN_EXAMPLE: dict[str, Any] = {
    "id": 12,
    "provider_code": "RZZ",
    "census_date": "2026-11-23",
    "rules_at": "2026-11-23T09:15:02Z",
    "started_at": "2026-11-23T09:15:02Z",
    "completed_at": "2026-11-23T09:15:05Z",
    "requested_by": "pas.feed",
    "trigger": "upload",
    "upload_batch_id": 17,
    "specialties": None,
    "rule_versions": {"default": None, "110": 4},
    "imd_edition": "iod2019",
    "inputs_hash": "3f5a…",
    "entry_count": 100000,
    "parked_count": 3120,
    "list_count": 36,
    "override_count": 2,
    "capacity": {"110/admitted": {"P2": 6.5, "P3": 4.0, "P4": 12.5}},
    "job_id": 41,
}


class RunRequest(BaseModel):
    """Rank a provider's open PTL now."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"provider": "RZZ", "specialties": ["110", "130"]}]}
    )

    provider: str = Field(pattern=PROVIDER_CODE, description="Provider ODS code.")
    specialties: list[Annotated[str, Field(pattern=TREATMENT_FUNCTION)]] | None = Field(
        default=None,
        min_length=1,
        description="Treatment function codes to rank; omit to rank every specialty.",
    )
    census_date: date | None = Field(
        default=None,
        description="Waits are counted to this date (default today). A past date applies the "
        "rules and overrides in force at the end of that day; future dates are refused.",
    )


class RunOut(BaseModel):
    """A stored ranking run: what went in and how much came out."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={"examples": [_RUN_EXAMPLE]},
    )

    id: int
    provider_code: str
    census_date: date
    rules_at: datetime = Field(description="The moment whose rules and overrides applied.")
    started_at: datetime
    completed_at: datetime
    requested_by: str
    trigger: Literal["upload", "manual", "change"] = Field(
        description="`upload`: a job after an upload; `change`: a job after another change "
        "(rules, overrides, reference data) or the recovery sweep; `manual`: `POST /rankings`."
    )
    upload_batch_id: int | None
    specialties: list[str] | None = Field(description="null: every specialty was ranked.")
    rule_versions: dict[str, int | None] = Field(
        description="Rule set key (`default` or a treatment function code) → rule version id "
        "applied; null means the shipped default document."
    )
    imd_edition: str
    inputs_hash: str = Field(description="SHA-256 of every scoring input, in pathway order.")
    entry_count: int
    parked_count: int
    list_count: int
    override_count: int
    capacity: dict[str, dict[str, float]] | None = Field(
        default=None,
        description="Patients booked per week per list (`tfc/stage`) and priority code, "
        "estimated from the list's clock stops over the last 13 weeks: what the last-chance "
        "range used (docs/rankings.md). null: no list had four weeks of closures.",
    )
    job_id: int | None = Field(
        default=None, description="The background job that made the run (`GET /api/v1/jobs/{id}`)."
    )


class AppliedOverride(BaseModel):
    """The clinician override a run applied (or ignored) for this entry."""

    id: int
    kind: OverrideKind
    days: float | None
    reason: str
    expires_at: datetime
    status: Literal["applied", "ignored_parked", "ignored_protected"] = Field(
        description="`ignored_parked`: parked entries are not ranked; `ignored_protected`: a "
        "protected entry cannot be held back."
    )


class RankedEntryOut(BaseModel):
    """One entry of a stored ranked list."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "run_id": 12,
                    "provider_code": "RZZ",
                    "pathway_id": "RZZ000000123",
                    "nhs_number": "999*****18",
                    "specialty": "110",
                    "specialty_name": "Trauma and Orthopaedic",
                    "pathway_stage": "admitted",
                    "priority_code": "P3",
                    "site_code": "RZZ01",
                    "wait_days": 287,
                    "wait_weeks": 40,
                    "imd_decile": 1,
                    "rank": 112,
                    "list_size": 4318,
                    "conventional_rank": 160,
                    "rank_change": 48,
                    "score": 308.0,
                    "components": _COMPONENTS_EXAMPLE,
                    "protected": False,
                    "protection_reason": None,
                    "capped": True,
                    "parked": False,
                    "parked_reason": None,
                    "override": None,
                }
            ]
        }
    )

    run_id: int
    provider_code: str
    pathway_id: str
    nhs_number: str = Field(description="Masked unless the caller books patients.")
    specialty: str = Field(description="Treatment function code.")
    specialty_name: str
    pathway_stage: Stage
    priority_code: str = Field(description="The priority the entry was ranked by.")
    site_code: str | None
    wait_days: int
    wait_weeks: int = Field(description="Whole RTT weeks (0 for days 0–7).")
    imd_decile: int | None = Field(description="1 = most deprived; null = unknown.")
    rank: int = Field(description="1..list_size within (provider, specialty, stage); 0 = parked.")
    list_size: int
    conventional_rank: int = Field(description="Rank by priority then wait alone (0 = parked).")
    rank_change: int = Field(
        description="conventional_rank − rank: positive means moved earlier by equity weights."
    )
    score: float = Field(description="Days: wait plus capped uplifts plus any adjustment.")
    components: dict[str, float] = Field(description=_COMPONENTS_DESCRIPTION)
    protected: bool = Field(description="Past or near a target: equity weights cannot delay it.")
    protection_reason: str | None
    capped: bool = Field(description="The equity uplift hit the cap for the priority.")
    parked: bool
    parked_reason: str | None
    override: AppliedOverride | None


_FRESHNESS_EXAMPLE: dict[str, Any] = {
    "specialty": "110",
    "pathway_stage": "admitted",
    "run_id": 12,
    "ranked_at": "2026-11-23T09:15:05Z",
    "rule_versions": {"110": 4, "default": None},
    "latest_change_at": "2026-11-23T09:15:02Z",
    "stale": False,
    "stale_reasons": [],
}


class ListFreshnessOut(BaseModel):
    """How current one list is: its serving run, and whether a change waits for a re-rank."""

    model_config = ConfigDict(json_schema_extra={"examples": [_FRESHNESS_EXAMPLE]})

    specialty: str
    pathway_stage: str
    run_id: int | None = Field(description="The run serving the list now.")
    ranked_at: datetime | None = Field(description="When that run was made (completed).")
    rule_versions: dict[str, int | None] = Field(
        description="The rule versions it used for this list: its specialty's own rule set "
        "(when it had one) and `default` (RuleSetVersion ids; null = the shipped default)."
    )
    latest_change_at: datetime = Field(
        description="The latest change to the list's entries, overrides, reference data or "
        "the rules in force for it."
    )
    stale: bool = Field(description="True while a change waits for its re-rank.")
    stale_reasons: list[str] = Field(
        description="What changed since the serving run: `entries` (entries, overrides or "
        "reference data), `rules`, `override_expired`, `never_ranked`."
    )


class RankedPage(BaseModel):
    """One page of a ranked list; pass ``next_cursor`` back as ``cursor`` for the next."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [RankedEntryOut.model_config["json_schema_extra"]["examples"][0]],  # type: ignore[index]
                    "next_cursor": "WzEyLCIxMTAiLCJhZG1pdHRlZCIsMTAwXQ.c2lnbmF0dXJlIGJ5dGVz",
                    "stale": False,
                    "freshness": [_FRESHNESS_EXAMPLE],
                }
            ]
        }
    )

    items: list[RankedEntryOut]
    next_cursor: str | None
    stale: bool = Field(
        default=False,
        description="True when any list this request reads waits for a re-rank (the "
        "`Equiwait-Stale` header says the same).",
    )
    freshness: list[ListFreshnessOut] = Field(
        default_factory=list, description="One item per list this request reads."
    )


class OverrideCreate(BaseModel):
    """Move one entry by clinical judgement, with a reason and an expiry."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "adjust_uplift",
                    "days": 14,
                    "reason": "Rapid deterioration reported at pre-op assessment",
                    "expires_at": "2027-01-31T17:00:00Z",
                }
            ]
        }
    )

    kind: OverrideKind = Field(
        description="`pin_ahead`: top of its priority band (even ahead of protected entries); "
        "`hold_back`: bottom of its band, still ahead of every lower priority (accepted for any "
        "open entry, but a protected entry, in the long-wait, target-margin or last-chance "
        "range, keeps its place: the run records the override as `ignored_protected`); "
        "`adjust_uplift`: add `days` outside the equity cap, inside the entry's range of wait. "
        "None is applied to a parked entry (`ignored_parked`)."
    )
    days: FiniteFloat | None = Field(
        default=None,
        ge=-3650,
        le=3650,
        description="adjust_uplift only: days added (negative: removed), at most 2 decimals.",
    )
    reason: str = Field(min_length=1, max_length=2000, description="Why (required, audited).")
    expires_at: datetime = Field(description="When it stops applying; must be in the future.")


class OverrideRevoke(BaseModel):
    """Stop an override applying to later runs."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "Reviewed in clinic: no longer needed"}]}
    )

    reason: str = Field(min_length=1, max_length=2000, description="Why (required, audited).")


class OverrideOut(BaseModel):
    """A stored override. It takes effect at the next ranking run."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 3,
                    "provider_code": "RZZ",
                    "pathway_id": "RZZ000000123",
                    "kind": "adjust_uplift",
                    "days": 14.0,
                    "reason": "Rapid deterioration reported at pre-op assessment",
                    "expires_at": "2027-01-31T17:00:00Z",
                    "created_by": "dr.patel",
                    "created_at": "2026-11-23T10:02:11Z",
                    "revoked_at": None,
                    "revoked_by": None,
                    "revoke_reason": None,
                    "ranking_run_id": 13,
                }
            ]
        },
    )

    id: int
    provider_code: str
    pathway_id: str
    kind: OverrideKind
    days: float | None
    reason: str
    expires_at: datetime
    created_by: str
    created_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None
    revoke_reason: str | None
    ranking_run_id: int | None = Field(
        default=None, description="The run started by `?rerank=true`, if any."
    )
    ranking_job_id: int | None = Field(
        default=None,
        description="The background job re-ranking the entry's list after this change "
        "(`GET /api/v1/jobs/{id}`).",
    )


class RuleDocumentOut(BaseModel):
    """A rule document that scored the entry."""

    key: str = Field(description="`default` or the treatment function code.")
    version_id: int | None = Field(description="Rule version id; null = shipped default.")
    version_label: str = Field(description="The document's own `version` string.")
    document: dict[str, Any]


class RationaleInputs(BaseModel):
    """The entry's inputs as the run saw them."""

    treatment_function_code: str
    pathway_stage: Stage
    priority_code: str
    priority_defaulted: bool
    priority_set_date: date | None
    site_code: str | None
    rtt_clock_start: date
    rtt_status: str | None
    imd_decile: int | None
    imd_measure_decile: int | None = Field(
        description="Decile of the IMD measure the deprivation rule used (overall or a domain)."
    )
    imd_source: str
    imd_edition: str | None
    ethnic_category: str
    ethnic_group: str
    inclusion_groups: list[str]
    clinical_areas: list[str]


class FactorOut(BaseModel):
    component: str
    days: float
    because: str


_RATIONALE_EXAMPLE: dict[str, Any] = {
    "at": "2026-11-24T12:00:00Z",
    "run": _RUN_EXAMPLE,
    "provider_code": "RZZ",
    "pathway_id": "RZZ000000123",
    "specialty_name": "Trauma and Orthopaedic",
    "inputs": {
        "treatment_function_code": "110",
        "pathway_stage": "admitted",
        "priority_code": "P3",
        "priority_defaulted": False,
        "priority_set_date": "2026-03-09",
        "site_code": "RZZ01",
        "rtt_clock_start": "2026-02-09",
        "rtt_status": None,
        "imd_decile": 1,
        "imd_measure_decile": 1,
        "imd_source": "lookup",
        "imd_edition": "iod2019",
        "ethnic_category": "A",
        "ethnic_group": "white",
        "inclusion_groups": [],
        "clinical_areas": [],
    },
    "rules": [
        {
            "key": "110",
            "version_id": 4,
            "version_label": "2026.2",
            "document": {"rule_set_id": "110", "version": "2026.2", "…": "the whole document"},
        },
        {
            "key": "default",
            "version_id": None,
            "version_label": "2026.1",
            "document": {"rule_set_id": "default", "version": "2026.1", "…": "the whole document"},
        },
    ],
    "rank": 112,
    "conventional_rank": 131,
    "rank_change": 19,
    "list_size": 4318,
    "wait_days": 287,
    "wait_weeks": 40,
    "score": 301.23,
    "components": {
        **{name: 0.0 for name in _COMPONENTS_EXAMPLE},
        "wait": 287.0,
        "deprivation": 14.23,
    },
    "factors": [
        {
            "component": "deprivation",
            "days": 14.23,
            "because": "living in one of the 10% most deprived areas",
        }
    ],
    "uplift_uncapped": 14.23,
    "cap_days": 21.0,
    "capped": False,
    "protected": False,
    "protection_reason": None,
    "parked": False,
    "parked_reason": None,
    "override": None,
    "sentence": "ranked 112th of 4,318 in Trauma and Orthopaedic P3: waited 40 weeks, plus 14.23 "
    "days for living in one of the 10% most deprived areas",
}


class RationaleOut(BaseModel):
    """Why one entry stood where it stood at ``at``: run, inputs, rules, components, sentence."""

    model_config = ConfigDict(json_schema_extra={"examples": [_RATIONALE_EXAMPLE]})

    at: datetime = Field(description="The moment asked about.")
    run: RunOut = Field(description="The run in force at `at` for this entry's list.")
    freshness: ListFreshnessOut | None = Field(
        default=None, description="The entry's list now: its serving run and staleness."
    )
    provider_code: str
    pathway_id: str
    specialty_name: str
    inputs: RationaleInputs
    rules: list[RuleDocumentOut] = Field(
        description="The entry's rule set, then the default one (bounds and vocabulary)."
    )
    rank: int
    conventional_rank: int
    rank_change: int
    list_size: int
    wait_days: int
    wait_weeks: int
    score: float
    components: dict[str, float] = Field(description=_COMPONENTS_DESCRIPTION)
    factors: list[FactorOut] = Field(description="Each non-zero equity component and why.")
    uplift_uncapped: float
    cap_days: float
    capped: bool
    protected: bool
    protection_reason: str | None
    parked: bool
    parked_reason: str | None
    override: AppliedOverride | None
    sentence: str = Field(description="Plain English a patient could read.")

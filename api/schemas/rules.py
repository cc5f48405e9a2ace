"""Schemas of the rules resource: versions, drafts, publication, diff, preview, in force."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from api.schemas.common import JsonDocument, SmallCount
from api.schemas.simulations import SimulationOut
from models.rules import PUBLISHED
from prioritisation import load_default_rules

if TYPE_CHECKING:
    from app.rules.preview import DraftPreview
    from app.rules.summary import InForceItem
    from models.rules import RuleSetVersion

_DOCUMENT = (
    "The rule set as JSON (`prioritisation.RuleSet`; see docs/rules-workflow.md). `rule_set_id` is "
    "the specialty in the address and is filled in when left out."
)


def _edited_document_example() -> dict[str, Any]:
    """Trauma and Orthopaedic's document: the shipped default with decile 1 raised to 25 days."""
    document = load_default_rules().default.model_dump(mode="json")
    deprivation = document["deprivation"]
    deprivation["decile_uplift_days"]["1"] = 25.0
    return {
        **document,
        "rule_set_id": "110",
        "bounds": None,
        "vocabulary": None,
        "rationale": {"deprivation.decile_uplift_days": "Decile 1 to 25 days (October audit)"},
    }


_VERSION_EXAMPLE: dict[str, Any] = {
    "id": 12,
    "specialty": "110",
    "version": 3,
    "status": "published",
    "lock_version": 4,
    "based_on_id": 9,
    "republished_from_id": None,
    "created_by": "dr.okafor",
    "created_at": "2026-11-20T10:02:11Z",
    "updated_by": "dr.okafor",
    "updated_at": "2026-11-23T09:00:00Z",
    "published_by": "dr.okafor",
    "published_at": "2026-11-23T09:00:00Z",
    "effective_from": "2026-11-30T00:00:00Z",
    "publish_reason": "Raise decile 1 uplift to 25 days after the October audit",
    "in_force": False,
    "scheduled": True,
}


class RuleVersionSummary(BaseModel):
    """One version of a specialty's rule set, without its document."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={"examples": [_VERSION_EXAMPLE]},
    )

    id: int = Field(description="Row id: drafts are edited at `/drafts/{id}`.")
    specialty: str = Field(description="`default` or a treatment function code.")
    version: int = Field(description="1, 2, … per specialty; never reused.")
    status: Literal["draft", "published", "discarded"]
    lock_version: int = Field(description="Bumped on every draft edit; the draft's ETag.")
    based_on_id: int | None = Field(description="The version this one was copied from.")
    republished_from_id: int | None = Field(description="Set on a rollback: the version re-used.")
    calibration_id: int | None = Field(
        default=None, description="Set on a draft a calibration created: that calibration."
    )
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime
    published_by: str | None
    published_at: datetime | None
    effective_from: datetime | None = Field(description="When a publication takes effect (UTC).")
    publish_reason: str | None
    in_force: bool = Field(default=False, description="The version in force now.")
    scheduled: bool = Field(default=False, description="Published, taking effect later.")

    @classmethod
    def fields_of(
        cls, row: RuleSetVersion, in_force_id: int | None, now: datetime
    ) -> dict[str, Any]:
        """The row's fields plus whether it is in force (``in_force_id``) or scheduled."""
        effective = row.effective_from
        return {
            **RuleVersionSummary.model_validate(row).model_dump(),
            "in_force": row.id == in_force_id,
            "scheduled": row.status == PUBLISHED and effective is not None and effective > now,
        }

    @classmethod
    def of(cls, row: RuleSetVersion, in_force_id: int | None, now: datetime) -> RuleVersionSummary:
        return RuleVersionSummary(**cls.fields_of(row, in_force_id, now))


class RuleVersionOut(RuleVersionSummary):
    """A version with its document."""

    ranking_job_ids: list[int] | None = Field(
        default=None,
        description="On a publication or rollback: the background jobs that re-rank the "
        "lists it reorders, at its `effective_from` (`GET /api/v1/jobs/{id}`).",
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{**_VERSION_EXAMPLE, "document": _edited_document_example()}]
        }
    )

    document: dict[str, Any] = Field(description=_DOCUMENT)

    @classmethod
    def with_document(
        cls, row: RuleSetVersion, in_force_id: int | None, now: datetime
    ) -> RuleVersionOut:
        return RuleVersionOut(**cls.fields_of(row, in_force_id, now), document=row.document)


class DraftCreate(BaseModel):
    """Start a draft from the version in force (empty body), an earlier version, or a document."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{}, {"from_version": 2}]}
    )

    from_version: SmallCount | None = Field(default=None, description="Copy this version.")
    document: JsonDocument | None = Field(default=None, description=_DOCUMENT)


class DraftUpdate(BaseModel):
    """The draft's whole new document (send the `ETag` you read as `If-Match`)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"document": _edited_document_example()}]}
    )

    document: JsonDocument = Field(description=_DOCUMENT)


class PublishIn(BaseModel):
    """Publication of a draft, or a rollback republishing an earlier version."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "reason": "Raise decile 1 uplift to 25 days after the October equity audit",
                    "effective_from": "2026-12-01T00:00:00Z",
                }
            ]
        },
    )

    reason: str = Field(min_length=1, max_length=4000, description="Why: kept and audited.")
    effective_from: AwareDatetime | None = Field(
        default=None,
        description="When it takes effect (with a time zone; now when left out; never past).",
    )


class ChangeOut(BaseModel):
    path: str
    before: Any = Field(description="Null where the path did not exist.")
    after: Any = Field(description="Null where the path no longer exists.")


class DiffOut(BaseModel):
    """Changed leaves between two versions."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "specialty": "110",
                    "from_version": 1,
                    "to_version": 3,
                    "changes": [
                        {"path": "deprivation.decile_uplift_days.1", "before": 21.0, "after": 25.0}
                    ],
                }
            ]
        }
    )

    specialty: str
    from_version: int
    to_version: int
    changes: list[ChangeOut]


class ReviewWarningOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    path: str = Field(description="`review_date` or `ethnicity.review_date`.")
    review_date: date
    days_overdue: int
    message: str


class InForceOut(BaseModel):
    """The rule set in force for one specialty key."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "specialty": "110",
                    "specialty_name": "Trauma and Orthopaedic",
                    "version_id": 12,
                    "version": 3,
                    "source": "published",
                    "effective_from": "2026-11-30T00:00:00Z",
                    "published_at": "2026-11-23T09:00:00Z",
                    "published_by": "dr.okafor",
                    "next_scheduled": None,
                    "review_warnings": [],
                }
            ]
        }
    )

    specialty: str
    specialty_name: str | None
    version_id: int | None = Field(description="Null: the shipped default document.")
    version: int | None
    source: Literal["published", "shipped", "default"] = Field(
        description="`published`: its own version; `shipped`: the default document shipped "
        "with the service (nothing published yet); `default`: no version of its own in force "
        "yet (one is scheduled), so the default applies."
    )
    effective_from: datetime | None
    published_at: datetime | None
    published_by: str | None
    next_scheduled: RuleVersionSummary | None = Field(
        description="The next published version taking effect later, if any."
    )
    review_warnings: list[ReviewWarningOut]

    @classmethod
    def of(cls, item: InForceItem, now: datetime) -> InForceOut:
        scheduled = item.next_scheduled
        return InForceOut(
            specialty=item.specialty,
            specialty_name=item.specialty_name,
            version_id=item.version_id,
            version=item.version,
            source=item.source,
            effective_from=item.effective_from,
            published_at=item.published_at,
            published_by=item.published_by,
            next_scheduled=None
            if scheduled is None
            else RuleVersionSummary.of(scheduled, None, now),
            review_warnings=[ReviewWarningOut.model_validate(w) for w in item.review_warnings],
        )


class ShiftOut(BaseModel):
    entries: int
    moved: int = Field(description="Entries whose rank changes.")
    mean_abs_change: float = Field(description="Mean absolute rank change (places).")
    median_abs_change: float
    max_abs_change: int


class ListShiftOut(BaseModel):
    provider_code: str
    treatment_function_code: str
    pathway_stage: str
    shift: ShiftOut


class GroupShiftOut(BaseModel):
    group: str = Field(description="IMD quintile 1–5 / `unknown`, or ethnic broad group.")
    entries: int
    mean_rank_change: float | None = Field(description="Draft minus current; negative = earlier.")
    share_moved_earlier: float | None
    share_moved_later: float | None
    mean_percentile_before: float | None = Field(description="100 × rank / list size.")
    mean_percentile_after: float | None
    percentile_change: float | None = Field(description="Negative = nearer the front.")


class GuardrailsOut(BaseModel):
    protected_entries: int = Field(description="Entries protected under the draft.")
    protected_moved_back: int = Field(
        description="Protected entries the draft moves behind an unprotected one: must be 0."
    )
    protected_moved_later_among_protected: int = Field(
        description="Protected entries moved later only by other protected entries."
    )
    lost_protection: int = Field(description="Protected now, not under the draft.")
    priority_order_kept: bool = Field(description="No entry ahead of a more urgent priority.")


_SHIFT_EXAMPLE: dict[str, Any] = {
    "entries": 4318,
    "moved": 612,
    "mean_abs_change": 3.4,
    "median_abs_change": 2.0,
    "max_abs_change": 41,
}


def _group_example(group: str, entries: int, change: float) -> dict[str, Any]:
    before = 48.2
    return {
        "group": group,
        "entries": entries,
        "mean_rank_change": change,
        "share_moved_earlier": 0.31 if change < 0 else 0.02,
        "share_moved_later": 0.02 if change < 0 else 0.12,
        "mean_percentile_before": before,
        "mean_percentile_after": round(before + change / 43.18, 3),
        "percentile_change": round(change / 43.18, 3),
    }


class PreviewOut(BaseModel):
    """How the draft would move the provider's current open list."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "specialty": "110",
                    "draft_version": 4,
                    "compared_with_version_id": 12,
                    "provider_code": "RZZ",
                    "census_date": "2026-11-23",
                    "entries_compared": 4318,
                    "parked_excluded": 131,
                    "overall": _SHIFT_EXAMPLE,
                    "lists": [
                        {
                            "provider_code": "RZZ",
                            "treatment_function_code": "110",
                            "pathway_stage": "admitted",
                            "shift": _SHIFT_EXAMPLE,
                        }
                    ],
                    "by_imd_quintile": [
                        _group_example("1", 903, -6.1),
                        _group_example("5", 822, 1.9),
                        _group_example("unknown", 57, 0.4),
                    ],
                    "by_ethnic_group": [
                        _group_example("white", 3120, 0.3),
                        _group_example("black", 211, -1.2),
                    ],
                    "guardrails": {
                        "protected_entries": 388,
                        "protected_moved_back": 0,
                        "protected_moved_later_among_protected": 3,
                        "lost_protection": 0,
                        "priority_order_kept": True,
                    },
                    "simulation": None,
                }
            ]
        }
    )

    specialty: str
    draft_version: int
    compared_with_version_id: int | None = Field(
        description="The version in force it is compared with (null: shipped default)."
    )
    provider_code: str
    census_date: date
    entries_compared: int
    parked_excluded: int = Field(description="Parked entries (P5/P6, monitoring): not ranked.")
    overall: ShiftOut
    lists: list[ListShiftOut]
    by_imd_quintile: list[GroupShiftOut]
    by_ethnic_group: list[GroupShiftOut]
    guardrails: GuardrailsOut
    simulation: SimulationOut | None = Field(
        default=None,
        description="With `simulate=true`: the draft's equity impact simulated week by week "
        "(`conventional`, `in_force`, `draft`; docs/simulation.md).",
    )

    @classmethod
    def of(cls, preview: DraftPreview) -> PreviewOut:
        body = preview.body
        return PreviewOut.model_validate(
            {
                "specialty": preview.specialty,
                "draft_version": preview.draft_version,
                "compared_with_version_id": preview.compared_with_version_id,
                "provider_code": preview.provider_code,
                "census_date": preview.census_date,
                "entries_compared": body.entries_compared,
                "parked_excluded": body.parked_excluded,
                "overall": body.overall,
                "lists": body.lists,
                "by_imd_quintile": body.by_imd_quintile,
                "by_ethnic_group": body.by_ethnic_group,
                "guardrails": body.guardrails,
            },
            from_attributes=True,
        )

"""Schemas of the audit resource."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AuditEventOut(BaseModel):
    """One audit record as stored (append-only; ``hash`` covers every field shown)."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 42,
                    "occurred_at": "2026-11-23T09:15:02.117305Z",
                    "actor": "pas.feed",
                    "actor_name": None,
                    "kind": "ptl.upload",
                    "provider_code": "RZZ",
                    "treatment_function_code": None,
                    "pathway_id": None,
                    "subject_type": "upload_batch",
                    "subject_id": "17",
                    "details": {
                        "mode": "replace",
                        "inserted": 120,
                        "updated": 99870,
                        "closed": 310,
                    },
                    "prev_hash": "5f1c…",
                    "hash": "a93e…",
                    "key_id": "2026-12",
                }
            ]
        },
    )

    id: int = Field(description="Position in the chain (1, 2, 3, … with no gaps).")
    occurred_at: datetime
    actor: str = Field(
        description="Who made the change: the identity provider's identifier of a person, or "
        "the subject of a service token."
    )
    actor_name: str | None = Field(
        default=None, description="The person's name from the identity provider (null otherwise)."
    )
    kind: str = Field(description="What happened, e.g. `ptl.upload`, `rules.published`.")
    provider_code: str | None
    treatment_function_code: str | None
    pathway_id: str | None
    subject_type: str | None
    subject_id: str | None
    details: dict[str, Any]
    prev_hash: str = Field(description="Hash of the previous record (64 zeros for the first).")
    hash: str = Field(
        description="HMAC-SHA256 (key `key_id`) over this record's fields and `prev_hash`; "
        "plain SHA-256 for records from before the chain was keyed (`key_id` null)."
    )
    key_id: str | None = Field(description="Id of the key that signed `hash`.")


class ChainVerification(BaseModel):
    """The outcome of re-walking the hash chain from the first record (docs/audit.md)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "valid": True,
                    "events_checked": 1842,
                    "first_broken_id": None,
                    "reason": None,
                    "anchored_event_id": 1840,
                    "anchored_at": "2026-12-02T06:00:00.000000+00:00",
                },
                {
                    "valid": False,
                    "events_checked": 41,
                    "first_broken_id": 42,
                    "reason": "record content does not match its hash",
                },
            ]
        }
    )

    valid: bool = Field(description="True when every record links to the one before it.")
    events_checked: int = Field(description="Records whose links were confirmed before stopping.")
    first_broken_id: int | None = Field(
        description="The first record whose link fails (null when the chain is sound)."
    )
    reason: str | None = Field(
        description="Why it fails: `event N is missing`, `previous-hash link does not match`, "
        "`record content does not match its hash`, `record is signed with an unknown key …`, "
        "`record is not keyed, after keyed records`, `record does not match the anchored head`, "
        "or the latest anchor is unreadable or not signed by a known key."
    )
    anchored_event_id: int | None = Field(
        default=None, description="The head named by the latest anchor (null: no anchor yet)."
    )
    anchored_at: str | None = Field(default=None, description="When that anchor was signed.")

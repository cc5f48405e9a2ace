"""Which rule versions are in force at a moment, as the prioritisation core's rule book.

Why one function: ranking runs, the rationale endpoint and the rules API must agree exactly on
which version applied when. In force at ``at`` means, per specialty key, the published version
with the greatest ``effective_from <= at`` (ties: latest ``published_at``, then highest id).
With nothing published for ``default``, the shipped default document applies.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.base import as_utc
from models.rules import DEFAULT_SPECIALTY, PUBLISHED, RuleSetVersion
from prioritisation import RuleBook, RuleSet, load_default_rules


class RulesInconsistent(ValueError):
    """The versions in force do not form a valid rule book (publication checks prevent this)."""


@dataclass(frozen=True, slots=True)
class InForceVersion:
    """Metadata of the version in force for one specialty key (``id`` None: shipped default)."""

    specialty: str
    id: int | None
    version: int | None
    effective_from: datetime | None
    published_at: datetime | None
    published_by: str | None


@dataclass(frozen=True, slots=True)
class InForceRules:
    """The rule book in force at ``at`` and where each of its rule sets came from.

    ``versions`` maps ``"default"`` and every specialty with its own in-force version to the
    ``RuleSetVersion.id`` in force (None when the shipped default document is used);
    ``documents`` holds the same keys' JSON documents as stored.
    """

    at: datetime
    rulebook: RuleBook
    versions: dict[str, int | None]
    documents: dict[str, dict[str, Any]]
    details: dict[str, InForceVersion]

    def key_for(self, treatment_function_code: str) -> str:
        """The specialty key whose rule set scores ``treatment_function_code``."""
        code = treatment_function_code
        return code if code in self.rulebook.specialties else DEFAULT_SPECIALTY

    def version_id_for(self, treatment_function_code: str) -> int | None:
        """The ``RuleSetVersion.id`` scoring a treatment function (None: shipped default)."""
        return self.versions[self.key_for(treatment_function_code)]


def shipped_default_document() -> dict[str, Any]:
    """The shipped default rule set as a stored document would hold it."""
    return load_default_rules().default.model_dump(mode="json")


def in_force_rows(session: Session, at: datetime) -> dict[str, RuleSetVersion]:
    """The published row in force at ``at`` for every specialty key that has one."""
    rows = session.scalars(
        select(RuleSetVersion)
        .where(RuleSetVersion.status == PUBLISHED, RuleSetVersion.effective_from <= as_utc(at))
        .order_by(
            RuleSetVersion.specialty,
            RuleSetVersion.effective_from.desc(),
            RuleSetVersion.published_at.desc(),
            RuleSetVersion.id.desc(),
        )
    )
    chosen: dict[str, RuleSetVersion] = {}
    for row in rows:
        chosen.setdefault(row.specialty, row)
    return chosen


def _details(row: RuleSetVersion) -> InForceVersion:
    return InForceVersion(
        specialty=row.specialty,
        id=row.id,
        version=row.version,
        effective_from=row.effective_from,
        published_at=row.published_at,
        published_by=row.published_by,
    )


def rulebook_from_documents(
    default: Mapping[str, Any], specialties: Mapping[str, Mapping[str, Any]]
) -> RuleBook:
    """Validate stored documents into a rule book (RulesInconsistent if they do not fit)."""
    try:
        return RuleBook(
            default=RuleSet.model_validate(default),
            specialties={k: RuleSet.model_validate(v) for k, v in specialties.items()},
        )
    except ValueError as exc:
        raise RulesInconsistent(f"rule versions in force do not fit together: {exc}") from exc


def rules_in_force(session: Session, at: datetime) -> InForceRules:
    """The rule book in force at ``at`` (naive datetimes are read as UTC)."""
    moment = as_utc(at)
    rows = in_force_rows(session, moment)
    default_row = rows.pop(DEFAULT_SPECIALTY, None)
    default_document = default_row.document if default_row else shipped_default_document()
    documents = {DEFAULT_SPECIALTY: default_document}
    documents.update({key: row.document for key, row in sorted(rows.items())})
    details = {
        DEFAULT_SPECIALTY: _details(default_row)
        if default_row
        else InForceVersion(DEFAULT_SPECIALTY, None, None, None, None, None)
    }
    details.update({key: _details(row) for key, row in sorted(rows.items())})
    rulebook = rulebook_from_documents(
        default_document, {k: v for k, v in documents.items() if k != DEFAULT_SPECIALTY}
    )
    return InForceRules(
        at=moment,
        rulebook=rulebook,
        versions={key: detail.id for key, detail in details.items()},
        documents=documents,
        details=details,
    )


def rule_version_documents(
    session: Session, version_ids: Iterable[int]
) -> dict[int, dict[str, Any]]:
    """The stored documents of the given versions (ids not found are left out)."""
    ids = sorted(set(version_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(RuleSetVersion.id, RuleSetVersion.document).where(RuleSetVersion.id.in_(ids))
    )
    return {row.id: row.document for row in rows}

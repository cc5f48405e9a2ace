"""Why an entry stood where it stood at a moment: the stored run row, its rules, a sentence.

Why rebuild a one-row engine result: the core's explanation helper is the single place that
phrases reasons for patients, so the rationale feeds it the stored row (inputs, components,
ranks as they were) and the stored rule documents, instead of phrasing things twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit import AuditKind, record_event
from app.rankings.errors import NotFound
from app.rankings.ranked import specialty_names
from app.rules.in_force import (
    rule_version_documents,
    rulebook_from_documents,
    shipped_default_document,
)
from models import PtlEntry, RankingOverride, RankingResult, RankingRun, RankingRunList
from models.base import utcnow
from prioritisation import COMPONENTS, PtlArrays, RuleBook
from prioritisation.coded import CodedPtl
from prioritisation.result import OVERRIDE_STATUSES, PARKED_REASONS
from prioritisation.result import RankingResult as EngineResult

DEFAULT_KEY = "default"


@dataclass(frozen=True, slots=True)
class AppliedRules:
    """One rule document that scored the entry (its own set, and the default for bounds)."""

    key: str
    version_id: int | None
    """``RuleSetVersion.id``; None when the shipped default document applied."""
    version_label: str
    document: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Rationale:
    at: datetime
    run: RankingRun
    row: RankingResult
    override: RankingOverride | None
    rules: list[AppliedRules]
    specialty_name: str
    explanation: dict[str, Any]


def lists_in_force(
    session: Session, provider_code: str, at: datetime
) -> dict[tuple[str, str], int]:
    """(specialty, stage) → the run serving that list at ``at``: the newest run for its own
    day's census that ranked it and had completed by then."""
    rows = session.execute(
        select(
            RankingRunList.treatment_function_code,
            RankingRunList.pathway_stage,
            func.max(RankingRunList.run_id),
        )
        .join(RankingRun, RankingRun.id == RankingRunList.run_id)
        .where(
            RankingRun.provider_code == provider_code,
            RankingRun.completed_at.is_not(None),
            RankingRun.completed_at <= at,
            RankingRun.rules_at == RankingRun.started_at,
        )
        .group_by(RankingRunList.treatment_function_code, RankingRunList.pathway_stage)
    )
    return {(tfc, stage): int(run_id) for tfc, stage, run_id in rows}


def find_result(
    session: Session, provider_code: str, pathway_id: str, at: datetime
) -> tuple[RankingRun, RankingResult]:
    """The run in force at ``at`` for the entry's list, and the entry's row in it.

    Each list has its own run in force (runs rank only the lists that changed); when an
    entry moved between lists, the newer of the runs holding it wins.
    """
    in_force = lists_in_force(session, provider_code, at)
    if not in_force:
        raise NotFound(
            f"no ranking run of provider {provider_code} had completed by {at.isoformat()}"
        )
    rows = session.scalars(
        select(RankingResult).where(
            RankingResult.pathway_id == pathway_id,
            RankingResult.run_id.in_(sorted(set(in_force.values()))),
        )
    ).all()
    held = [
        row
        for row in rows
        if in_force.get((row.treatment_function_code, row.pathway_stage)) == row.run_id
    ]
    if held:
        row = max(held, key=lambda r: r.run_id)
        run = session.get(RankingRun, row.run_id)
        assert run is not None
        return run, row
    entry = session.execute(
        select(PtlEntry.treatment_function_code, PtlEntry.pathway_stage).where(
            PtlEntry.provider_code == provider_code, PtlEntry.pathway_id == pathway_id
        )
    ).first()
    if entry is not None and (entry[0], entry[1]) in in_force:
        raise NotFound(
            f"pathway {pathway_id} was not in ranking run {in_force[(entry[0], entry[1])]} of "
            f"provider {provider_code}, the run in force at {at.isoformat()}"
        )
    raise NotFound(
        f"pathway {pathway_id} was not on a ranked list of provider {provider_code} "
        f"at {at.isoformat()}"
    )


def applied_rules(session: Session, run: RankingRun, row: RankingResult) -> list[AppliedRules]:
    """The entry's rule document, then the default one when the entry had its own set."""
    keys = [row.rule_set_key] + ([DEFAULT_KEY] if row.rule_set_key != DEFAULT_KEY else [])
    ids = {key: (run.rule_versions or {}).get(key) for key in keys}
    ids[row.rule_set_key] = row.rule_version_id
    documents = rule_version_documents(session, [i for i in ids.values() if i is not None])
    applied = []
    for key in keys:
        version_id = ids[key]
        if version_id is None:
            document = shipped_default_document()
        elif version_id in documents:
            document = documents[version_id]
        else:
            raise NotFound(f"rule version {version_id} used by run {run.id} is missing")
        applied.append(AppliedRules(key, version_id, str(document.get("version", "")), document))
    return applied


def _rulebook(rules: list[AppliedRules]) -> RuleBook:
    default = next(r.document for r in rules if r.key == DEFAULT_KEY)
    specialties = {r.key: r.document for r in rules if r.key != DEFAULT_KEY}
    return rulebook_from_documents(default, specialties)


def _one(values: Any, dtype: Any) -> Any:
    return np.array([values], dtype=dtype)


def engine_result(run: RankingRun, row: RankingResult, rulebook: RuleBook) -> EngineResult:
    """The stored row as a one-entry engine result (what the explanation helper reads)."""
    measure = rulebook.rule_set_for(row.treatment_function_code).deprivation.imd_measure
    domains: dict[str, Any] = {}
    if measure != "overall":
        domains[measure] = [row.imd_measure_decile or 0]
    inputs = PtlArrays.from_columns(
        pathway_id=[row.pathway_id],
        provider_code=[row.provider_code],
        treatment_function_code=[row.treatment_function_code],
        pathway_stage=[row.pathway_stage],
        priority_code=[row.priority_code],
        rtt_clock_start=[np.datetime64(row.rtt_clock_start.isoformat(), "D")],
        imd_decile=[row.imd_decile or 0],
        imd_domain_deciles=domains,
        ethnic_category=[row.ethnic_category],
        ethnic_group=[row.ethnic_group],
        inclusion_groups=[row.inclusion_groups],
        clinical_areas=[row.clinical_areas],
        rtt_status=[row.rtt_status or ""],
    )

    def cents(days: float) -> Any:
        return _one(round(days * 100), np.int64)

    return EngineResult(
        census_date=np.datetime64(run.census_date.isoformat(), "D"),
        list_id=_one(0, np.int64),
        list_keys=((row.provider_code, row.treatment_function_code, row.pathway_stage),),
        rank=_one(row.rank, np.int64),
        conventional_rank=_one(row.conventional_rank, np.int64),
        list_size=_one(row.list_size, np.int64),
        parked=_one(row.parked, np.bool_),
        parked_reason_index=_one(PARKED_REASONS.index(row.parked_reason), np.int64),
        priority_index=_one(0, np.int64),
        priority_names=(row.priority_code,),
        priority_defaulted=_one(row.priority_defaulted, np.bool_),
        wait_days=_one(row.wait_days, np.int64),
        score_centidays=cents(row.score),
        component_centidays={name: cents(getattr(row, name)) for name in COMPONENTS},
        uplift_uncapped_centidays=cents(row.uplift_uncapped),
        cap_centidays=cents(row.cap_days),
        capped=_one(row.capped, np.bool_),
        protected=_one(row.protected, np.bool_),
        protection_reason_index=_one(0, np.int16),
        protection_reasons=(row.protection_reason,),
        rule_set_index=_one(0, np.int64),
        rule_set_ids=(row.rule_set_key,),
        rule_set_versions=(row.rule_set_version,),
        override_kind=_one(row.override_kind, str),
        override_status_index=_one(OVERRIDE_STATUSES.index(row.override_status), np.int64),
        coded=CodedPtl.from_arrays(inputs),
        rules=rulebook,
        ranked_order=np.zeros(0 if row.parked else 1, dtype=np.intp),
        conventional_ranked_order=np.zeros(0 if row.parked else 1, dtype=np.intp),
    )


def find_rationale(
    session: Session, provider_code: str, pathway_id: str, *, at: datetime | None = None
) -> Rationale:
    """The rationale of one entry at ``at`` (default now), not yet audited: whoever answers
    with it records the access (:func:`record_rationale_access`) in the same transaction."""
    moment = at or utcnow()
    run, row = find_result(session, provider_code, pathway_id, moment)
    rules = applied_rules(session, run, row)
    names = specialty_names(session)
    explanation = engine_result(run, row, _rulebook(rules)).explain([0], names)[0]
    override = session.get(RankingOverride, row.override_id) if row.override_id else None
    return Rationale(
        at=moment,
        run=run,
        row=row,
        override=override,
        rules=rules,
        specialty_name=names.get(row.treatment_function_code, row.treatment_function_code),
        explanation=explanation,
    )


def record_rationale_access(session: Session, actor: str, found: Rationale) -> None:
    """Audit that ``actor`` was shown ``found`` (``rationale.accessed``)."""
    record_event(
        session,
        actor,
        AuditKind.RATIONALE_ACCESSED,
        provider_code=found.row.provider_code,
        treatment_function_code=found.row.treatment_function_code,
        pathway_id=found.row.pathway_id,
        subject_type="ranking_run",
        subject_id=found.run.id,
        details={"run_id": found.run.id, "at": found.at.isoformat()},
    )


def entry_rationale(
    session: Session,
    provider_code: str,
    pathway_id: str,
    *,
    actor: str,
    at: datetime | None = None,
) -> Rationale:
    """The rationale of one entry at ``at`` (default now); the access itself is audited."""
    found = find_rationale(session, provider_code, pathway_id, at=at)
    record_rationale_access(session, actor, found)
    return found

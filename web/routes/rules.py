"""Rules pages anyone signed in may read: what is in force per specialty (in plain words), each
specialty's history, one version, and the difference between two versions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import SessionDep
from app.rules import service
from app.rules.calibration import list_calibrations
from app.rules.errors import RulesError
from app.rules.in_force import in_force_rows, rules_in_force
from app.rules.summary import in_force_summary
from models import ClinicalArea, InclusionGroup, TreatmentFunction
from models.base import utcnow
from models.rules import DEFAULT_SPECIALTY, DRAFT, RuleSetVersion
from prioritisation import RuleSet
from web.auth import CurrentUser, PageError
from web.plain import describe
from web.templating import render, sentence

CALIBRATIONS_SHOWN = 20

router = APIRouter()


def flag_names(session: Session) -> tuple[dict[str, str], dict[str, str]]:
    inclusion = dict(session.execute(select(InclusionGroup.code, InclusionGroup.name)).all())
    areas = dict(session.execute(select(ClinicalArea.code, ClinicalArea.name)).all())
    return inclusion, areas


def plain_words(session: Session, document: dict[str, Any]) -> list[Any]:
    inclusion, areas = flag_names(session)
    return describe(
        RuleSet.model_validate(document), inclusion_names=inclusion, clinical_area_names=areas
    )


def specialty_name(session: Session, specialty: str) -> str:
    if specialty == DEFAULT_SPECIALTY:
        return "Default rules (every specialty without its own)"
    name = session.get(TreatmentFunction, specialty)
    return f"{specialty} {name.name}" if name else specialty


def checked_specialty(session: Session, specialty: str) -> str:
    try:
        service.ensure_specialty(session, specialty)
    except RulesError as exc:
        raise PageError(404, "No such specialty", sentence(str(exc))) from exc
    return specialty


@router.get("/rules", name="rules")
def rules_index(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    now = utcnow()
    items = in_force_summary(session, now)
    own = {item.specialty for item in items}
    specialties = [
        (code, name)
        for code, name in session.execute(
            select(TreatmentFunction.code, TreatmentFunction.name).order_by(TreatmentFunction.code)
        )
        if code not in own
    ]
    default_doc = rules_in_force(session, now).documents[DEFAULT_SPECIALTY]
    return render(
        request,
        "rules/index.html",
        {
            "items": items,
            "other_specialties": specialties,
            "default_plain": plain_words(session, default_doc),
            "default_doc": default_doc,
        },
    )


@router.get("/rules/go", name="rules_go")
def rules_go(user: CurrentUser, specialty: str = "") -> Response:
    """The specialty picker of the rules page (works without JavaScript)."""
    return RedirectResponse(f"/rules/{specialty if specialty.isdigit() else 'default'}", 303)


@router.get("/rules/{specialty}", name="rules_specialty")
def rules_specialty(
    request: Request, specialty: str, user: CurrentUser, session: SessionDep
) -> Response:
    """What is in force for one specialty key, in plain words, and its history."""
    checked_specialty(session, specialty)
    now = utcnow()
    in_force = rules_in_force(session, now)
    own = specialty in in_force.documents
    document = in_force.documents[specialty] if own else in_force.documents[DEFAULT_SPECIALTY]
    current = in_force_rows(session, now).get(specialty)
    history = service.history(session, specialty, limit=100)
    drafts = [row for row in history if row.status == DRAFT]
    calibrations = list_calibrations(session, specialty, limit=CALIBRATIONS_SHOWN)
    draft_ids = [c.draft_id for c in calibrations if c.draft_id is not None]
    made = {
        row.id: row
        for row in session.scalars(select(RuleSetVersion).where(RuleSetVersion.id.in_(draft_ids)))
    }
    return render(
        request,
        "rules/specialty.html",
        {
            "specialty": specialty,
            "name": specialty_name(session, specialty),
            "own": own,
            "document": document,
            "current": current,
            "plain": plain_words(session, document),
            "history": history,
            "drafts": drafts,
            "in_force_id": current.id if current else None,
            "now": now,
            "calibrations": [
                {"row": c, "draft": made.get(c.draft_id) if c.draft_id else None}
                for c in calibrations
            ],
            "calibrations_shown": CALIBRATIONS_SHOWN,
        },
    )


def _version(session: Session, specialty: str, version: int) -> RuleSetVersion:
    try:
        return service.get_version(session, specialty, version)
    except RulesError as exc:
        raise PageError(404, "No such version", sentence(str(exc))) from exc


@router.get("/rules/{specialty}/versions/{version}", name="rules_version")
def rules_version(
    request: Request, specialty: str, version: int, user: CurrentUser, session: SessionDep
) -> Response:
    checked_specialty(session, specialty)
    row = _version(session, specialty, version)
    current = in_force_rows(session, utcnow()).get(specialty)
    return render(
        request,
        "rules/version.html",
        {
            "specialty": specialty,
            "name": specialty_name(session, specialty),
            "row": row,
            "in_force": current is not None and current.id == row.id,
            "plain": plain_words(session, row.document),
        },
    )


@router.get("/rules/{specialty}/diff", name="rules_diff")
def rules_diff(
    request: Request,
    specialty: str,
    user: CurrentUser,
    session: SessionDep,
    from_version: int | None = None,
    to_version: int | None = None,
) -> Response:
    checked_specialty(session, specialty)
    history = service.history(session, specialty, limit=100)
    errors: list[dict[str, str]] = []
    changes = None
    if from_version is not None and to_version is not None:
        try:
            changes = service.diff_versions(session, specialty, from_version, to_version)
        except RulesError as exc:
            errors.append({"text": sentence(str(exc)), "href": "#from_version"})
    return render(
        request,
        "rules/diff.html",
        {
            "specialty": specialty,
            "name": specialty_name(session, specialty),
            "history": history,
            "from_version": from_version,
            "to_version": to_version,
            "changes": changes,
            "errors": errors,
        },
        status_code=404 if errors else 200,
    )

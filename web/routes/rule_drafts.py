"""Changing rules (clinicians and administrators): create a draft, edit it in a form that
reports every problem at once, preview its impact, publish it, discard it, roll back.

Each step calls the rules service the API calls, so the same checks, locks and audit
records apply; the form's hidden ``lock_version`` plays the part of the API's If-Match.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from api.deps import SessionDep, SettingsDep
from app.rules import service
from app.rules.errors import RuleDocumentInvalid, RulesError
from app.rules.impact_preview import preview_impact
from app.rules.in_force import rules_in_force, shipped_default_document
from app.rules.preview import preview_draft
from app.rules.validation import validate_document
from app.simulations import NoOpenList, SimulationError
from models.base import utcnow
from models.rules import DEFAULT_SPECIALTY, RuleSetVersion
from prioritisation import RuleProblem, RuleSet
from web.auth import PageError, PostedForm, form_user_with, require
from web.charts import simulation_view
from web.draft_form import FieldGroup, apply_form, build_fields, field_id, with_saved_values
from web.lookups import providers
from web.navigation import RULE_EDITORS
from web.routes.entry import parse_moment
from web.routes.rules import checked_specialty, flag_names, specialty_name
from web.sessions import SignedIn
from web.templating import render, sentence

router = APIRouter()
Editor = Annotated[SignedIn, Depends(require(*RULE_EDITORS))]
Poster = Annotated[SignedIn, Depends(form_user_with(*RULE_EDITORS))]


def _default_rules(session: Session, specialty: str) -> RuleSet:
    """The rule set whose bounds the editor shows: the default in force for a specialty, the
    shipped default for the default itself."""
    if specialty == DEFAULT_SPECIALTY:
        return RuleSet.model_validate(shipped_default_document())
    return rules_in_force(session, utcnow()).rulebook.default


def _groups(session: Session, specialty: str, document: dict[str, Any]) -> list[FieldGroup]:
    inclusion, areas = flag_names(session)
    return build_fields(
        document,
        _default_rules(session, specialty),
        inclusion_names=inclusion,
        clinical_area_names=areas,
    )


def _draft(session: Session, specialty: str, draft_id: int) -> RuleSetVersion:
    try:
        return service.get_draft(session, specialty, draft_id)
    except RulesError as exc:
        raise PageError(
            404 if "not found" in str(exc) else 409,
            "This draft cannot be edited",
            sentence(str(exc)),
        ) from exc


def _errors(
    problems: list[RuleProblem], groups: list[FieldGroup]
) -> tuple[list[dict[str, str]], dict[str, str]]:
    """Error summary entries linked to their fields, and each field's own message."""
    labels = {f.path: f.label for g in groups for f in g.fields}
    paths = set(labels)
    summary, by_field = [], {}
    for problem in problems:
        path = problem.path
        target = (
            path
            if path in paths
            else next(
                (p for p in paths if path.startswith(p + ".") or p.startswith(path + ".")), None
            )
        )
        label = labels[target] if target else path
        text = f"{label}: {problem.message}"
        summary.append({"text": text, "href": f"#{field_id(target)}" if target else "#editor"})
        if target and target not in by_field:
            by_field[target] = problem.message
    return summary, by_field


def _editor(
    request: Request,
    session: Session,
    specialty: str,
    row: RuleSetVersion,
    document: dict[str, Any],
    *,
    problems: list[RuleProblem] | None = None,
    status_code: int = 200,
    notice: str | None = None,
) -> Response:
    groups = _groups(session, specialty, document)
    summary, by_field = _errors(problems or [], groups)
    return render(
        request,
        "rules/editor.html",
        {
            "specialty": specialty,
            "name": specialty_name(session, specialty),
            "row": row,
            "groups": groups,
            "errors": summary,
            "field_errors": by_field,
            "providers": providers(session),
            "notice": notice,
            "today": date.today().isoformat(),
        },
        status_code=status_code,
    )


def every_problem(
    session: Session,
    specialty: str,
    document: dict[str, Any],
    saved: dict[str, Any],
    problems: list[RuleProblem],
) -> list[RuleProblem]:
    """Every problem of the posted document at once: validation stops at the first layer that
    fails (schema, then bounds, then fit), so values found wrong stand in with the saved ones
    and the rest is checked again, until nothing new turns up."""
    found = list(problems)
    for _ in range(4):
        candidate = with_saved_values(document, saved, found)
        try:
            validate_document(session, specialty, candidate, utcnow())
            return found
        except RuleDocumentInvalid as exc:
            seen = {p.path for p in found}
            new = [p for p in exc.problems if p.path not in seen]
            if not new:
                return found
            found += new
    return found


@router.post("/rules/{specialty}/drafts", name="create_draft")
def create_draft(specialty: str, user: Poster, session: SessionDep) -> Response:
    """A new draft from the version in force (or, for a specialty without one, the default)."""
    checked_specialty(session, specialty)
    try:
        row = service.create_draft(session, specialty, user.actor)
    except RulesError as exc:
        session.rollback()
        raise PageError(409, "The draft was not created", sentence(str(exc))) from exc
    return RedirectResponse(f"/rules/{specialty}/drafts/{row.id}", 303)


@router.get("/rules/{specialty}/drafts/{draft_id}", name="edit_draft")
def edit_draft(
    request: Request,
    specialty: str,
    draft_id: int,
    user: Editor,
    session: SessionDep,
    saved: str = "",
) -> Response:
    checked_specialty(session, specialty)
    row = _draft(session, specialty, draft_id)
    notice = "Your changes were saved. Preview the draft before publishing it." if saved else None
    return _editor(request, session, specialty, row, row.document, notice=notice)


@router.post("/rules/{specialty}/drafts/{draft_id}", name="save_draft")
def save_draft(
    request: Request,
    specialty: str,
    draft_id: int,
    user: Poster,
    session: SessionDep,
    form: PostedForm,
) -> Response:
    """Save the form: every problem (unreadable values, bounds, fit with other rule sets) is
    listed at once, each linked to its field; nothing is saved unless all pass."""
    checked_specialty(session, specialty)
    row = _draft(session, specialty, draft_id)
    groups = _groups(session, specialty, row.document)
    document, problems = apply_form(row.document, form, groups)
    try:
        expected = int(form.get("lock_version", ""))
    except ValueError:
        expected = 0
    problems = every_problem(session, specialty, document, row.document, problems)
    if not problems:
        try:
            service.update_draft(
                session, specialty, draft_id, document, expected_lock=expected, actor=user.actor
            )
        except RuleDocumentInvalid as exc:
            session.rollback()
            problems = list(exc.problems)
        except RulesError as exc:
            session.rollback()
            problems = [RuleProblem("editor", str(exc))]
    if problems:
        return _editor(
            request, session, specialty, row, document, problems=problems, status_code=422
        )
    return RedirectResponse(f"/rules/{specialty}/drafts/{draft_id}?saved=1", 303)


@router.post("/rules/{specialty}/drafts/{draft_id}/preview", name="preview_draft")
def preview(
    request: Request,
    specialty: str,
    draft_id: int,
    user: Poster,
    session: SessionDep,
    settings: SettingsDep,
    provider: Annotated[str, Form()] = "",
    weeks: Annotated[str, Form()] = "52",
) -> Response:
    """Rank the provider's list with and without the draft and simulate its impact; the
    audit records that it was seen (publication needs that)."""
    checked_specialty(session, specialty)
    row = _draft(session, specialty, draft_id)
    try:
        horizon = max(1, min(104, int(weeks)))
    except ValueError:
        horizon = 52
    code = provider.strip().upper()
    try:
        result = preview_draft(
            session,
            specialty,
            draft_id,
            provider_code=code,
            census_date=date.today(),
            imd_edition=settings.imd_edition,
        )
        impact = preview_impact(
            session,
            row,
            actor=user.actor,
            provider_code=result.provider_code,
            census_date=result.census_date,
            weeks=horizon,
            imd_edition=settings.imd_edition,
        )
    except (RulesError, SimulationError) as exc:
        session.rollback()
        status = 404 if isinstance(exc, NoOpenList) else 422
        raise PageError(status, "The draft could not be previewed", sentence(str(exc))) from exc
    return render(
        request,
        "rules/preview.html",
        {
            "specialty": specialty,
            "name": specialty_name(session, specialty),
            "row": row,
            "preview": result,
            "body": result.body,
            "simulation": simulation_view(impact),
            "weeks": horizon,
            "today": date.today().isoformat(),
        },
    )


def _effective(on: str, at: str) -> datetime | None:
    if not on.strip():
        return None
    return parse_moment(f"{on.strip()}T{(at.strip() or '00:00')}")


@router.post("/rules/{specialty}/drafts/{draft_id}/publish", name="publish_draft")
def publish(
    specialty: str,
    draft_id: int,
    user: Poster,
    session: SessionDep,
    reason: Annotated[str, Form()] = "",
    lock_version: Annotated[str, Form()] = "",
    effective_date: Annotated[str, Form()] = "",
    effective_time: Annotated[str, Form()] = "",
) -> Response:
    checked_specialty(session, specialty)
    try:
        effective = _effective(effective_date, effective_time)
    except ValueError as exc:
        raise PageError(
            422,
            "The draft was not published",
            "Enter the effective date as YYYY-MM-DD and the time as HH:MM.",
        ) from exc
    try:
        row = service.publish_draft(
            session,
            specialty,
            draft_id,
            actor=user.actor,
            reason=reason,
            effective_from=effective,
            expected_lock=int(lock_version) if lock_version.isdigit() else None,
        )
    except RulesError as exc:
        session.rollback()
        raise PageError(
            409 if not isinstance(exc, RuleDocumentInvalid) else 422,
            "The draft was not published",
            sentence(str(exc)),
        ) from exc
    return RedirectResponse(f"/rules/{specialty}/versions/{row.version}?published=1", 303)


@router.post("/rules/{specialty}/drafts/{draft_id}/discard", name="discard_draft")
def discard(specialty: str, draft_id: int, user: Poster, session: SessionDep) -> Response:
    checked_specialty(session, specialty)
    try:
        service.discard_draft(session, specialty, draft_id, actor=user.actor, expected_lock=None)
    except RulesError as exc:
        session.rollback()
        raise PageError(409, "The draft was not discarded", sentence(str(exc))) from exc
    return RedirectResponse(f"/rules/{specialty}", 303)


@router.post("/rules/{specialty}/versions/{version}/rollback", name="rollback")
def rollback(
    specialty: str,
    version: int,
    user: Poster,
    session: SessionDep,
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Publish an earlier version's document again, as a new version."""
    checked_specialty(session, specialty)
    try:
        row = service.republish(session, specialty, version, actor=user.actor, reason=reason)
    except RulesError as exc:
        session.rollback()
        raise PageError(
            409 if not isinstance(exc, RuleDocumentInvalid) else 422,
            "The version was not published again",
            sentence(str(exc)),
        ) from exc
    return RedirectResponse(f"/rules/{specialty}/versions/{row.version}?published=1", 303)

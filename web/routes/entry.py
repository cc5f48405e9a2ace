"""One entry: why it stood where it stood (now or at an earlier moment), the runs that ranked
it, and its overrides, which clinicians create and revoke here.

Reading a rationale is audited exactly as over the API (``rationale.accessed``).
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from api.deps import SessionDep, SettingsDep
from app import rankings
from app.rankings.history import entry_runs
from app.rankings.views import rationale_record
from models import RankingOverride
from prioritisation import COMPONENTS
from web.auth import PageError, form_user_with, require
from web.lookups import version_labels
from web.navigation import OVERRIDE_EDITORS, RATIONALE_READERS
from web.routes.ranked import COMPONENT_NAMES
from web.sessions import SignedIn
from web.templating import LOCAL_TIME, render, sentence

router = APIRouter()
Reader = Annotated[SignedIn, Depends(require(*RATIONALE_READERS))]
Editor = Annotated[SignedIn, Depends(form_user_with(*OVERRIDE_EDITORS))]
KINDS = {
    "pin_ahead": "Pin ahead: top of its priority band",
    "hold_back": "Hold back: bottom of its priority band",
    "adjust_uplift": "Adjust: add or remove days outside the equity cap",
}


def parse_moment(value: str) -> datetime | None:
    """A ``datetime-local`` value (UK time) as an aware UTC moment; ValueError if malformed."""
    if not value.strip():
        return None
    moment = datetime.fromisoformat(value.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TIME)
    return moment


def bar(components: dict[str, float]) -> dict[str, Any]:
    """The score as labelled segments in whole percent (the cap and negative adjustments,
    which take days away, are listed beside the bar instead)."""
    positive = {n: v for n, v in components.items() if v > 0}
    total = sum(positive.values()) or 1.0
    segments, used = [], 0
    for name, value in positive.items():
        width = max(1, round(100 * value / total))
        width = min(width, 100 - used)
        used += width
        segments.append({"name": name, "width": width, "days": value, "label": _label(name)})
    taken = [{"label": _label(n), "days": v} for n, v in components.items() if v < 0]
    return {"segments": segments, "taken": taken}


def _label(name: str) -> str:
    return "Wait" if name == "wait" else COMPONENT_NAMES.get(name, name)


def _entry_context(
    session: Session, user: SignedIn, provider: str, pathway_id: str, at: str
) -> dict[str, Any]:
    errors: list[dict[str, str]] = []
    moment: datetime | None = None
    try:
        moment = parse_moment(at)
    except ValueError:
        errors.append({"text": "Enter the moment as a date and time", "href": "#at"})
    record = None
    if not errors:
        try:
            found = rankings.entry_rationale(
                session, provider, pathway_id, actor=user.actor, at=moment
            )
            record = rationale_record(found)
        except rankings.NotFound as exc:
            errors.append({"text": sentence(str(exc)), "href": "#at"})
    components = record["components"] if record else {}
    labels = version_labels(session, [r["version_id"] for r in record["rules"]]) if record else {}
    overrides = rankings.list_overrides(session, provider, pathway_id, limit=50, after_id=None)
    return {
        "provider": provider,
        "pathway_id": pathway_id,
        "at": at,
        "errors": errors,
        "r": record,
        "bar": bar({n: components[n] for n in COMPONENTS}) if record else None,
        "rule_labels": labels,
        "runs": entry_runs(session, provider, pathway_id),
        "overrides": overrides[:50],
        "kinds": KINDS,
        "form": {},
        "form_errors": [],
    }


@router.get("/entries/{provider}/{pathway_id}", name="entry")
def entry_page(
    request: Request,
    provider: str,
    pathway_id: str,
    user: Reader,
    session: SessionDep,
    at: str = "",
) -> Response:
    context = _entry_context(session, user, provider.upper(), pathway_id, at)
    status = 404 if context["r"] is None and not context["runs"] else 200
    return render(request, "entry.html", context, status_code=status)


def _expiry(day: str, month: str, year: str) -> datetime:
    """The end of the given day in UK time (ValueError when it is not a date)."""
    chosen = date(int(year), int(month), int(day))
    return datetime.combine(chosen, time(23, 59, 59), tzinfo=LOCAL_TIME)


def _field_for(message: str) -> str:
    for word, anchor in (
        ("days", "#days"),
        ("reason", "#reason"),
        ("expires", "#expires-day"),
        ("kind", "#kind"),
    ):
        if word in message:
            return anchor
    return "#kind"


@router.post("/entries/{provider}/{pathway_id}/overrides", name="create_override")
def create_override(
    request: Request,
    provider: str,
    pathway_id: str,
    user: Editor,
    session: SessionDep,
    settings: SettingsDep,
    kind: Annotated[str, Form()] = "",
    days: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    expires_day: Annotated[str, Form(alias="expires[day]")] = "",
    expires_month: Annotated[str, Form(alias="expires[month]")] = "",
    expires_year: Annotated[str, Form(alias="expires[year]")] = "",
    rerank: Annotated[str, Form()] = "",
) -> Response:
    """Create an override (audited); with "rank again now", the provider is re-ranked."""
    code = provider.upper()
    errors: list[dict[str, str]] = []
    amount: float | None = None
    if kind == "adjust_uplift":
        try:
            amount = float(days)
        except ValueError:
            errors.append(
                {"text": "Enter the days to add (a negative number removes days)", "href": "#days"}
            )
    try:
        expires = _expiry(expires_day, expires_month, expires_year)
    except ValueError:
        errors.append({"text": "Enter the expiry as a real date", "href": "#expires-day"})
        expires = None
    if not reason.strip():
        errors.append({"text": "Enter the reason for the override", "href": "#reason"})
    if kind not in KINDS:
        errors.append({"text": "Choose what the override does", "href": "#kind"})
    if not errors and expires is not None:
        try:
            rankings.create_override(
                session,
                code,
                pathway_id,
                kind=kind,
                days=amount,
                reason=reason,
                expires_at=expires,
                actor=user.actor,
            )
            if rerank:
                rankings.run_ranking(
                    session,
                    code,
                    actor=user.actor,
                    trigger="manual",
                    census_date=date.today(),
                    imd_edition=settings.imd_edition,
                )
            return RedirectResponse(f"/entries/{code}/{pathway_id}?created=1", 303)
        except rankings.RankingError as exc:
            session.rollback()
            errors.append({"text": sentence(str(exc)), "href": _field_for(str(exc))})
    context = _entry_context(session, user, code, pathway_id, "")
    context["form"] = {
        "kind": kind,
        "days": days,
        "reason": reason,
        "expires-day": expires_day,
        "expires-month": expires_month,
        "expires-year": expires_year,
        "rerank": bool(rerank),
    }
    context["form_errors"] = errors
    return render(request, "entry.html", context, status_code=422)


@router.post(
    "/entries/{provider}/{pathway_id}/overrides/{override_id}/revoke", name="revoke_override"
)
def revoke_override(
    request: Request,
    provider: str,
    pathway_id: str,
    override_id: int,
    user: Editor,
    session: SessionDep,
    reason: Annotated[str, Form()] = "",
) -> Response:
    code = provider.upper()
    found = session.get(RankingOverride, override_id)
    if found is None or (found.provider_code, found.pathway_id) != (code, pathway_id):
        raise PageError(
            404, "Override not found", f"Pathway {pathway_id} has no override {override_id}."
        )
    try:
        rankings.revoke_override(session, override_id, actor=user.actor, reason=reason)
    except rankings.RankingError as exc:
        session.rollback()
        raise PageError(
            422 if isinstance(exc, rankings.Invalid) else 409,
            "The override was not revoked",
            sentence(str(exc)),
        ) from exc
    return RedirectResponse(f"/entries/{code}/{pathway_id}?revoked={override_id}", 303)

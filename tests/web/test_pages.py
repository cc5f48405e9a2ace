"""Each role's pages, read and changed through the forms, on a small ranked demo list."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from app.audit import AuditKind
from app.database import session_scope
from models import AuditEvent, RankingOverride, RankingResult, WebSession
from tests.web.conftest import demo_data, form_values

pytestmark = pytest.mark.db

PAGES = ("/ranked", "/rules", "/rules/110", "/equity", "/audit")
ALLOWED = {
    "scheduler": {"/ranked", "/rules", "/rules/110"},
    "clinician": {"/ranked", "/rules", "/rules/110", "/equity"},
    "auditor": {"/ranked", "/rules", "/rules/110", "/equity", "/audit"},
    "equity_lead": {"/ranked", "/rules", "/rules/110", "/equity"},
    "admin": set(PAGES),
}


def _csrf(html: str) -> str:
    return html.split('name="csrf_token" value="')[1].split('"')[0]


def _a_pathway(engine) -> str:
    with session_scope(engine) as session:
        return session.scalars(
            select(RankingResult.pathway_id)
            .where(RankingResult.rank > 0)
            .order_by(RankingResult.pathway_id)
        ).first()


def test_each_role_opens_its_pages_and_no_others(web_client, sign_in, engine, tmp_path):
    demo_data(engine, tmp_path)
    pathway = _a_pathway(engine)
    for role, allowed in ALLOWED.items():
        sign_in(f"person.{role}", roles=[role])
        for path in PAGES:
            status = web_client.get(path).status_code
            assert status == (200 if path in allowed else 403), (role, path, status)
        entry = web_client.get(f"/entries/RZZ/{pathway}").status_code
        assert entry == (200 if role in ("clinician", "auditor", "admin") else 403), role
        ranked = web_client.get("/ranked").text
        numbers = re.findall(r"999[\d*]{7}", ranked)
        assert numbers, role
        masked = all("*" in n for n in numbers)
        assert masked == (role not in ("scheduler", "admin")), role


def test_scheduler_filters_searches_and_downloads(web_client, sign_in, engine, tmp_path):
    demo_data(engine, tmp_path)
    sign_in("pas.scheduler", roles=["scheduler"])
    page = web_client.get(
        "/ranked", params={"specialty": "110", "stage": "admitted", "priority": "p3"}
    )
    assert (
        page.status_code == 200
        and "Ranked " in page.text
        and "with rules default: shipped" in page.text
    )
    assert "110 Trauma and Orthopaedic, admitted" in page.text
    assert re.findall(r"<td class=\"nhsuk-table__cell\">P\d", page.text) == [
        '<td class="nhsuk-table__cell">P3'
    ] * len(re.findall(r"<td class=\"nhsuk-table__cell\">P\d", page.text))
    pages = [web_client.get("/ranked").text]
    for _ in range(2):
        href = re.search(r'nhsuk-pagination__link--next" href="([^"]+)"', pages[-1]).group(1)
        pages.append(web_client.get(href.replace("&amp;", "&")).text)
    back = re.search(r'nhsuk-pagination__link--prev" href="([^"]+)"', pages[2]).group(1)
    again = web_client.get(back.replace("&amp;", "&")).text
    ids = lambda html: re.findall(r"<td class=\"nhsuk-table__cell\">(RZZ\d+)</td>", html)  # noqa: E731
    assert ids(again) == ids(pages[1]) and ids(pages[1]) != ids(pages[0])
    first = re.search(r'nhsuk-pagination__link--prev" href="([^"]+)"', pages[1]).group(1)
    assert ids(web_client.get(first.replace("&amp;", "&")).text) == ids(pages[0])
    pathway = _a_pathway(engine)
    found = web_client.get("/ranked", params={"pathway": pathway})
    assert found.text.count(f">{pathway}<") + found.text.count(f"{pathway}</td>") >= 1
    missing = web_client.get("/ranked", params={"pathway": "NOPE0001"})
    assert "is not on this ranked list" in missing.text
    bad = web_client.get("/ranked", params={"priority": "P9", "specialty": "11"})
    assert bad.status_code in (200, 400) and "There is a problem" in bad.text
    download = web_client.get("/ranked/download", params={"specialty": "110"})
    assert download.headers["content-type"].startswith("text/csv")
    assert download.headers["content-disposition"].startswith(
        'attachment; filename="ranked-RZZ-run'
    )
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert rows and {row["specialty"] for row in rows} == {"110"}
    assert all("*" not in row["nhs_number"] for row in rows)  # schedulers book patients


def test_the_draft_editor_reports_every_problem_at_once(web_client, sign_in, engine, tmp_path):
    sign_in("dr.okafor", roles=["clinician"], name="Dr Amara Okafor")
    created = web_client.post(
        "/rules/110/drafts",
        data={"csrf_token": _csrf(web_client.get("/rules/110").text)},
        follow_redirects=False,
    )
    assert created.status_code == 303
    editor = web_client.get(created.headers["location"])
    assert "0 to 42 days (2 × the default 21)" in editor.text  # each field shows its bound
    form = form_values(editor.text, "editor")
    form.update(
        {
            "deprivation.decile_uplift_days.1": "45",
            "deprivation.decile_uplift_days.2": "lots",
            "clinical_priority.ranked.3.cap_days": "-1",
        }
    )
    answer = web_client.post(created.headers["location"], data=form)
    assert answer.status_code == 422
    summary = answer.text.split("nhsuk-error-summary__list")[1].split("</ul>")[0]
    assert (
        'href="#field-deprivation-decile_uplift_days-2"' in summary and "is not a number" in summary
    )
    assert (
        'href="#field-deprivation-decile_uplift_days-1"' in summary
        and "exceeds the bound" in summary
    )
    assert 'href="#field-clinical_priority-ranked-3-cap_days"' in summary
    assert (
        'id="field-deprivation-decile_uplift_days-1-error"' in answer.text
    )  # the field's own message


def test_a_clinician_drafts_previews_publishes_and_the_version_carries_their_name(
    web_client, sign_in, engine, tmp_path
):
    demo_data(engine, tmp_path)
    sign_in("7f3a-okafor", roles=["clinician"], name="Dr Amara Okafor")
    csrf = _csrf(web_client.get("/rules/110").text)
    location = web_client.post(
        "/rules/110/drafts", data={"csrf_token": csrf}, follow_redirects=False
    ).headers["location"]
    form = form_values(web_client.get(location).text, "editor")
    form["deprivation.decile_uplift_days.1"] = "25"
    assert web_client.post(location, data=form, follow_redirects=False).status_code == 303
    refused = web_client.post(
        f"{location}/publish", data={"csrf_token": csrf, "reason": "x", "lock_version": "2"}
    )
    assert refused.status_code == 409 and "preview" in refused.text.lower()
    preview = web_client.post(
        f"{location}/preview", data={"csrf_token": csrf, "provider": "RZZ", "weeks": "8"}
    )
    assert preview.status_code == 200 and "Guardrails kept" in preview.text
    assert "Median wait at treatment by IMD quintile" in preview.text
    published = web_client.post(
        f"{location}/publish",
        data={"csrf_token": csrf, "reason": "Decile 1 to 25 days", "lock_version": "2"},
        follow_redirects=True,
    )
    assert published.status_code == 200 and "Version 1 published" in published.text
    assert "110 v1" in published.text and "Dr Amara Okafor (7f3a-okafor)" in published.text
    plain = web_client.get("/rules/110").text
    assert (
        "People living in the 10% most deprived areas: +25 days at routine priority (P4), "
        "capped at 31 days" in plain
    )
    with session_scope(engine) as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.kind == AuditKind.RULES_PUBLISHED)
        ).one()
        assert (event.actor, event.actor_name) == ("7f3a-okafor", "Dr Amara Okafor")


def test_overrides_are_created_and_revoked_on_the_entry_page(web_client, sign_in, engine, tmp_path):
    demo_data(engine, tmp_path)
    pathway = _a_pathway(engine)
    sign_in("dr.patel", roles=["clinician"])
    page = web_client.get(f"/entries/RZZ/{pathway}")
    assert "Why it stood where it stood" in page.text and 'role="img"' in page.text
    csrf = _csrf(page.text)
    base = f"/entries/RZZ/{pathway}/overrides"
    incomplete = web_client.post(
        base, data={"csrf_token": csrf, "kind": "adjust_uplift", "days": "x"}
    )
    assert incomplete.status_code == 422
    assert all(
        f'href="#{anchor}"' in incomplete.text for anchor in ("days", "expires-day", "reason")
    )
    made = web_client.post(
        base,
        data={
            "csrf_token": csrf,
            "kind": "adjust_uplift",
            "days": "14",
            "reason": "Deteriorating at pre-op",
            "expires[day]": "31",
            "expires[month]": "12",
            "expires[year]": "2099",
            "rerank": "yes",
        },
        follow_redirects=True,
    )
    assert made.status_code == 200 and "The override was saved" in made.text
    assert "Clinician&#39;s adjustment" in made.text or "override" in made.text.lower()
    with session_scope(engine) as session:
        override = session.scalars(select(RankingOverride)).one()
    revoked = web_client.post(
        f"{base}/{override.id}/revoke",
        data={"csrf_token": csrf, "reason": "Seen in clinic"},
        follow_redirects=True,
    )
    assert f"Override {override.id} was revoked" in revoked.text
    earlier = web_client.get(f"/entries/RZZ/{pathway}", params={"at": "2001-01-01T09:00"})
    assert earlier.status_code == 200 and "had completed by" in earlier.text


def test_auditors_see_names_and_verify_the_log(web_client, sign_in, engine, tmp_path):
    demo_data(engine, tmp_path)
    sign_in("aud-1", roles=["auditor"], name="Ann Auditor")
    log = web_client.get("/audit", params={"kind": "session.signed_in"})
    assert "Ann Auditor" in log.text and "aud-1" in log.text
    with session_scope(engine) as session:
        upload = session.scalars(select(AuditEvent.id).where(AuditEvent.kind == "ptl.upload")).one()
    record = web_client.get(f"/audit/{upload}").text
    assert "ptl.upload" in record and "checksum sha256" in record and "demo-loader" in record
    verified = web_client.get("/audit/verify")
    assert "The audit log is intact" in verified.text
    assert web_client.get("/audit", params={"since": "yesterday"}).status_code == 400


def test_equity_leads_read_the_dashboard_and_download_the_assessment(
    web_client, sign_in, engine, tmp_path
):
    demo_data(engine, tmp_path)
    sign_in("eq-1", roles=["equity_lead"])
    page = web_client.get("/equity")
    assert "The deprivation gap" in page.text and "Pathways to fix" in page.text
    assert "By IMD quintile" in page.text and "By inclusion health group" in page.text
    assert re.search(r"RZZ\d+ \(\d{3}, P\w+, NHS number 999\*{5}\d{2}\)", page.text)
    one = web_client.get("/equity", params={"specialty": "110"})
    assert one.status_code == 200 and "RZZ, specialty 110" in one.text
    assert "By specialty" not in one.text
    listed = web_client.get("/equity/fix", params={"problem": "ethnicity_not_stated"})
    assert listed.status_code == 200 and "Ethnicity not stated" in listed.text
    chart = web_client.get("/equity/charts/gap-trend.png")
    assert chart.headers["content-type"] == "image/png" and chart.content[:4] == b"\x89PNG"
    csrf = _csrf(page.text)
    simulated = web_client.post(
        "/equity/simulation", data={"csrf_token": csrf, "provider": "RZZ", "weeks": "6"}
    )
    assert simulated.status_code == 200 and "Every group" in simulated.text
    # support beside the rules, and which chances of a failed offer were used
    assert 'id="simulation-support"' in simulated.text
    assert "Support alone" in simulated.text and "Reordering alone" in simulated.text
    assert "by group (IMD quintile, inclusion group, stage)" in simulated.text
    report = web_client.post(
        "/equity/impact-assessment", data={"csrf_token": csrf, "provider": "RZZ", "weeks": "6"}
    )
    assert report.headers["content-disposition"].startswith(
        'attachment; filename="equity-impact-RZZ-'
    )
    assert "<html" in report.text.lower()
    assert web_client.post("/rules/110/drafts", data={"csrf_token": csrf}).status_code == 403


def test_the_api_accepts_the_providers_tokens(web_client, sign_in, engine):
    sign_in("api-person", roles=["Equiwait.Clinician"], name="Dr Api")
    with session_scope(engine) as session:
        id_token = session.scalars(select(WebSession.id_token)).one()
    headers = {"Authorization": f"Bearer {id_token}"}
    assert web_client.get("/api/v1/rules", headers=headers).status_code == 200
    created = web_client.post("/api/v1/rules/110/drafts", json={}, headers=headers)
    assert created.status_code == 201
    with session_scope(engine) as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.kind == AuditKind.RULES_DRAFT_CREATED)
        ).one()
        assert (event.actor, event.actor_name) == ("api-person", "Dr Api")
    tampered = id_token[:-4] + ("AAAA" if not id_token.endswith("AAAA") else "BBBB")
    answer = web_client.get("/api/v1/rules", headers={"Authorization": f"Bearer {tampered}"})
    assert answer.status_code == 401 and answer.json()["detail"] == "invalid or expired token"


def test_the_dashboard_shows_failed_offers_by_group(web_client, sign_in, engine, tmp_path, auth):
    from datetime import date

    from app.demo import generate_ptl
    from app.demo.offers import generate_offers, write_offers_csv

    demo_data(engine, tmp_path)
    sign_in("eq-2", roles=["equity_lead"])
    empty = web_client.get("/equity")
    assert empty.status_code == 200
    assert 'id="failed-offers-empty"' in empty.text
    assert "No offer history has been uploaded for RZZ" in empty.text
    assert 'id="failed-offers-imd-quintile"' not in empty.text

    ptl = generate_ptl(400, seed=20261123, census_date=date.today())
    buffer = io.StringIO()
    write_offers_csv(buffer, generate_offers(ptl, census_date=date.today()))
    uploaded = web_client.post(
        "/api/v1/offers/uploads",
        files={"file": ("offers.csv", buffer.getvalue().encode(), "text/csv")},
        headers=auth("scheduler"),
    )
    assert uploaded.status_code == 201, uploaded.text
    page = web_client.get("/equity")
    for dimension in ("imd-quintile", "ethnic-group", "sex", "age-band"):
        assert f'id="failed-offers-{dimension}"' in page.text
    assert "Q1 (most deprived)" in page.text
    # observed only: no model is active, and the page says why
    assert "No risk model is active, so no failure rates are predicted" in page.text
    one = web_client.get("/equity", params={"specialty": "110"})
    assert one.status_code == 200 and "Offers not taken, by group" in one.text


def test_the_rules_page_lists_calibrations_and_a_calibrated_draft_assessment_has_its_frontier(
    web_client, sign_in, engine, tmp_path
):
    from app.rules import service
    from models import RuleSetCalibration

    demo_data(engine, tmp_path)
    frontier = [
        {"multiplier": m, "share_closed": s, "share_closed_min": s - 0.05,
         "share_closed_max": s + 0.05, "share_closed_sd": 0.04, "extra_p2_p3_breaches": -1.0,
         "extra_p2_p3_breaches_sd": 2.0, "extra_long_waiters": 0.0,
         "extra_long_waiters_sd": 0.5, "largest_quintile_median_rise_weeks": 0.8,
         "within_limits": True, "reaches_target": s >= 0.9, "limits_broken": []}
        for m, s in ((0.75, 0.6), (1.5, 0.93))
    ]  # fmt: skip
    with session_scope(engine) as session:
        draft = service.create_draft(session, "110", "dr.cal")
        chosen = RuleSetCalibration(
            specialty="110", provider_code="RZZ", status="chosen", requested_by="dr.cal",
            inputs={"target_share": 0.9}, chosen_multiplier=1.5, draft_id=draft.id,
            result={"target_share": 0.9, "seeds": [1, 2, 3], "frontier": frontier,
                    "chosen_multiplier": 1.5, "unreachable": None},
        )  # fmt: skip
        unreachable = RuleSetCalibration(
            specialty="110", provider_code="RZZ", status="unreachable", requested_by="dr.cal",
            inputs={"target_share": 0.9},
            result={"frontier": [], "unreachable": {"reason": "no multiplier qualifies."}},
        )  # fmt: skip
        session.add_all([chosen, unreachable])
        session.flush()
        draft.calibration_id = chosen.id
        draft_id, calibration_id = draft.id, chosen.id
    sign_in("dr-cal", roles=["clinician"])
    page = web_client.get("/rules/110")
    assert page.status_code == 200
    table = page.text[page.text.index('id="calibrations-table"') :]
    assert table.index("Unreachable") < table.index("Chosen")  # newest first
    assert "1.5 times the rules in force" in table and "no multiplier qualifies." in table
    assert f'href="/rules/110/drafts/{draft_id}"' in table
    assert "90% of the gap" in table

    csrf = _csrf(page.text)
    preview = web_client.post(
        f"/rules/110/drafts/{draft_id}/preview",
        data={"csrf_token": csrf, "provider": "RZZ", "weeks": "4"},
    )
    assert preview.status_code == 200, preview.text
    assert f"with the frontier of calibration {calibration_id}" in preview.text
    form = form_values(preview.text, "draft-assessment")
    assert form["draft_id"] == str(draft_id) and form["weeks"] == "4"
    report = web_client.post("/equity/impact-assessment", data=form)
    assert report.status_code == 200, report.text
    assert f"Calibration {calibration_id}: every multiplier tried" in report.text
    assert "Chosen: 1.5 times the rules in force." in report.text
    without = web_client.post(
        "/equity/impact-assessment", data={**form, "draft_id": ""}
    )  # the rules in force alone: no calibration behind them
    assert "every multiplier tried" not in without.text
    wrong = web_client.post("/equity/impact-assessment", data={**form, "specialty": "120"})
    assert wrong.status_code == 404


def test_the_equity_page_shows_measured_beside_predicted_and_flags_divergence(
    web_client, sign_in, engine, tmp_path
):
    from sqlalchemy import delete

    from app.reports import build_equity_report
    from app.rules.in_force import shipped_default_document
    from app.rules.service import specialty_from_default
    from models import EquitySnapshot
    from tests.app.reports import test_gap_watch as watch

    demo_data(engine, tmp_path)
    with session_scope(engine) as session:
        document = specialty_from_default(shipped_default_document(), "110")
        version = watch._version(session, "110", 90, watch.EFFECTIVE, document)
        watch._predict(session, version, 7)
        report = build_equity_report(session, "RZZ", watch.EFFECTIVE).as_json()
        # Only these four weeks (the demo's ranking run stored this week's, with no clock stop).
        session.execute(delete(EquitySnapshot))
        for week in range(4):
            watch._snapshot(session, week, 28, report=report)  # measured 4 weeks, predicted 1
    sign_in("eq-2", roles=["equity_lead"])
    page = web_client.get("/equity", params={"provider": "RZZ"})
    assert page.status_code == 200
    flag = page.text[page.text.index('id="divergence-flag"') :]
    assert "Specialty 110: the measured gap has differed from the predicted one for 4 weeks" in flag
    table = page.text[page.text.index('id="gap-watch-table"') :]
    assert "+4.0" in table and "+1.0" in table and "4: review" in table
    chart = web_client.get("/equity/charts/gap-at-treatment.png", params={"provider": "RZZ"})
    assert chart.headers["content-type"] == "image/png" and chart.content[:4] == b"\x89PNG"


def test_without_a_prediction_the_equity_page_says_so(web_client, sign_in, engine, tmp_path):
    demo_data(engine, tmp_path)
    sign_in("eq-3", roles=["auditor"])
    page = web_client.get("/equity")
    assert 'id="gap-watch-none"' in page.text and 'id="divergence-flag"' not in page.text

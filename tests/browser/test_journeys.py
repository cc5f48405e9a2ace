"""Each role's main journey in the browser, with axe-core on every page it opens."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveApp, check_accessibility, sign_in
from web.templating import LOCAL_TIME

pytestmark = pytest.mark.browser


def test_scheduler_filters_searches_and_downloads(page: Page, live_app: LiveApp, csp_violations):
    sign_in(page, live_app, "sched-1", "scheduler", "Sam Scheduler")
    expect(page).to_have_url(f"{live_app.url}/ranked")
    expect(page.locator("#freshness")).to_contain_text("with rules default: shipped")
    check_accessibility(page)
    page.select_option("#specialty", "110")
    page.select_option("#stage", "admitted")
    page.select_option("#priority", "P3")
    page.click("#apply-filters")
    expect(page.locator("#ranked-table")).to_contain_text("110 Trauma and Orthopaedic, admitted")
    priorities = page.locator("#ranked-table tbody tr td:nth-child(5)").all_inner_texts()
    assert priorities and set(priorities) == {"P3"}
    check_accessibility(page)
    first = page.locator("#ranked-table tbody tr td:nth-child(3)").first.inner_text()
    page.fill("#pathway", first)
    page.click("#apply-filters")
    expect(page.locator("#ranked-table tbody tr td:nth-child(3)")).to_have_text([first])
    page.fill("#pathway", "")
    page.click("#apply-filters")
    with page.expect_download() as download:
        page.click("#download-csv")
    assert re.fullmatch(r"ranked-RZZ-run\d+\.csv", download.value.suggested_filename)
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert (
        rows
        and {r["specialty"] for r in rows} == {"110"}
        and {r["priority_code"] for r in rows} == {"P3"}
    )
    assert all(re.fullmatch(r"999\d{7}", r["nhs_number"]) for r in rows)


def test_clinician_reads_drafts_previews_publishes_and_overrides(
    page: Page, live_app: LiveApp, csp_violations
):
    sign_in(page, live_app, "dr-okafor", "clinician", "Dr Amara Okafor")
    expect(page).to_have_url(f"{live_app.url}/rules")
    check_accessibility(page)
    page.goto(f"{live_app.url}/rules/130")
    expect(page.locator("main")).to_contain_text(
        "People living in the 10% most deprived areas: +21 days at routine priority (P4), "
        "capped at 31 days"
    )
    expect(page.locator("#calibration")).to_be_visible()
    check_accessibility(page)
    page.click("#create-draft")
    expect(page.locator("h1")).to_contain_text("Draft version")
    check_accessibility(page)
    page.fill("#field-deprivation-decile_uplift_days-1", "26")
    page.click("#save-draft")
    expect(page.locator("#saved-notice")).to_be_visible()
    page.select_option("#preview-provider", "RZZ")
    page.fill("#preview-weeks", "8")
    page.click("#preview-draft")
    expect(page.locator("#guardrails-kept")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Median wait at treatment by IMD quintile")
    check_accessibility(page)
    page.fill("#publish-reason", "Decile 1 to 26 days after the equity audit")
    page.click("#publish-draft")
    expect(page.locator("#published-panel")).to_contain_text("published")
    expect(page.locator("#version-summary")).to_contain_text("130 v")
    expect(page.locator("#version-summary")).to_contain_text("Dr Amara Okafor (dr-okafor)")
    check_accessibility(page)
    page.goto(f"{live_app.url}/rules/130/diff")
    page.click("#compare")
    expect(page.locator("main")).to_contain_text("Compare two versions")
    check_accessibility(page)

    page.goto(f"{live_app.url}/ranked?specialty=120")
    page.locator("#ranked-table tbody a").first.click()
    expect(page.locator("#rationale-sentence")).to_be_visible()
    check_accessibility(page)
    page.check("#kind-3")  # adjust the uplift
    page.fill("#days", "14")
    page.fill("#reason", "Rapid deterioration reported at pre-op assessment")
    page.fill("#expires-day", "31")
    page.fill("#expires-month", "12")
    page.fill("#expires-year", str(datetime.now().year + 1))
    page.check("#rerank")
    page.click("#save-override")
    expect(page.locator("#override-created")).to_be_visible()
    expect(page.locator("#components")).to_contain_text("Clinician's adjustment")
    override_id = page.locator("#overrides-table tbody tr td").first.inner_text().split(":")[0]
    page.fill(f"#revoke-reason-{override_id}", "Seen in clinic: no longer needed")
    page.click(f"#revoke-{override_id}")
    expect(page.locator("#override-revoked")).to_be_visible()
    check_accessibility(page)


def test_auditor_reads_a_rationale_at_an_earlier_moment_and_verifies(
    page: Page, live_app: LiveApp, csp_violations
):
    sign_in(page, live_app, "aud-1", "auditor", "Ann Auditor")
    expect(page).to_have_url(f"{live_app.url}/audit")
    check_accessibility(page)
    page.goto(f"{live_app.url}/ranked?specialty=100")
    page.locator("#ranked-table tbody a").first.click()
    pathway = page.locator("h1").inner_text().split("Pathway ")[-1]
    moment = (datetime.now(LOCAL_TIME) + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    page.fill("#at", moment)
    page.click("#show-moment")
    expect(page.locator("#rationale-sentence")).to_be_visible()
    expect(page.locator("main")).to_contain_text("in force at")
    page.fill("#at", "2001-01-01T09:00")
    page.click("#show-moment")
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("had completed by")
    check_accessibility(page)
    page.goto(f"{live_app.url}/audit")
    page.select_option("#kind", "rationale.accessed")
    page.fill("#pathway", pathway)
    page.click("#apply-filters")
    expect(page.locator("#audit-table")).to_contain_text("Ann Auditor")
    page.locator("#audit-table tbody a").first.click()
    expect(page.locator("#event-details")).to_contain_text("run id")
    check_accessibility(page)
    page.goto(f"{live_app.url}/audit")
    page.click("#verify-link")
    expect(page.locator("#verify-result")).to_contain_text("The audit log is intact")
    check_accessibility(page)


def test_equity_lead_reads_the_dashboard_and_downloads_the_assessment(
    page: Page, live_app: LiveApp, csp_violations
):
    sign_in(page, live_app, "eq-1", "equity_lead", "Eve Equity")
    expect(page).to_have_url(f"{live_app.url}/equity")
    expect(page.locator("#gap-card")).to_contain_text("The most deprived fifth wait")
    expect(page.locator("#by-quintile")).to_contain_text("Q1 most deprived")
    check_accessibility(page)
    page.locator("#fix-ethnicity_not_stated summary").click()
    expect(page.locator("#fix-ethnicity_not_stated")).to_contain_text("NHS number 999*****")
    page.locator("#fix-ethnicity_not_stated a").click()
    expect(page.locator("#fix-table")).to_be_visible()
    check_accessibility(page)
    page.go_back()
    page.fill("#weeks", "6")
    page.click("#run-simulation")
    expect(page.locator("#simulation-summary")).to_contain_text("in force")
    check_accessibility(page)
    with page.expect_download() as download:
        page.click("#download-assessment")
    assert re.fullmatch(
        r"equity-impact-RZZ-\d{4}-\d{2}-\d{2}\.html", download.value.suggested_filename
    )
    assert "equity impact assessment" in Path(download.value.path()).read_text().lower()
    page.goto(f"{live_app.url}/audit")
    expect(page.locator("h1")).to_have_text("You cannot open this page")
    check_accessibility(page)
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="End session").click()  # at the identity provider
    expect(page.locator("h1")).to_have_text("You have signed out")
    check_accessibility(page)
    page.goto(f"{live_app.url}/equity")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=%2Fequity$"))


def test_the_draft_editor_works_by_keyboard_alone(page: Page, live_app: LiveApp, csp_violations):
    sign_in(page, live_app, "dr-key", "clinician", "Kim Keyboard")
    page.goto(f"{live_app.url}/rules/140")
    page.click("#create-draft")
    editor = page.url
    fields = page.locator("#editor input:not([type=hidden]), #editor select").evaluate_all(
        "els => els.map(e => e.id)"
    )
    page.goto(editor)
    page.locator("body").focus()
    reached: list[str] = []
    for _ in range(len(fields) + 40):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.id")
        if focused in fields and focused not in reached:
            reached.append(focused)
        if focused == "save-draft":
            break
    assert reached == fields  # every field, in order, by Tab alone
    target = "field-deprivation-decile_uplift_days-1"
    page.goto(editor)
    page.locator("body").focus()
    while page.evaluate("document.activeElement.id") != target:
        page.keyboard.press("Tab")
    page.keyboard.press("Control+A")
    page.keyboard.type("99")
    page.keyboard.press("Enter")  # submits the form
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("IMD decile 1 uplift (days)")
    page.keyboard.press("Tab")
    expect(page.locator(".nhsuk-error-summary a").first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(f"#{target}")).to_be_focused()
    check_accessibility(page)


def test_the_api_documentation_works_offline(page: Page, live_app: LiveApp):
    outside: list[str] = []
    local = (live_app.url, f"blob:{live_app.url}", "data:")
    page.on("request", lambda r: None if r.url.startswith(local) else outside.append(r.url))
    page.goto(f"{live_app.url}/docs")
    expect(page.locator("#swagger-ui h1").first).to_contain_text("Equiwait", timeout=30_000)
    page.goto(f"{live_app.url}/redoc")
    expect(page.locator("h1").first).to_contain_text("Equiwait", timeout=30_000)
    assert outside == []

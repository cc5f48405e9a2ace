"""Screenshots of the main pages for docs/ui.md, taken in Debian's Chromium by Playwright.

    .venv/bin/python scripts/screenshots.py            # writes docs/images/*.png

A throw-away development server (SQLite, 3,000 synthetic entries) runs on a free loopback
port; each role signs in with the development sign-in and the pages are captured as it sees
them. Needs `bash scripts/chromium.sh` first (it installs Chromium when missing).
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "images"
CHROMIUM = os.environ.get("EQUIWAIT_CHROMIUM", "/usr/bin/chromium")


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> None:
    import uvicorn
    from playwright.sync_api import Page, sync_playwright

    from app.bootstrap import prepare_database
    from app.database import build_engine
    from app.demo.load import load_demo
    from app.main import create_app
    from app.settings import Settings

    folder = Path(tempfile.mkdtemp(prefix="equiwait-shots-"))
    url = f"sqlite:///{folder / 'shots.db'}"
    engine = build_engine(url)
    prepare_database(engine, load_default_imd=True, show_progress=False)
    load_demo(engine, folder / "demo.csv", rows=3000, census=date.today(), imd_edition="iod2019")
    engine.dispose()
    settings = Settings(
        environment="development", database_url=url, development_secret_file=folder / "secret"
    )
    port = _port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    OUT.mkdir(parents=True, exist_ok=True)

    def shot(page: Page, name: str, full: bool = False) -> None:
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(OUT / f"{name}.png"), full_page=full)
        print(f"docs/images/{name}.png", file=sys.stderr)

    def sign_in(page: Page, role: str, name: str) -> None:
        page.context.clear_cookies()
        page.goto(f"{base}/sign-in")
        page.check(f"input[name=role][value={role}]")
        page.fill("#name", name)
        page.click("#sign-in-development")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-sync"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{base}/sign-in")
        shot(page, "sign-in")
        sign_in(page, "scheduler", "Sam Scheduler")
        page.goto(f"{base}/ranked?specialty=110&stage=admitted")
        shot(page, "ranked-list")
        sign_in(page, "clinician", "Dr Amara Okafor")
        page.goto(f"{base}/rules/110")
        shot(page, "rules")
        page.click("#create-draft")
        page.fill("#field-deprivation-decile_uplift_days-1", "40")
        page.click("#save-draft")
        shot(page, "draft-editor-errors")
        page.goto(page.url)
        page.fill("#field-deprivation-decile_uplift_days-1", "25")
        page.click("#save-draft")
        page.fill("#preview-weeks", "26")
        page.click("#preview-draft")
        shot(page, "rule-preview", full=True)
        page.goto(f"{base}/ranked?specialty=110&stage=admitted")
        page.locator("#ranked-table tbody a").nth(2).click()
        shot(page, "entry", full=True)
        sign_in(page, "equity_lead", "Eve Equity")
        shot(page, "equity-dashboard")
        sign_in(page, "auditor", "Ann Auditor")
        shot(page, "audit-log")
        page.click("#verify-link")
        shot(page, "audit-verified")
        browser.close()
    server.should_exit = True


if __name__ == "__main__":
    main()

"""Browser tests: the real service on a local port, signing in through a real OpenID Connect
provider, driven by Playwright in Debian's Chromium (``scripts/chromium.sh`` installs it).

Each backend (SQLite, PostgreSQL) gets one server with a small ranked demo list for the whole
session; the journeys are written so that they do not depend on each other's changes.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import oidc_provider_mock
import pytest
import uvicorn
from playwright.sync_api import Page, expect
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.database import build_engine
from app.demo.load import load_demo
from app.settings import Settings
from tests.conftest import (
    BACKENDS,
    TEST_SECRET,
    _admin_engine,
    _postgres_admin_url,
    _skip_or_fail_without_postgres,
)

CHROMIUM = os.environ.get("EQUIWAIT_CHROMIUM", "/usr/bin/chromium")
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
DEMO_ROWS = 1500
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
_ports = itertools.count()

pytestmark = pytest.mark.browser


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "live_app" in callspec.params:
            # One xdist worker per backend (``--dist loadgroup``): each server starts once.
            item.add_marker(pytest.mark.xdist_group(name=f"browser-{callspec.params['live_app']}"))
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM} (scripts/chromium.sh installs it)"
        if os.environ.get("CI", "").lower() == "true":
            raise pytest.UsageError(message)
        for item in items:
            if "tests/browser" in str(item.fspath):
                item.add_marker(pytest.mark.skip(reason=message))


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    """Debian's Chromium, quiet: no sandbox (containers run as root), no GPU, no calls home."""
    return {
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-default-apps",
            "--disable-extensions",
            "--no-first-run",
            "--metrics-recording-only",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args() -> dict[str, Any]:
    return {"viewport": {"width": 1280, "height": 900}, "accept_downloads": True, "locale": "en-GB"}


@pytest.fixture(scope="session")
def oidc_issuer() -> Iterator[str]:
    with oidc_provider_mock.run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class LiveApp:
    url: str
    backend: str
    issuer: str
    database_url: str


def _database(request: pytest.FixtureRequest, backend: str, folder: Path) -> Iterator[str]:
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = folder / "browser.db"
        shutil.copyfile(template, target)
        yield f"sqlite:///{target}"
        return
    admin_url = _postgres_admin_url()
    if admin_url is None:
        _skip_or_fail_without_postgres()
        raise AssertionError("unreachable")
    template_name: str = request.getfixturevalue("postgres_template")
    name = f"equiwait_browser_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    admin = _admin_engine(admin_url)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"'))
    yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def live_app(
    request: pytest.FixtureRequest, oidc_issuer: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveApp]:
    """The service on a free loopback port, with a ranked synthetic list."""
    from app.main import create_app

    backend = request.param
    folder = tmp_path_factory.mktemp(f"browser-{backend}")
    databases = _database(request, backend, folder)
    database_url = next(databases)
    engine = build_engine(database_url)
    load_demo(
        engine, folder / "demo.csv", rows=DEMO_ROWS, census=date.today(), imd_edition="iod2019"
    )
    engine.dispose()
    settings = Settings(
        environment="test",
        database_url=database_url,
        secret_key=TEST_SECRET,
        oidc_issuer=oidc_issuer,
        oidc_client_id="equiwait-browser",
        oidc_client_secret="browser-secret",
        oidc_provider_name="NHS Care Identity",
    )
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the service did not start"
    yield LiveApp(f"http://127.0.0.1:{port}", backend, oidc_issuer, database_url)
    server.should_exit = True
    thread.join(10)
    for _ in databases:
        pass


@pytest.fixture
def csp_violations(page: Page) -> Iterator[list[str]]:
    """Console messages of blocked content: every test ends with none."""
    found: list[str] = []
    page.on(
        "console", lambda m: found.append(m.text) if "Content Security Policy" in m.text else None
    )
    yield found
    assert found == []


def sign_in(page: Page, app: LiveApp, sub: str, role: str, name: str) -> None:
    """The person signs in at the identity provider's own form, as they would."""
    claims = {"name": name, "roles": [role]}
    assert httpx.put(f"{app.issuer}/users/{quote(sub)}", json=claims).status_code == 204
    page.goto(f"{app.url}/")
    expect(page).to_have_url(f"{app.url}/sign-in?next=%2F")
    check_accessibility(page)
    page.click("#sign-in-oidc")
    page.get_by_placeholder("sub").fill(sub)
    page.get_by_role("button", name="Authorize").click()
    expect(page.locator(".ew-account-name")).to_have_text(name)


def check_accessibility(page: Page) -> None:
    """axe-core on the page as shown: no serious or critical WCAG 2.2 AA violation."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], f"{page.url}: {serious}"

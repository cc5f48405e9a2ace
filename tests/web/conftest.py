"""Fixtures of the page tests: a real OpenID Connect provider (``oidc-provider-mock``, run by
the tests in a thread), the app configured to sign in through it, and a signed-in client."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import oidc_provider_mock
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.demo.load import load_demo
from app.settings import Settings
from tests.conftest import TEST_SECRET

CLIENT_ID = "equiwait-test"
ROLE_MAP = {"Equiwait.Clinician": "clinician", "S8000:G8000:R8000": "auditor"}


@pytest.fixture(scope="session")
def oidc_server() -> Iterator[str]:
    """The provider's issuer URL (any client id and secret are accepted)."""
    with oidc_provider_mock.run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def web_settings(database_url: str, oidc_server: str) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        secret_key=TEST_SECRET,
        oidc_issuer=oidc_server,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret="test-client-secret",
        oidc_role_map=ROLE_MAP,
        oidc_provider_name="NHS Care Identity",
    )


@pytest.fixture
def web_client(web_settings: Settings) -> Iterator[TestClient]:
    """The app over https (session cookies are Secure outside development)."""
    from app.main import create_app

    with TestClient(create_app(web_settings), base_url="https://testserver") as client:
        yield client


SignIn = Callable[..., httpx.Response]


@pytest.fixture
def sign_in(web_client: TestClient, oidc_server: str) -> SignIn:
    """``sign_in(sub, roles=[...], name=...)``: the whole authorization code flow, the person
    typing ``sub`` at the provider; returns the app's answer to the callback."""

    def run(
        sub: str, *, roles: list[str] | None = None, name: str | None = None, **claims: Any
    ) -> httpx.Response:
        body: dict[str, Any] = {"name": name or sub, **claims}
        if roles is not None:
            body["roles"] = roles
        assert httpx.put(f"{oidc_server}/users/{quote(sub)}", json=body).status_code == 204
        start = web_client.get("/sign-in/start", follow_redirects=False)
        assert start.status_code == 303, start.text
        authorized = httpx.post(start.headers["location"], data={"sub": sub})
        assert authorized.status_code == 302, authorized.text
        return web_client.get(authorized.headers["location"], follow_redirects=False)

    return run


def demo_data(engine: Engine, tmp_path: Path, rows: int = 400) -> None:
    """A small synthetic PTL, ingested and ranked."""
    load_demo(engine, tmp_path / "demo.csv", rows=rows, census=date.today(), imd_edition="iod2019")


class _Form(HTMLParser):
    """The values a browser would post for one form (text, hidden, checked, selected)."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside, self.values = form_id, False, {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name:
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self.values[name] = a.get("value", "on")
            else:
                self.values[name] = a.get("value", "")
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select:
            if "selected" in a or self._select not in self.values:
                self.values[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea] += data


def form_values(html: str, form_id: str) -> dict[str, str]:
    parser = _Form(form_id)
    parser.feed(html)
    return dict(parser.values)

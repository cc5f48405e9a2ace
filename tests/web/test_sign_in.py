"""Signing in through a real OpenID Connect provider, sessions, CSRF and the development
sign-in (which only development offers)."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import oidc_provider_mock
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from app.audit import AuditKind
from app.database import session_scope
from app.main import create_app
from app.settings import Settings
from models import AuditEvent, WebSession
from models.base import utcnow
from tests.conftest import TEST_SECRET
from web.sessions import COOKIE

pytestmark = pytest.mark.db


def test_the_start_page_asks_to_sign_in(web_client):
    response = web_client.get("/", follow_redirects=True)
    assert response.status_code == 200
    assert response.url.path == "/sign-in"
    assert "Sign in with NHS Care Identity" in response.text
    assert "Try it with the demo data" not in response.text  # test environment: no shortcut


def test_sign_in_maps_roles_and_audits_the_person(web_client, sign_in, engine):
    answer = sign_in(
        "7f3a-okafor", roles=["Equiwait.Clinician", "Unrelated.Role"], name="Dr Amara Okafor"
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/rules"
    cookie = answer.headers["set-cookie"]
    assert f"{COOKIE}=" in cookie and "HttpOnly" in cookie and "Secure" in cookie
    assert "samesite=lax" in cookie.lower()
    page = web_client.get("/rules")
    assert page.status_code == 200
    assert "Dr Amara Okafor" in page.text and "(Clinician)" in page.text
    with session_scope(engine) as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.kind == AuditKind.SIGNED_IN)
        ).one()
        assert (event.actor, event.actor_name) == ("7f3a-okafor", "Dr Amara Okafor")
        assert event.details == {"method": "oidc", "roles": ["clinician"]}
        row = session.scalars(select(WebSession)).one()
        assert row.id != web_client.cookies.get(COOKIE)  # only the token's digest is stored


def test_a_role_name_in_the_claim_maps_to_itself(web_client, sign_in):
    assert sign_in("eq.lead", roles=["equity_lead"]).headers["location"] == "/equity"


def test_nested_role_claims_map_through_the_role_map(oidc_server, database_url):
    settings = Settings(
        environment="test",
        database_url=database_url,
        secret_key=TEST_SECRET,
        oidc_issuer=oidc_server,
        oidc_client_id="cis2",
        oidc_client_secret="cis2-secret",
        oidc_role_claim="nhsid_nrbac_roles.role_code",
        oidc_role_map={"S8000:G8000:R8000": "auditor"},
    )
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        claims = {"name": "A Auditor", "nhsid_nrbac_roles": [{"role_code": "S8000:G8000:R8000"}]}
        assert httpx.put(f"{oidc_server}/users/cis2-person", json=claims).status_code == 204
        start = client.get("/sign-in/start", follow_redirects=False)
        code = httpx.post(start.headers["location"], data={"sub": "cis2-person"})
        assert (
            client.get(code.headers["location"], follow_redirects=False).headers["location"]
            == "/audit"
        )


def test_an_unknown_role_is_refused_and_says_why(web_client, sign_in, engine):
    answer = sign_in("someone", roles=["Finance.Reader"])
    assert answer.status_code == 403
    assert "no Equiwait role" in answer.text and "Finance.Reader" in answer.text
    assert COOKIE not in web_client.cookies
    with session_scope(engine) as session:
        assert session.scalars(select(WebSession)).all() == []


def test_no_role_claim_at_all_is_refused(sign_in):
    assert sign_in("no-roles", roles=None).status_code == 403


def test_a_callback_with_another_state_is_refused(web_client, oidc_server, sign_in):
    httpx.put(f"{oidc_server}/users/x", json={"roles": ["clinician"]})
    start = web_client.get("/sign-in/start", follow_redirects=False)
    authorized = httpx.post(start.headers["location"], data={"sub": "x"})
    parts = urlsplit(authorized.headers["location"])
    code = parse_qs(parts.query)["code"][0]
    answer = web_client.get("/sign-in/callback", params={"code": code, "state": "forged"})
    assert answer.status_code == 400 and "did not match" in answer.text


def test_denied_at_the_provider_shows_why(web_client):
    answer = web_client.get("/sign-in/callback", params={"error": "access_denied", "state": "x"})
    assert answer.status_code == 403 and "access_denied" in answer.text


def test_sign_out_ends_the_session_for_good(web_client, sign_in, engine):
    sign_in("dr.b", roles=["clinician"])
    token = web_client.cookies.get(COOKIE)
    page = web_client.get("/rules")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    out = web_client.post("/sign-out", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303
    assert "/oauth2/end_session" in out.headers["location"]  # and at the provider too
    assert "id_token_hint" in out.headers["location"]
    web_client.cookies.set(COOKIE, token)  # a copy of the cookie kept after signing out
    again = web_client.get("/rules", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].startswith("/sign-in")
    with session_scope(engine) as session:
        assert session.scalars(select(WebSession.end_reason)).one() == "signed_out"
        kinds = list(session.scalars(select(AuditEvent.kind).order_by(AuditEvent.id)))
        assert kinds[-2:] == [AuditKind.SIGNED_IN, AuditKind.SIGNED_OUT]


@pytest.mark.parametrize(
    ("column", "reason"), [("last_seen_at", "idle"), ("expires_at", "expired")]
)
def test_idle_and_absolute_time_outs(web_client, sign_in, engine, column, reason):
    sign_in("dr.c", roles=["clinician"])
    assert web_client.get("/rules").status_code == 200
    with session_scope(engine) as session:
        past = utcnow() - timedelta(minutes=31 if column == "last_seen_at" else 1)
        session.execute(update(WebSession).values({column: past}))
    answer = web_client.get("/rules", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/sign-in?next=%2Frules&reason={reason}"
    page = web_client.get(answer.headers["location"])
    assert ("inactive for too long" if reason == "idle" else "time limit") in page.text
    with session_scope(engine) as session:
        assert session.scalars(select(WebSession.end_reason)).one() == reason


def test_a_form_without_its_csrf_token_is_refused(web_client, sign_in):
    sign_in("dr.d", roles=["clinician"])
    answer = web_client.post("/rules/110/drafts", data={"csrf_token": "guess"})
    assert answer.status_code == 400 and "did not come from this service" in answer.text
    assert web_client.post("/rules/110/drafts", data={}).status_code == 400


def test_a_form_from_another_site_is_refused(web_client, sign_in):
    sign_in("dr.e", roles=["clinician"])
    csrf = web_client.get("/rules").text.split('name="csrf_token" value="')[1].split('"')[0]
    answer = web_client.post(
        "/rules/110/drafts", data={"csrf_token": csrf}, headers={"Origin": "https://evil.example"}
    )
    assert answer.status_code == 400


def test_the_development_sign_in_is_refused_outside_development(web_client):
    answer = web_client.post("/sign-in/development", data={"role": "admin"})
    assert answer.status_code == 403
    assert "EQUIWAIT_ENVIRONMENT is development" in answer.text
    assert "this server runs as test" in answer.text


def test_production_without_a_provider_says_sign_in_is_not_set_up(database_url):
    settings = Settings(environment="production", database_url=database_url, secret_key="p" * 40)
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        page = client.get("/sign-in")
        assert "Sign-in is not set up" in page.text and "EQUIWAIT_OIDC_ISSUER" in page.text
        refused = client.post("/sign-in/development", data={"role": "admin"})
        assert refused.status_code == 403 and "runs as production" in refused.text


def test_development_offers_a_role_sign_in_on_loopback_without_secure(database_url, tmp_path):
    settings = Settings(
        environment="development",
        database_url=database_url,
        secret_key=TEST_SECRET,
        development_secret_file=tmp_path / "secret",
    )
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        page = client.get("/sign-in")
        assert "Try it with the demo data" in page.text
        token = page.text.split('name="sign_in_token" value="')[1].split('"')[0]
        answer = client.post(
            "/sign-in/development",
            data={"role": "equity_lead", "name": "Sam Lead", "sign_in_token": token},
            follow_redirects=False,
        )
        assert answer.status_code == 303 and answer.headers["location"] == "/equity"
        assert "Secure" not in answer.headers["set-cookie"]
        forged = client.post("/sign-in/development", data={"role": "admin", "sign_in_token": "x"})
        assert forged.status_code == 400


def test_pages_carry_a_strict_content_security_policy(web_client):
    page = web_client.get("/sign-in")
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert page.headers["x-frame-options"] == "DENY" and page.headers["cache-control"] == "no-store"
    assert "<script>" not in page.text  # every script is a file
    assert "v=missing" not in page.text  # every asset the page names is built and shipped
    for asset in re.findall(r'(?:href|src)="(/static/[^"?]+)', page.text):
        assert web_client.get(asset).status_code == 200, asset
    docs = web_client.get("/docs")
    assert docs.status_code == 200 and "/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs.text
    assert "cdn" not in docs.text.lower() and "<script>" not in docs.text
    assert web_client.get("/redoc").status_code == 200
    assert web_client.get("/static/vendor/redoc/redoc.standalone.js").status_code == 200
    # API answers keep the API's own policy (api/headers.py), not the pages'.
    api_policy = web_client.get("/api/v1/rules").headers["content-security-policy"]
    assert api_policy.startswith("default-src 'none'") and api_policy != policy


def test_a_token_exchange_the_provider_refuses_is_a_clear_page(oidc_server, database_url):
    settings = Settings(
        environment="test",
        database_url=database_url,
        secret_key=TEST_SECRET,
        oidc_issuer=oidc_server,
        oidc_client_id="public-client",
    )
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        httpx.put(f"{oidc_server}/users/p", json={"roles": ["clinician"]})
        start = client.get("/sign-in/start", follow_redirects=False)
        code = httpx.post(start.headers["location"], data={"sub": "p"})
        answer = client.get(code.headers["location"], follow_redirects=False)
        assert answer.status_code == 502 and "could not be checked" in answer.text


def test_an_expired_id_token_from_the_provider_is_refused(database_url, caplog):
    """The provider issues tokens already past their expiry (beyond the clock-skew leeway):
    neither the sign-in nor the API accepts them."""
    with oidc_provider_mock.run_server_in_thread(
        access_token_max_age=timedelta(minutes=-5)
    ) as server:
        issuer = f"http://localhost:{server.server_port}"
        settings = Settings(
            environment="test",
            database_url=database_url,
            secret_key=TEST_SECRET,
            oidc_issuer=issuer,
            oidc_client_id="c",
            oidc_client_secret="s",
        )
        with TestClient(create_app(settings), base_url="https://testserver") as client:
            httpx.put(f"{issuer}/users/late", json={"roles": ["clinician"]})
            start = client.get("/sign-in/start", follow_redirects=False)
            code = httpx.post(start.headers["location"], data={"sub": "late"})
            answer = client.get(code.headers["location"], follow_redirects=False)
            assert answer.status_code == 502 and COOKIE not in client.cookies
            assert "expired" in caplog.text

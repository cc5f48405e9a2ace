"""The identity provider's tokens: signature against its published keys, issuer, audience,
expiry, key rotation, and roles read from a configurable claim."""

from __future__ import annotations

import time

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from app.oidc import IdentityError, IdentityProvider, NoKnownRole, claim_values, map_roles
from app.security import InvalidTokenError, Role
from app.settings import Settings

ISSUER = "https://idp.example.nhs.uk"


def _key(kid: str) -> RSAKey:
    return RSAKey.generate_key(
        2048, parameters={"kid": kid, "alg": "RS256", "use": "sig"}, private=True
    )


class Provider:
    """Discovery and JWKS answered in memory; ``keys`` can rotate between requests."""

    def __init__(self) -> None:
        self.keys = [_key("one")]
        self.jwks_requests = 0

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/.well-known/openid-configuration":
            return httpx.Response(
                200,
                json={
                    "issuer": ISSUER,
                    "authorization_endpoint": f"{ISSUER}/authorize",
                    "token_endpoint": f"{ISSUER}/token",
                    "jwks_uri": f"{ISSUER}/jwks",
                },
            )
        self.jwks_requests += 1
        return httpx.Response(200, json=KeySet(self.keys).as_dict(private=False))

    def token(self, key: RSAKey | None = None, **claims: object) -> str:
        now = int(time.time())
        body = {
            "iss": ISSUER,
            "aud": "equiwait-api",
            "sub": "7f3a",
            "name": "Dr A Okafor",
            "iat": now,
            "exp": now + 300,
            "roles": ["Equiwait.Clinician"],
            **claims,
        }
        signer = key or self.keys[0]
        return jwt.encode({"alg": "RS256", "kid": signer.kid}, body, signer)


@pytest.fixture
def provider() -> Provider:
    return Provider()


def _idp(provider: Provider, **settings: object) -> IdentityProvider:
    values = {
        "environment": "test",
        "secret_key": "s" * 40,
        "oidc_issuer": ISSUER,
        "oidc_client_id": "equiwait",
        "oidc_api_audience": "equiwait-api",
        "oidc_role_map": {"Equiwait.Clinician": "clinician"},
        **settings,
    }
    return IdentityProvider(
        Settings(**values), httpx.Client(transport=httpx.MockTransport(provider.handler))
    )


def test_an_access_token_names_the_person_and_their_mapped_roles(provider):
    principal = _idp(provider).access_token_principal(provider.token())
    assert (principal.subject, principal.name, principal.roles) == (
        "7f3a",
        "Dr A Okafor",
        frozenset({Role.CLINICIAN}),
    )
    assert principal.actor.label == "Dr A Okafor (7f3a)"


@pytest.mark.parametrize(
    "claims",
    [{"exp": int(time.time()) - 600}, {"aud": "someone-else"}, {"iss": "https://other.example"}],
    ids=["expired", "wrong-audience", "wrong-issuer"],
)
def test_expired_or_misdirected_tokens_are_refused(provider, claims):
    with pytest.raises(InvalidTokenError):
        _idp(provider).access_token_principal(provider.token(**claims))


def test_a_token_signed_by_another_key_is_refused(provider):
    stranger = RSAKey.generate_key(2048, parameters={"kid": "one"}, private=True)
    with pytest.raises(InvalidTokenError):
        _idp(provider).access_token_principal(provider.token(key=stranger))


def test_a_rotated_key_is_fetched_once(provider):
    idp = _idp(provider)
    idp.access_token_principal(provider.token())
    provider.keys.append(_key("two"))
    idp._keys_at -= 120  # the last fetch was over a minute ago
    assert idp.access_token_principal(provider.token(key=provider.keys[1])).subject == "7f3a"
    assert provider.jwks_requests == 2


def test_a_person_without_an_equiwait_role_is_refused(provider):
    with pytest.raises(InvalidTokenError, match="no Equiwait role"):
        _idp(provider).access_token_principal(provider.token(roles=["Payroll"]))
    with pytest.raises(NoKnownRole):
        _idp(provider).identity({"sub": "x", "roles": "Payroll"})


def test_a_discovery_document_for_another_issuer_is_refused(provider):
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"issuer": "https://elsewhere.example"})

    idp = IdentityProvider(
        _idp(provider).settings, httpx.Client(transport=httpx.MockTransport(handler))
    )
    with pytest.raises(IdentityError, match="names issuer"):
        idp.metadata()


def test_role_claims_may_be_nested_lists_of_objects():
    claims = {
        "nhsid_nrbac_roles": [{"role_code": "R1"}, {"role_code": "R2"}, {"other": 1}],
        "roles": "admin",
    }
    assert claim_values(claims, "nhsid_nrbac_roles.role_code") == ["R1", "R2"]
    assert claim_values(claims, "roles") == ["admin"]
    assert claim_values(claims, "missing.path") == []
    assert map_roles(["R1", "scheduler", "nonsense"], {"R1": "auditor"}) == {
        Role.AUDITOR,
        Role.SCHEDULER,
    }


def test_settings_refuse_a_role_map_to_unknown_roles():
    with pytest.raises(ValueError, match="unknown roles"):
        Settings(environment="test", secret_key="s" * 40, oidc_role_map={"X": "superuser"})
    with pytest.raises(ValueError, match="go together"):
        Settings(environment="test", secret_key="s" * 40, oidc_issuer=ISSUER)
    with pytest.raises(ValueError, match="https"):
        Settings(
            environment="production",
            secret_key="s" * 40,
            oidc_issuer="http://idp",
            oidc_client_id="c",
        )

"""The trust's identity provider (OpenID Connect): discovery, signing keys, token checks, roles.

Why one place: the web sign-in checks ID tokens and the API checks access tokens, and both
must agree on the issuer, the keys, and how an IdP role becomes an Equiwait role. Keys are
fetched from the provider's JWKS and cached; a token signed with a key id not yet seen
fetches the set again (at most once a minute), so the provider can rotate keys freely.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpx
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from app.security import InvalidTokenError, Principal, Role
from app.settings import Settings

SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "ES256", "ES384")
LEEWAY_SECONDS = 60
"""Clock skew tolerated on ``exp``, ``nbf`` and ``iat``."""
METADATA_TTL_SECONDS = 3600
KEYS_REFRESH_SECONDS = 60
HTTP_TIMEOUT_SECONDS = 10.0


class IdentityError(Exception):
    """The identity provider could not be used or refused the person (the message says why,
    in words fit for the sign-in page)."""


class NoKnownRole(IdentityError):
    """The person signed in, but none of their roles maps to an Equiwait role."""

    def __init__(self, values: list[str], claim: str) -> None:
        self.values = values
        shown = ", ".join(values) if values else "none"
        super().__init__(
            f"your account holds no Equiwait role (the {claim!r} claim held: {shown}); "
            "ask your system administrator to assign one"
        )


@dataclass(frozen=True, slots=True)
class Identity:
    """A verified person: the provider's stable identifier, their name and mapped roles."""

    subject: str
    name: str | None
    roles: frozenset[Role]

    def principal(self) -> Principal:
        return Principal(subject=self.subject, roles=self.roles, name=self.name)


def claim_values(claims: dict[str, Any], path: str) -> list[str]:
    """Every string at ``path`` (dots step into objects; lists are walked element-wise), so
    ``roles`` reads Entra ID's list and ``nhsid_nrbac_roles.role_code`` CIS2's objects."""
    found: list[Any] = [claims]
    for part in path.split("."):
        step: list[Any] = []
        for value in found:
            items = value if isinstance(value, list) else [value]
            step.extend(item[part] for item in items if isinstance(item, dict) and part in item)
        found = step
    values: list[str] = []
    for value in found:
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item.strip():
                values.append(item.strip())
    return values


def map_roles(values: Iterable[str], role_map: dict[str, str]) -> frozenset[Role]:
    """Equiwait roles for the provider's role values: through ``role_map`` first, then any
    value that is itself a role name. Other values are ignored."""
    known = {role.value: role for role in Role}
    roles: set[Role] = set()
    for value in values:
        mapped = role_map.get(value, value)
        if mapped in known:
            roles.add(known[mapped])
    return frozenset(roles)


class IdentityProvider:
    """One configured provider: metadata and keys fetched lazily and cached per process."""

    def __init__(self, settings: Settings, http: httpx.Client | None = None) -> None:
        if not settings.oidc_enabled:
            raise IdentityError("no identity provider is configured (EQUIWAIT_OIDC_ISSUER)")
        assert settings.oidc_issuer is not None and settings.oidc_client_id is not None
        self.settings = settings
        self.issuer = settings.oidc_issuer.rstrip("/")
        self.client_id = settings.oidc_client_id
        self._http = http or httpx.Client(timeout=HTTP_TIMEOUT_SECONDS, follow_redirects=False)
        self._lock = threading.Lock()
        self._metadata: dict[str, Any] | None = None
        self._metadata_at = 0.0
        self._keys: KeySet | None = None
        self._keys_at = 0.0

    def _get_json(self, url: str, what: str) -> dict[str, Any]:
        try:
            response = self._http.get(url)
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise IdentityError(f"the identity provider's {what} could not be read: {exc}") from exc
        if not isinstance(data, dict):
            raise IdentityError(f"the identity provider's {what} is not a JSON object")
        return data

    def metadata(self) -> dict[str, Any]:
        """The discovery document (its issuer must be the configured one)."""
        with self._lock:
            age = time.monotonic() - self._metadata_at
            if self._metadata is None or age > METADATA_TTL_SECONDS:
                url = f"{self.issuer}/.well-known/openid-configuration"
                data = self._get_json(url, "discovery document")
                if str(data.get("issuer", "")).rstrip("/") != self.issuer:
                    raise IdentityError(
                        f"the discovery document names issuer {data.get('issuer')!r}, "
                        f"not {self.issuer!r} (EQUIWAIT_OIDC_ISSUER)"
                    )
                for field in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                    if not isinstance(data.get(field), str):
                        raise IdentityError(f"the discovery document has no {field}")
                self._metadata, self._metadata_at = data, time.monotonic()
            return self._metadata

    def endpoint(self, name: str) -> str | None:
        value = self.metadata().get(name)
        return value if isinstance(value, str) else None

    def key_set(self, *, refresh: bool = False) -> KeySet:
        """The provider's signing keys; ``refresh`` fetches them again (rate-limited)."""
        jwks_uri = self.metadata()["jwks_uri"]
        with self._lock:
            stale = refresh and time.monotonic() - self._keys_at > KEYS_REFRESH_SECONDS
            if self._keys is None or stale:
                data = self._get_json(jwks_uri, "signing keys")
                try:
                    self._keys = KeySet.import_key_set(data)  # type: ignore[arg-type]
                except (JoseError, ValueError, TypeError, KeyError) as exc:
                    raise IdentityError(f"the identity provider's keys are invalid: {exc}") from exc
                self._keys_at = time.monotonic()
            return self._keys

    def verify(self, token: str, *, audience: str, nonce: str | None = None) -> dict[str, Any]:
        """The claims of a JWT the provider signed for ``audience``: signature, ``iss``,
        ``aud``, ``exp`` (and ``nonce`` when given). Raises InvalidTokenError."""
        try:
            try:
                decoded = jwt.decode(token, self.key_set(), algorithms=list(SIGNING_ALGORITHMS))
            except InvalidKeyIdError:
                decoded = jwt.decode(
                    token, self.key_set(refresh=True), algorithms=list(SIGNING_ALGORITHMS)
                )
            options: dict[str, Any] = {
                "iss": {"essential": True, "value": self.issuer},
                "aud": {"essential": True, "value": audience},
                "exp": {"essential": True},
                "sub": {"essential": True},
            }
            if nonce is not None:
                options["nonce"] = {"essential": True, "value": nonce}
            jwt.JWTClaimsRegistry(leeway=LEEWAY_SECONDS, **options).validate(decoded.claims)
        except (JoseError, ValueError) as exc:
            raise InvalidTokenError(f"identity provider token rejected: {exc}") from exc
        claims: dict[str, Any] = dict(decoded.claims)
        return claims

    def identity(self, claims: dict[str, Any]) -> Identity:
        """The person the claims describe, with mapped roles (NoKnownRole when none map)."""
        values = claim_values(claims, self.settings.oidc_role_claim)
        roles = map_roles(values, self.settings.oidc_role_map)
        if not roles:
            raise NoKnownRole(values, self.settings.oidc_role_claim)
        name = claims.get(self.settings.oidc_name_claim)
        return Identity(
            subject=str(claims["sub"]),
            name=name.strip() if isinstance(name, str) and name.strip() else None,
            roles=roles,
        )

    def access_token_principal(self, token: str) -> Principal:
        """The caller named by one of the provider's access tokens (InvalidTokenError)."""
        audience = self.settings.oidc_api_audience or self.client_id
        claims = self.verify(token, audience=audience)
        try:
            return self.identity(claims).principal()
        except NoKnownRole as exc:
            raise InvalidTokenError(str(exc)) from exc


_providers: dict[tuple[str, str], IdentityProvider] = {}
_providers_lock = threading.Lock()


def identity_provider(settings: Settings) -> IdentityProvider:
    """The process's provider for these settings (shared, so keys are fetched once)."""
    key = (settings.oidc_issuer or "", settings.oidc_client_id or "")
    with _providers_lock:
        provider = _providers.get(key)
        if provider is None or provider.settings is not settings:
            provider = _providers[key] = IdentityProvider(settings)
        return provider

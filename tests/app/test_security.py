from datetime import timedelta

import jwt
import pytest

from app.security import InvalidTokenError, Role, create_token, decode_token

SECRET = "k" * 40


def test_token_round_trip_carries_subject_and_roles():
    token = create_token("dr.jones", [Role.CLINICIAN, Role.AUDITOR], SECRET, timedelta(minutes=5))
    principal = decode_token(token, SECRET)
    assert principal.subject == "dr.jones"
    assert principal.roles == {Role.CLINICIAN, Role.AUDITOR}
    assert principal.has_any(Role.AUDITOR)
    assert not principal.has_any(Role.SCHEDULER, Role.ADMIN)


def test_expired_token_is_refused():
    token = create_token("a", [Role.ADMIN], SECRET, timedelta(seconds=-1))
    with pytest.raises(InvalidTokenError, match="expired"):
        decode_token(token, SECRET)


def test_token_signed_with_another_secret_is_refused():
    token = create_token("a", [Role.ADMIN], "other" * 10, timedelta(minutes=5))
    with pytest.raises(InvalidTokenError):
        decode_token(token, SECRET)


def test_unknown_role_and_missing_roles_are_refused():
    claims = {"sub": "a", "iss": "equiwait", "iat": 0, "exp": 4_102_444_800}
    with pytest.raises(InvalidTokenError, match="no roles"):
        decode_token(jwt.encode(claims, SECRET, algorithm="HS256"), SECRET)
    with pytest.raises(InvalidTokenError, match="unknown role"):
        decode_token(jwt.encode({**claims, "roles": ["king"]}, SECRET, algorithm="HS256"), SECRET)


def test_unsigned_token_is_refused():
    claims = {"sub": "a", "iss": "equiwait", "iat": 0, "exp": 4_102_444_800, "roles": ["admin"]}
    token = jwt.encode(claims, key=None, algorithm="none")
    with pytest.raises(InvalidTokenError):
        decode_token(token, SECRET)


def test_empty_subject_or_roles_cannot_be_issued():
    with pytest.raises(ValueError):
        create_token(" ", [Role.ADMIN], SECRET, timedelta(minutes=1))
    with pytest.raises(ValueError):
        create_token("a", [], SECRET, timedelta(minutes=1))

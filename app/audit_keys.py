"""The keys of the audit chain: HMAC-SHA256 keys held outside the database, rotatable.

``EQUIWAIT_AUDIT_KEYS`` holds ``id:key`` pairs separated by commas, newest first: the first
key signs new records and anchors, every listed key verifies (so records signed before a
rotation still check). Without it the chain is keyed by a key derived from
``EQUIWAIT_SECRET_KEY`` under the id ``secret``. A key is never stored in the database: only
its id is, in each record.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from sqlalchemy import Engine
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from app.settings import Settings

#: Id of the key derived from the service secret when no audit keys are configured.
SECRET_KEY_ID = "secret"
KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")
_DERIVATION = b"equiwait audit chain v1"


class AuditKeyError(ValueError):
    """``EQUIWAIT_AUDIT_KEYS`` cannot be read."""


@dataclass(frozen=True)
class AuditKeys:
    """The signing key (``signing_id``) and every key that verifies, by id."""

    signing_id: str
    keys: dict[str, bytes]

    def sign(self, payload: bytes, key_id: str | None = None) -> str:
        """Lowercase hex HMAC-SHA256 of ``payload`` with ``key_id`` (default: the signer)."""
        key = self.keys[key_id or self.signing_id]
        return hmac.new(key, payload, hashlib.sha256).hexdigest()

    def knows(self, key_id: str) -> bool:
        return key_id in self.keys

    @classmethod
    def parse(cls, text: str, *, min_length: int = 1) -> AuditKeys:
        """Keys from ``id:key,id:key`` (newest first)."""
        keys: dict[str, bytes] = {}
        order: list[str] = []
        for pair in (part.strip() for part in text.split(",")):
            if not pair:
                continue
            key_id, sep, key = pair.partition(":")
            if not sep or not KEY_ID.match(key_id):
                raise AuditKeyError(
                    "EQUIWAIT_AUDIT_KEYS must be `id:key` pairs separated by commas "
                    "(ids: letters, digits, '_', '.', '-')"
                )
            if len(key) < min_length:
                raise AuditKeyError(
                    f"audit key {key_id!r} must be at least {min_length} characters"
                )
            if key_id in keys:
                raise AuditKeyError(f"audit key id {key_id!r} is listed twice")
            keys[key_id] = key.encode()
            order.append(key_id)
        if not order:
            raise AuditKeyError("EQUIWAIT_AUDIT_KEYS lists no key")
        return cls(signing_id=order[0], keys=keys)

    @classmethod
    def from_secret(cls, secret: str) -> AuditKeys:
        key = hmac.new(secret.encode(), _DERIVATION, hashlib.sha256).digest()
        return cls(signing_id=SECRET_KEY_ID, keys={SECRET_KEY_ID: key})

    @classmethod
    def from_settings(cls, settings: Settings) -> AuditKeys:
        if settings.audit_keys is None:
            return cls.from_secret(settings.secret)
        minimum = 32 if settings.environment == "production" else 1
        keys = cls.parse(settings.audit_keys.get_secret_value(), min_length=minimum)
        if SECRET_KEY_ID not in keys.keys:
            # Records signed before keys were configured still verify.
            keys.keys[SECRET_KEY_ID] = cls.from_secret(settings.secret).keys[SECRET_KEY_ID]
        return keys


_BOUND: WeakKeyDictionary[Engine, AuditKeys] = WeakKeyDictionary()


def bind_audit_keys(engine: Engine, keys: AuditKeys) -> None:
    """Records written through ``engine`` are signed with ``keys``."""
    _BOUND[engine] = keys


def audit_keys_for(session: Session) -> AuditKeys:
    """The keys bound to the session's engine, else those of the process's settings."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    keys = _BOUND.get(engine)
    if keys is None:
        from app.settings import get_settings

        keys = _BOUND[engine] = AuditKeys.from_settings(get_settings())
    return keys

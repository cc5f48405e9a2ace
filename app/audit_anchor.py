"""Signed anchors of the audit chain head, kept outside the database.

An anchor names the newest record (``event_id``, ``hash``) at a moment, signed with the audit
signing key. It is written as one JSON line appended to ``EQUIWAIT_AUDIT_ANCHOR_FILE`` and as
one log line (``audit anchor {...}``), so a log store or a file backup keeps every head. A
chain that no longer reaches the latest anchor, or holds another record there, was cut off or
rewritten: :func:`app.audit.verify_chain` checks it.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import anyio.to_thread
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.audit import AnchorPoint, ChainReport, verify_chain
from app.audit_keys import AuditKeys
from app.database import session_scope
from app.metrics import record_audit_verification
from models import AuditEvent
from models.base import utcnow

if TYPE_CHECKING:
    from app.settings import Settings

logger = logging.getLogger("equiwait.audit")
ANCHOR_VERSION = 1


@dataclass(frozen=True)
class ChainAnchor:
    """A signed chain head. ``signature`` = HMAC-SHA256 (key ``key_id``) of
    ``"{version}|{event_id}|{hash}|{anchored_at}"``."""

    version: int
    event_id: int
    hash: str
    anchored_at: str
    key_id: str
    signature: str

    def message(self) -> bytes:
        return f"{self.version}|{self.event_id}|{self.hash}|{self.anchored_at}".encode()

    def signed_by(self, keys: AuditKeys) -> bool:
        """True when a known key signed exactly these fields."""
        if not keys.knows(self.key_id):
            return False
        return hmac.compare_digest(keys.sign(self.message(), self.key_id), self.signature)

    def point(self) -> AnchorPoint:
        return AnchorPoint(self.event_id, self.hash, self.anchored_at)


class AnchorError(ValueError):
    """The anchor file cannot be read, or its latest anchor is not signed by a known key."""


def current_head(session: Session) -> tuple[int, str] | None:
    """``(id, hash)`` of the newest record, or None for an empty log."""
    row = session.execute(
        select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    return None if row is None else (row.id, row.hash)


def sign_head(event_id: int, event_hash: str, keys: AuditKeys) -> ChainAnchor:
    unsigned = ChainAnchor(
        ANCHOR_VERSION,
        event_id,
        event_hash,
        utcnow().isoformat(timespec="microseconds"),
        keys.signing_id,
        "",
    )
    return ChainAnchor(**{**asdict(unsigned), "signature": keys.sign(unsigned.message())})


def write_anchor(session: Session, keys: AuditKeys, path: Path) -> ChainAnchor | None:
    """Sign the current head and append it to ``path`` and the log (None: nothing to anchor
    yet). The file is flushed to disk before this returns."""
    head = current_head(session)
    if head is None:
        return None
    anchor = sign_head(*head, keys)
    line = json.dumps(asdict(anchor), sort_keys=True, separators=(",", ":"))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    logger.info("audit anchor %s", line)
    return anchor


def latest_anchor(path: Path, keys: AuditKeys) -> ChainAnchor | None:
    """The last anchor in ``path`` (None when there is none); AnchorError when it is not
    readable or not signed by a known key."""
    if not path.exists():
        return None
    last = ""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                last = line
    if not last:
        return None
    try:
        anchor = ChainAnchor(**json.loads(last))
    except (TypeError, ValueError) as exc:
        raise AnchorError(f"the latest anchor in {path.name} cannot be read") from exc
    if not anchor.signed_by(keys):
        raise AnchorError(f"the latest anchor in {path.name} is not signed by a known key")
    return anchor


def verify_against_latest_anchor(session: Session, keys: AuditKeys, path: Path) -> ChainReport:
    """Re-walk the chain and compare it with the latest anchor in ``path`` (if there is one)."""
    try:
        anchor = latest_anchor(path, keys)
    except AnchorError as exc:
        report = ChainReport(False, 0, None, str(exc))
    else:
        report = verify_chain(session, keys=keys, anchor=None if anchor is None else anchor.point())
    record_audit_verification(report.valid)
    return report


def anchor_once(engine: Engine, keys: AuditKeys, path: Path) -> ChainAnchor | None:
    """One anchor of the head through ``engine``'s own session (errors are logged)."""
    try:
        with session_scope(engine) as session:
            return write_anchor(session, keys, path)
    except (SQLAlchemyError, OSError) as exc:
        logger.warning("audit anchor not written: %s", type(exc).__name__)
        return None


@asynccontextmanager
async def anchor_periodically(
    engine: Engine, keys: AuditKeys, settings: Settings
) -> AsyncIterator[None]:
    """While the app serves, anchor the head every ``audit_anchor_interval_seconds`` (in a
    worker thread, when the head moved), and once more at shutdown."""
    interval = settings.audit_anchor_interval_seconds
    if interval <= 0:
        yield
        return
    path = settings.audit_anchor_file
    last: list[tuple[int, str] | None] = [None]

    def anchor_if_moved() -> None:
        anchor = anchor_once(engine, keys, path) if _moved(engine, last[0]) else None
        if anchor is not None:
            last[0] = (anchor.event_id, anchor.hash)

    async def loop() -> None:
        while True:
            await anyio.sleep(interval)
            await anyio.to_thread.run_sync(anchor_if_moved)

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(loop)
        try:
            yield
        finally:
            tasks.cancel_scope.cancel()
    await anyio.to_thread.run_sync(anchor_if_moved)


def _moved(engine: Engine, last: tuple[int, str] | None) -> bool:
    try:
        with session_scope(engine) as session:
            head = current_head(session)
    except SQLAlchemyError:
        return False
    return head is not None and head != last

"""Load an English Indices of Deprivation edition into the ``imd_lsoas`` lookup table."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session
from tqdm import tqdm

from app.audit import AuditKind, record_event
from app.ingest.imd_lookup import IodFileError, read_iod_csv
from models import ImdEdition, ImdLsoa

CHUNK = 5000
_DOMAIN_COLUMNS = {
    "income": "income_decile",
    "employment": "employment_decile",
    "education": "education_decile",
    "health": "health_decile",
    "crime": "crime_decile",
    "barriers": "barriers_decile",
    "living_environment": "living_environment_decile",
}


class ImdLoadError(Exception):
    """The file could not be loaded (bad layout, or the edition exists and replace was off)."""


def lsoa_vintage_of(edition: str) -> str:
    """IoD 2019 and earlier use 2011 LSOAs; IoD 2025 onwards use 2021 LSOAs."""
    digits = "".join(ch for ch in edition if ch.isdigit())
    return "2021" if digits and int(digits[:4]) >= 2025 else "2011"


def load_imd_file(
    session: Session,
    path: Path,
    edition: str,
    *,
    replace: bool = False,
    show_progress: bool = False,
    actor: str = "cli",
) -> int:
    """Read ``path`` (official IoD layout) and store it as ``edition``; returns LSOAs loaded."""
    raw = path.read_bytes()
    try:
        table = read_iod_csv(path, edition)
    except IodFileError as exc:
        raise ImdLoadError(f"{path.name}: {exc}") from exc
    existing = session.get(ImdEdition, edition)
    if existing is not None:
        if not replace:
            raise ImdLoadError(f"IMD edition {edition} is already loaded (use --replace)")
        session.execute(delete(ImdLsoa).where(ImdLsoa.edition == edition))
        session.delete(existing)
        session.flush()
    vintage = lsoa_vintage_of(edition)
    session.add(
        ImdEdition(
            code=edition,
            description=f"English Indices of Deprivation {edition[-4:]} ({vintage} LSOAs)",
            lsoa_vintage=vintage,
            source_checksum=hashlib.sha256(raw).hexdigest(),
            lsoa_count=len(table),
        )
    )
    session.flush()
    codes = table.lsoa_codes.tolist()
    scores = table.imd_score.tolist()
    ranks = table.imd_rank.tolist()
    deciles = table.imd_decile.tolist()
    domains = {
        column: table.domain_deciles[key].tolist() for key, column in _DOMAIN_COLUMNS.items()
    }
    with tqdm(
        total=len(table), unit="LSOAs", desc=f"loading {edition}", disable=not show_progress
    ) as bar:
        for start in range(0, len(table), CHUNK):
            stop = min(start + CHUNK, len(table))
            rows = [
                {
                    "edition": edition,
                    "lsoa_code": codes[i],
                    "imd_score": scores[i],
                    "imd_rank": ranks[i],
                    "imd_decile": deciles[i],
                    **{column: values[i] for column, values in domains.items()},
                }
                for i in range(start, stop)
            ]
            session.execute(insert(ImdLsoa), rows)
            bar.update(stop - start)
    record_event(
        session,
        actor,
        AuditKind.IMD_LOADED,
        subject_type="imd_edition",
        subject_id=edition,
        details={"file": path.name, "lsoas": len(table), "replaced": existing is not None},
    )
    return len(table)

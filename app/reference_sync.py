"""Load the reference lists into their tables (idempotent), never dropping a code in use.

The lists are the packaged ``app/reference_data/*.csv``, replaced or extended by a trust's
own files in ``EQUIWAIT_REFERENCE_DATA_DIR`` (see :mod:`app.reference_data.lists`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import ColumnElement, delete, func, literal, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.ingest.reference import ReferenceDataError
from app.reference_data.lists import LoadedList, read_reference_lists
from models import (
    ClinicalArea,
    EthnicCategory,
    InclusionGroup,
    PriorityCode,
    PtlEntry,
    RuleSetVersion,
    TreatmentFunction,
)

#: Table name → the PTL entry column holding its codes, and whether it holds ";" lists.
_USED_BY: dict[str, tuple[InstrumentedAttribute[str], bool]] = {
    "treatment_functions": (PtlEntry.treatment_function_code, False),
    "ethnic_categories": (PtlEntry.ethnic_category, False),
    "priority_codes": (PtlEntry.priority_code, False),
    "inclusion_groups": (PtlEntry.inclusion_groups, True),
    "clinical_areas": (PtlEntry.clinical_areas, True),
}


def reference_digest(session: Session) -> str:
    """A digest of every reference list as stored (to tell whether a sync changed any)."""
    digest = hashlib.sha256()
    for model in (TreatmentFunction, EthnicCategory, PriorityCode, InclusionGroup, ClinicalArea):
        table = model.__table__
        rows = session.execute(select(*table.c).order_by(table.c.code)).all()
        digest.update(repr((model.__tablename__, [tuple(row) for row in rows])).encode())
    return digest.hexdigest()


def sync_reference_data(session: Session, local_dir: Path | None = None) -> dict[str, int]:
    """Make each reference table hold exactly its list; returns row counts per table.

    Raises ReferenceDataError, having changed nothing, when a file is invalid or a code that
    stored PTL entries (or rule sets) use would be dropped.
    """
    lists = read_reference_lists(local_dir)
    refusals = [message for loaded in lists for message in _dropped_in_use(session, loaded)]
    if refusals:
        hint = (
            "keep these codes in the lists"
            + (f" in {local_dir}" if local_dir else " (set EQUIWAIT_REFERENCE_DATA_DIR)")
            + "; nothing was changed"
        )
        raise ReferenceDataError("\n  ".join(["reference data not loaded:", *refusals, hint]))
    counts: dict[str, int] = {}
    for loaded in lists:
        table = loaded.spec.table
        code_column = table.__table__.c.code
        stored = set(session.scalars(select(code_column)))
        dropped = stored - set(loaded.rows)
        if dropped:
            session.execute(delete(table).where(code_column.in_(sorted(dropped))))
        for row in loaded.rows.values():
            session.merge(table(**row))
        session.flush()
        counts[table.__tablename__] = len(loaded.rows)
    return counts


def _dropped_in_use(session: Session, loaded: LoadedList) -> list[str]:
    """Why codes this list would drop must stay: how many entries (or rule sets) use each."""
    spec = loaded.spec
    table_name = spec.table.__tablename__
    code_column = spec.table.__table__.c.code
    dropped = sorted(set(session.scalars(select(code_column))) - set(loaded.rows))
    messages: list[str] = []
    column, is_list = _USED_BY[table_name]
    for code in dropped:
        used: ColumnElement[bool] = (
            (literal(";") + column + literal(";")).contains(f";{code};", autoescape=True)
            if is_list
            else column == code
        )
        entries = session.scalar(select(func.count()).select_from(PtlEntry).where(used)) or 0
        rules = 0
        if table_name == "treatment_functions":
            rules = (
                session.scalar(
                    select(func.count())
                    .select_from(RuleSetVersion)
                    .where(RuleSetVersion.specialty == code)
                )
                or 0
            )
        if entries or rules:
            users = [f"{entries:,} stored PTL entries"] if entries else []
            users += [f"{rules:,} rule set versions"] if rules else []
            messages.append(
                f"{spec.what} {code!r} ({spec.file_name}) is used by {' and '.join(users)}"
            )
    return messages

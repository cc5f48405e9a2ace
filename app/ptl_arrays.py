"""Load a provider's open PTL from the database as the scoring core's columnar input.

Why one Core SELECT and numpy: a ranking run, a rule preview and the equity report all score
whole PTLs (up to a million pathways); ORM objects per row would cost more than the scoring.
The same loader also keeps the raw columns a ranking snapshot stores as "inputs as they were".
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import String, and_, cast, select
from sqlalchemy.orm import Session

from app.reference_store import load_imd_lookup
from models import EthnicCategory, PtlEntry
from prioritisation import PtlArrays
from prioritisation.codes import IMD_DOMAINS
from prioritisation.inputs import FlagMatrix, StrArray

DayArray = NDArray[np.datetime64]


@dataclass(frozen=True, eq=False, slots=True)
class LoadedPtl:
    """A provider's open entries: the engine's arrays plus what the snapshot keeps verbatim.

    Row ``i`` of every array is the same pathway; ``entry_ids`` are ``ptl_entries.id``. Text
    columns use "" for a missing value and dates NaT, as in the core.
    """

    arrays: PtlArrays
    entry_ids: NDArray[np.int64]
    site_code: StrArray
    imd_source: StrArray
    imd_edition: StrArray
    inclusion_groups: StrArray
    """Stored ``;``-separated codes, as uploaded (canonical order)."""
    clinical_areas: StrArray
    priority_set_date: DayArray
    lsoa_code: StrArray

    def __len__(self) -> int:
        return len(self.entry_ids)


def _text(values: Sequence[Any]) -> StrArray:
    """Object values to a unicode array with "" for NULL."""
    if not values:
        return np.zeros(0, dtype="<U1")
    return np.array(["" if v is None else str(v) for v in values], dtype=str)


def _days(values: Sequence[Any]) -> DayArray:
    """ISO date strings (or NULL) to ``datetime64[D]`` with NaT for NULL."""
    if not values:
        return np.zeros(0, dtype="datetime64[D]")
    return np.array([None if v is None else str(v)[:10] for v in values], dtype="datetime64[D]")


_COLUMNS = (
    PtlEntry.id,
    PtlEntry.pathway_id,
    PtlEntry.provider_code,
    PtlEntry.treatment_function_code,
    PtlEntry.pathway_stage,
    PtlEntry.priority_code,
    # Dates as text: numpy parses ISO strings far faster than Python builds date objects.
    cast(PtlEntry.rtt_clock_start, String).label("rtt_clock_start"),
    PtlEntry.imd_decile,
    PtlEntry.imd_source,
    PtlEntry.imd_edition,
    PtlEntry.ethnic_category,
    EthnicCategory.broad_group,
    PtlEntry.rtt_status,
    PtlEntry.inclusion_groups,
    PtlEntry.clinical_areas,
    PtlEntry.site_code,
    cast(PtlEntry.priority_set_date, String).label("priority_set_date"),
    PtlEntry.lsoa_code,
)


def load_open_ptl(
    session: Session,
    provider_code: str,
    *,
    specialties: Sequence[str] | None = None,
    imd_edition: str,
) -> LoadedPtl:
    """The open entries of ``provider_code`` (optionally only ``specialties``), in id order.

    The overall IMD decile is the stored one (supplied or looked up at upload); the seven
    domain deciles are looked up from ``imd_edition`` by the entry's LSOA (0 = unknown).
    An unknown ethnic category maps to the neutral group "".
    """
    query = (
        select(*_COLUMNS)
        .outerjoin(EthnicCategory, EthnicCategory.code == PtlEntry.ethnic_category)
        .where(and_(PtlEntry.provider_code == provider_code, PtlEntry.is_open.is_(True)))
        .order_by(PtlEntry.id)
    )
    if specialties is not None:
        query = query.where(PtlEntry.treatment_function_code.in_(list(specialties)))
    rows = session.execute(query).all()
    columns: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [() for _ in _COLUMNS]
    (
        ids,
        pathway_id,
        provider,
        tfc,
        stage,
        priority,
        clock,
        decile,
        imd_source,
        imd_edition_used,
        category,
        group,
        rtt_status,
        inclusion,
        clinical,
        site,
        priority_set,
        lsoa,
    ) = columns
    n = len(ids)
    lsoa_codes = _text(lsoa)
    lookup = load_imd_lookup(session, imd_edition)
    domains = {
        name: lookup.lookup_domain(lsoa_codes, name)[0] if n else np.zeros(0, np.int8)
        for name in IMD_DOMAINS
    }
    inclusion_text, clinical_text = _text(inclusion), _text(clinical)
    arrays = PtlArrays.from_columns(
        pathway_id=_text(pathway_id),
        provider_code=_text(provider),
        treatment_function_code=_text(tfc),
        pathway_stage=_text(stage),
        priority_code=_text(priority),
        rtt_clock_start=_days(clock),
        imd_decile=np.array([0 if d is None else int(d) for d in decile], dtype=np.int8),
        imd_domain_deciles=domains,
        ethnic_category=_text(category),
        ethnic_group=_text(group),
        rtt_status=_text(rtt_status),
        inclusion_groups=FlagMatrix.from_strings(inclusion_text),
        clinical_areas=FlagMatrix.from_strings(clinical_text),
    )
    return LoadedPtl(
        arrays=arrays,
        entry_ids=np.array(ids, dtype=np.int64),
        site_code=_text(site),
        imd_source=_text(imd_source),
        imd_edition=_text(imd_edition_used),
        inclusion_groups=inclusion_text,
        clinical_areas=clinical_text,
        priority_set_date=_days(priority_set),
        lsoa_code=lsoa_codes,
    )


def _digest_text(digest: Any, name: str, values: StrArray) -> None:
    digest.update(f"\x1e{name}\x1d".encode())
    digest.update("\x1f".join(values.tolist()).encode())


def inputs_hash(loaded: LoadedPtl) -> str:
    """SHA-256 over every scoring input, in (provider, pathway) order.

    Same hash, same rule versions, same census date and same overrides give the same ranks:
    the snapshot can be checked against a re-run. Row order in the database does not matter.
    """
    arrays = loaded.arrays
    order = np.lexsort((arrays.pathway_id, arrays.provider_code))
    digest = hashlib.sha256(b"equiwait-ptl-inputs-v1")
    for name in (
        "provider_code",
        "pathway_id",
        "treatment_function_code",
        "pathway_stage",
        "priority_code",
        "ethnic_category",
        "ethnic_group",
        "rtt_status",
    ):
        _digest_text(digest, name, getattr(arrays, name)[order])
    digest.update(b"\x1ertt_clock_start\x1d")
    digest.update(np.ascontiguousarray(arrays.rtt_clock_start[order].astype(np.int64)).tobytes())
    for name, deciles in [
        ("imd_decile", arrays.imd_decile),
        *sorted(arrays.imd_domain_deciles.items()),
    ]:
        digest.update(f"\x1e{name}\x1d".encode())
        digest.update(np.ascontiguousarray(deciles[order]).tobytes())
    for name in ("inclusion_groups", "clinical_areas"):
        matrix: FlagMatrix = getattr(arrays, name)
        digest.update(f"\x1e{name}\x1d{';'.join(matrix.codes)}\x1d".encode())
        digest.update(np.packbits(matrix.values[order], axis=None).tobytes())
    return digest.hexdigest()

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
from sqlalchemy import String, and_, cast, select, tuple_
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
    inclusion_groups: NDArray[np.object_]
    """Stored ``;``-separated codes as Python strings (an object array: long, few distinct)."""
    clinical_areas: NDArray[np.object_]
    priority_set_date: DayArray
    lsoa_code: StrArray

    def __len__(self) -> int:
        return len(self.entry_ids)


@dataclass(frozen=True, slots=True)
class _Coded:
    """A column as its distinct values and one code per row (PTL columns repeat a lot)."""

    uniques: list[Any]
    codes: NDArray[np.intp]

    @classmethod
    def of(cls, values: Sequence[Any]) -> _Coded:
        uniques = list(dict.fromkeys(values))
        index = {value: code for code, value in enumerate(uniques)}
        codes = np.fromiter(map(index.__getitem__, values), dtype=np.intp, count=len(values))
        return cls(uniques, codes)

    def text(self) -> StrArray:
        """Unicode values with "" for NULL."""
        labels = np.array(["" if v is None else str(v) for v in self.uniques] or [""], dtype=str)
        return labels[self.codes]

    def days(self) -> DayArray:
        """ISO date strings (or NULL) as ``datetime64[D]``, NaT for NULL."""
        labels = [None if v is None else str(v)[:10] for v in self.uniques] or [None]
        return np.array(labels, dtype="datetime64[D]")[self.codes]

    def deciles(self) -> NDArray[np.int8]:
        labels = [0 if v is None else int(v) for v in self.uniques] or [0]
        return np.array(labels, dtype=np.int8)[self.codes]

    def objects(self) -> NDArray[np.object_]:
        """The values as shared Python strings ("" for NULL): no copy per row."""
        labels = np.empty(max(len(self.uniques), 1), dtype=object)
        labels[:] = ["" if v is None else str(v) for v in self.uniques] or [""]
        return labels[self.codes]

    def flags(self) -> FlagMatrix:
        return FlagMatrix.from_strings(self.text_uniques()).take(self.codes)

    def text_uniques(self) -> StrArray:
        return np.array(["" if v is None else str(v) for v in self.uniques] or [""], dtype=str)


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
    lists: Sequence[tuple[str, str]] | None = None,
    imd_edition: str,
    pathway_order: bool = False,
    key_order: bool = False,
) -> LoadedPtl:
    """The open entries of ``provider_code`` (optionally only ``specialties``, or only the
    ``lists`` given as (treatment function code, stage) pairs).

    Row order is whatever the database returns: ranks and the inputs hash do not depend on it.
    A simulation does (each patient's random numbers are keyed by their position), and the
    order PostgreSQL returns changes as rows are rewritten; ``pathway_order`` sorts by
    provider and pathway id (code point order, the same on every database) so the same list
    and seed always give the same simulation.

    The overall IMD decile is the stored one (supplied or looked up at upload); the seven
    domain deciles are looked up from ``imd_edition`` by the entry's LSOA (0 = unknown).
    An unknown ethnic category maps to the neutral group "".

    ``key_order`` reads the entries in the database's own order of (provider, pathway id), the
    order of the ranking results' primary key: a run's million results are then appended to
    that index instead of scattered through it (several seconds at that size).
    """
    query = (
        select(*_COLUMNS)
        .outerjoin(EthnicCategory, EthnicCategory.code == PtlEntry.ethnic_category)
        .where(and_(PtlEntry.provider_code == provider_code, PtlEntry.is_open.is_(True)))
    )
    if specialties is not None:
        query = query.where(PtlEntry.treatment_function_code.in_(list(specialties)))
    if lists is not None:
        codes = sorted({tfc for tfc, _ in lists})
        query = query.where(PtlEntry.treatment_function_code.in_(codes))
        pairs = sorted(set(lists))
        query = query.where(
            tuple_(PtlEntry.treatment_function_code, PtlEntry.pathway_stage).in_(pairs)
        )
    if key_order:
        query = query.order_by(PtlEntry.provider_code, PtlEntry.pathway_id)
    # Core execution on the connection, and the driver's own tuples: every selected column is
    # text or an integer (dates are cast), so there is nothing for SQLAlchemy to convert, and
    # building a Row per entry would cost more than the fetch itself.
    result = session.connection().execute(query)
    try:
        rows: list[Sequence[Any]] = list(result.cursor.fetchall())
    finally:
        result.close()
    if pathway_order:
        rows = sorted(rows, key=lambda row: (row[2], row[1]))
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
        inclusion_values,
        clinical_values,
        site,
        priority_set,
        lsoa_values,
    ) = columns
    n = len(ids)
    lsoa = _Coded.of(lsoa_values)
    lookup = load_imd_lookup(session, imd_edition)
    lsoa_uniques = lsoa.text_uniques()
    domains = {
        name: lookup.lookup_domain(lsoa_uniques, name)[0][lsoa.codes] for name in IMD_DOMAINS
    }
    inclusion, clinical = _Coded.of(inclusion_values), _Coded.of(clinical_values)
    arrays = PtlArrays.from_columns(
        pathway_id=np.array(pathway_id, dtype=str) if n else np.zeros(0, dtype="<U1"),
        provider_code=_Coded.of(provider).text(),
        treatment_function_code=_Coded.of(tfc).text(),
        pathway_stage=_Coded.of(stage).text(),
        priority_code=_Coded.of(priority).text(),
        rtt_clock_start=_Coded.of(clock).days(),
        imd_decile=_Coded.of(decile).deciles(),
        imd_domain_deciles=domains,
        ethnic_category=_Coded.of(category).text(),
        ethnic_group=_Coded.of(group).text(),
        rtt_status=_Coded.of(rtt_status).text(),
        inclusion_groups=inclusion.flags(),
        clinical_areas=clinical.flags(),
    )
    return LoadedPtl(
        arrays=arrays,
        entry_ids=np.array(ids, dtype=np.int64),
        site_code=_Coded.of(site).text(),
        imd_source=_Coded.of(imd_source).text(),
        imd_edition=_Coded.of(imd_edition_used).text(),
        inclusion_groups=inclusion.objects(),
        clinical_areas=clinical.objects(),
        priority_set_date=_Coded.of(priority_set).days(),
        lsoa_code=lsoa.text(),
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

"""Stored rows shaped for callers: ranked-list records, CSV lines and the rationale record.

Why here and not in the router: the JSON page, the CSV download and the benchmark share the
exact same fields, and NHS numbers are redacted in one place for all of them.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Row
from sqlalchemy.orm import Session

from app.csv_safe import SafeCsvWriter
from app.privacy import nhs_number_for
from app.rankings.lists import ListFreshness
from app.rankings.ranked import ListKey, RankedFilters, ranked_page, specialty_names
from app.rankings.rationale import Rationale
from app.rankings.served import ServedRuns
from app.security import Principal
from models import RankingOverride
from prioritisation import COMPONENTS, rtt_weeks

CSV_COLUMNS = (
    "run_id", "provider_code", "pathway_id", "nhs_number", "specialty", "specialty_name",
    "pathway_stage", "priority_code", "site_code", "wait_days", "wait_weeks", "imd_decile",
    "rank", "list_size", "conventional_rank", "rank_change", "score",
    *(f"component_{name}" for name in COMPONENTS),
    "protected", "protection_reason", "capped", "parked", "parked_reason",
    "override_kind", "override_days", "override_reason", "override_expires_at", "override_status",
    "ranked_at", "rule_versions", "latest_change_at", "stale",
)  # fmt: skip
"""The CSV download's header (PAS import): the JSON fields, components and override flat,
then the row's list freshness (when its run was made, the rule versions it used, the latest
change to the list, and whether a re-rank is pending)."""

STALE_HEADER = "Equiwait-Stale"


def freshness_record(fresh: ListFreshness) -> dict[str, Any]:
    """A list's freshness as the API shows it."""
    return {
        "specialty": fresh.specialty,
        "pathway_stage": fresh.stage,
        "run_id": fresh.run_id,
        "ranked_at": fresh.ranked_at,
        "rule_versions": fresh.rule_versions,
        "latest_change_at": fresh.latest_change_at,
        "stale": fresh.stale,
        "stale_reasons": list(fresh.stale_reasons),
    }


def _freshness_cells(fresh: ListFreshness | None) -> dict[str, Any]:
    if fresh is None:
        return {}
    versions = ";".join(
        f"{key}:{'shipped' if value is None else value}"
        for key, value in sorted(fresh.rule_versions.items())
    )
    return {
        "ranked_at": fresh.ranked_at.isoformat() if fresh.ranked_at else None,
        "rule_versions": versions,
        "latest_change_at": fresh.latest_change_at.isoformat(),
        "stale": "true" if fresh.stale else "false",
    }


def _override(row: dict[str, Any]) -> dict[str, Any] | None:
    if row["override_id"] is None:
        return None
    return {
        "id": row["override_id"],
        "kind": row["override_kind"],
        "days": row["override_days"],
        "reason": row["override_reason"],
        "expires_at": row["override_expires_at"],
        "status": row["override_status"],
    }


def ranked_records(
    rows: Sequence[Row[Any]], principal: Principal, names: dict[str, str]
) -> list[dict[str, Any]]:
    """One record per stored row, as the ranked list serves it (each names its run)."""
    if not rows:
        return []
    weeks = rtt_weeks(np.array([row.wait_days for row in rows], dtype=np.int64)).tolist()
    fields = rows[0]._fields
    records = []
    for values, week in zip(rows, weeks, strict=True):
        row = dict(zip(fields, values, strict=True))  # a dict's lookups cost a fifth of a Row's
        tfc = row["treatment_function_code"]
        records.append(
            {
                "run_id": row["run_id"],
                "provider_code": row["provider_code"],
                "pathway_id": row["pathway_id"],
                "nhs_number": nhs_number_for(principal, row["nhs_number"]),
                "specialty": tfc,
                "specialty_name": names.get(tfc, tfc),
                "pathway_stage": row["pathway_stage"],
                "priority_code": row["priority_code"],
                "site_code": row["site_code"],
                "wait_days": row["wait_days"],
                "wait_weeks": week,
                "imd_decile": row["imd_decile"],
                "rank": row["rank"],
                "list_size": row["list_size"],
                "conventional_rank": row["conventional_rank"],
                "rank_change": row["conventional_rank"] - row["rank"],
                "score": row["score"],
                "components": {name: row[name] for name in COMPONENTS},
                "protected": row["protected"],
                "protection_reason": row["protection_reason"] or None,
                "capped": row["capped"],
                "parked": row["parked"],
                "parked_reason": row["parked_reason"] or None,
                "override": _override(row),
            }
        )
    return records


def csv_line(record: dict[str, Any], fresh: ListFreshness | None = None) -> list[Any]:
    """A ranked record flattened into :data:`CSV_COLUMNS` order ("" for null)."""
    flat = {k: v for k, v in record.items() if k not in ("components", "override")}
    flat.update(_freshness_cells(fresh))
    flat.update({f"component_{k}": v for k, v in record["components"].items()})
    override = record["override"] or {}
    flat.update({f"override_{k}": v for k, v in override.items() if k != "id"})
    expires = flat.get("override_expires_at")
    if isinstance(expires, datetime):
        flat["override_expires_at"] = expires.isoformat()
    return ["" if flat.get(name) is None else flat[name] for name in CSV_COLUMNS]


def csv_chunks(
    session: Session,
    served: ServedRuns,
    filters: RankedFilters,
    principal: Principal,
    *,
    freshness: dict[tuple[str, str], ListFreshness] | None = None,
    chunk: int = 5000,
) -> Iterator[str]:
    """The CSV download: the header, then every matching row, ``chunk`` rows per string."""
    buffer = io.StringIO()
    writer = SafeCsvWriter(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    names = specialty_names(session)
    after: ListKey | None = None
    while True:
        rows, after = ranked_page(session, served, filters, after=after, limit=chunk)
        fresh = freshness or {}
        writer.writerows(
            csv_line(r, fresh.get((r["specialty"], r["pathway_stage"])))
            for r in ranked_records(rows, principal, names)
        )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if after is None:
            return


def csv_filename(served: ServedRuns) -> str:
    """``ranked-RZZ-run12.csv``, or ``ranked-RZZ-runs10-12.csv`` when lists came from several."""
    ids = served.run_ids
    runs = f"run{ids[0]}" if len(ids) == 1 else "runs" + "-".join(str(i) for i in ids)
    return f"ranked-{served.provider_code}-{runs}.csv"


def _override_record(override: RankingOverride | None, status: str) -> dict[str, Any] | None:
    if override is None:
        return None
    return {
        "id": override.id,
        "kind": override.kind,
        "days": override.days,
        "reason": override.reason,
        "expires_at": override.expires_at,
        "status": status,
    }


def _codes(value: str) -> list[str]:
    return [code for code in value.split(";") if code]


def rationale_record(found: Rationale) -> dict[str, Any]:
    """Everything the rationale endpoint answers, from the stored row and its rules."""
    row, explained = found.row, found.explanation
    return {
        "at": found.at,
        "run": found.run,
        "provider_code": row.provider_code,
        "pathway_id": row.pathway_id,
        "specialty_name": found.specialty_name,
        "inputs": {
            "treatment_function_code": row.treatment_function_code,
            "pathway_stage": row.pathway_stage,
            "priority_code": row.priority_code,
            "priority_defaulted": row.priority_defaulted,
            "priority_set_date": row.priority_set_date,
            "site_code": row.site_code,
            "rtt_clock_start": row.rtt_clock_start,
            "rtt_status": row.rtt_status,
            "imd_decile": row.imd_decile,
            "imd_measure_decile": row.imd_measure_decile,
            "imd_source": row.imd_source,
            "imd_edition": row.imd_edition,
            "ethnic_category": row.ethnic_category,
            "ethnic_group": row.ethnic_group,
            "inclusion_groups": _codes(row.inclusion_groups),
            "clinical_areas": _codes(row.clinical_areas),
        },
        "rules": [
            {
                "key": r.key,
                "version_id": r.version_id,
                "version_label": r.version_label,
                "document": r.document,
            }
            for r in found.rules
        ],
        "rank": row.rank,
        "conventional_rank": row.conventional_rank,
        "rank_change": row.conventional_rank - row.rank,
        "list_size": row.list_size,
        "wait_days": row.wait_days,
        "wait_weeks": explained["wait_weeks"],
        "score": row.score,
        "components": {name: getattr(row, name) for name in COMPONENTS},
        "factors": explained["factors"],
        "uplift_uncapped": row.uplift_uncapped,
        "cap_days": row.cap_days,
        "capped": row.capped,
        "protected": row.protected,
        "protection_reason": row.protection_reason or None,
        "parked": row.parked,
        "parked_reason": row.parked_reason or None,
        "override": _override_record(found.override, row.override_status),
        "sentence": explained["sentence"],
    }

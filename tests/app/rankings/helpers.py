"""Uploads, CSV edits and stored-row reads shared by the rankings and rationale tests."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from typing import Any

from sqlalchemy import Engine, func, select

from app.database import session_scope
from models import RankingResult, RankingRun

UPLOADS = "/api/v1/ptl/uploads"


def upload(client: Any, auth: Any, content: bytes, *, mode: str | None = None) -> dict[str, Any]:
    """Upload a CSV as the scheduler; the batch must succeed."""
    response = client.post(
        UPLOADS,
        files={"file": ("ptl.csv", content, "text/csv")},
        params={"mode": mode} if mode else {},
        headers=auth("scheduler", subject="pas.feed"),
    )
    assert response.status_code == 201, response.text
    batch: dict[str, Any] = response.json()
    return batch


def csv_records(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode())))


def to_csv(records: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(records[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue().encode()


def runs(engine: Engine, provider: str = "RZZ") -> list[RankingRun]:
    """The provider's runs, oldest first."""
    with session_scope(engine) as session:
        return list(
            session.scalars(
                select(RankingRun)
                .where(RankingRun.provider_code == provider)
                .order_by(RankingRun.id)
            )
        )


def results(engine: Engine, run_id: int) -> list[RankingResult]:
    with session_scope(engine) as session:
        return list(session.scalars(select(RankingResult).where(RankingResult.run_id == run_id)))


def result_count(engine: Engine, run_id: int) -> int:
    with session_scope(engine) as session:
        count = session.scalar(
            select(func.count()).select_from(RankingResult).where(RankingResult.run_id == run_id)
        )
    return int(count or 0)


def by_list(rows: list[RankingResult]) -> dict[tuple[str, str], list[RankingResult]]:
    """Ranked rows grouped by (specialty, stage), each in rank order."""
    lists: dict[tuple[str, str], list[RankingResult]] = defaultdict(list)
    for row in rows:
        if not row.parked:
            lists[(row.treatment_function_code, row.pathway_stage)].append(row)
    return {key: sorted(value, key=lambda r: r.rank) for key, value in lists.items()}

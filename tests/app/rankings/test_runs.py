"""Ranking runs: after uploads and on demand, stored as immutable snapshots, audited."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from app.audit import AuditKind
from app.database import session_scope
from app.ingestion import IngestRequest, ingest_records, upload_rankings
from app.jobs import run_due
from app.ptl_arrays import inputs_hash, load_open_ptl
from app.rankings import NotFound, run_ranking
from app.rankings.runs import census_moment, latest_run
from models import AuditEvent, PtlEntry, RankingResult, RankingRun
from prioritisation import COMPONENTS
from tests.api.ptl_files import CENSUS, demo_csv
from tests.app.rankings.helpers import by_list, csv_records, results, runs, upload
from tests.app.rules.factories import add_published, specialty_document


def test_upload_runs_a_ranking_of_every_open_entry(client, auth, engine):
    batch = upload(client, auth, demo_csv(400, seed=11))
    [run] = runs(engine)
    assert (run.trigger, run.upload_batch_id, run.requested_by) == (
        "upload",
        batch["id"],
        "pas.feed",
    )
    assert run.census_date == CENSUS and run.completed_at is not None
    assert run.rule_versions == {"default": None}
    rows = results(engine, run.id)
    assert run.specialties == sorted({r.treatment_function_code for r in rows})
    with session_scope(engine) as session:
        open_ids = set(session.scalars(select(PtlEntry.id).where(PtlEntry.is_open.is_(True))))
        loaded = load_open_ptl(session, "RZZ", imd_edition="iod2019")
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.kind == AuditKind.RANKING_RUN.value)
        ).one()
    assert len(rows) == run.entry_count == 400
    assert {r.entry_id for r in rows} == open_ids
    assert run.inputs_hash == inputs_hash(loaded)
    assert run.parked_count == sum(r.parked for r in rows) > 0
    for (_specialty, _stage), ranked in by_list(rows).items():
        assert [r.rank for r in ranked] == list(range(1, len(ranked) + 1))
        assert {r.list_size for r in ranked} == {len(ranked)}
        assert sorted(r.conventional_rank for r in ranked) == list(range(1, len(ranked) + 1))
    for row in rows:
        assert sum(getattr(row, name) for name in COMPONENTS) == row.score
        assert row.wait_days == (CENSUS - row.rtt_clock_start).days
        assert (row.rank == 0) == row.parked
    assert event.subject_id == str(run.id) and event.provider_code == "RZZ"
    assert event.details["inputs_hash"] == run.inputs_hash
    assert event.details["rule_versions"] == {"default": None}
    assert event.details["entry_count"] == 400


def test_parked_entries_follow_their_list_in_pathway_order(client, auth, engine):
    upload(client, auth, demo_csv(400, seed=12))
    rows = results(engine, runs(engine)[0].id)
    lists: dict[tuple[str, str], list[RankingResult]] = {}
    for row in rows:
        lists.setdefault((row.treatment_function_code, row.pathway_stage), []).append(row)
    assert any(r.parked for r in rows)
    for members in lists.values():
        members.sort(key=lambda r: r.list_position)
        assert [r.list_position for r in members] == list(range(1, len(members) + 1))
        parked = [r for r in members if r.parked]
        assert members[len(members) - len(parked) :] == parked
        assert [r.pathway_id for r in parked] == sorted(r.pathway_id for r in parked)


def test_ingest_alone_does_not_rank_and_its_queued_job_ranks_the_committed_batch(engine, settings):
    records = csv_records(demo_csv(30, seed=13))
    request = IngestRequest(actor="pas.feed", mode="replace")
    with session_scope(engine) as session:
        outcome = ingest_records(session, records, request, today=CENSUS)
        attempts = upload_rankings(session, outcome.batch, actor="pas.feed", replayed=False)
    assert runs(engine) == []
    assert [(a.provider_code, a.state) for a in attempts] == [("RZZ", "queued")]
    assert run_due(engine, settings) == 1
    [run] = runs(engine)
    assert (run.job_id, run.upload_batch_id, run.entry_count) == (
        attempts[0].job_id,
        outcome.batch.id,
        30,
    )


def test_a_failed_run_keeps_the_upload_and_reports_it(client, auth, engine, monkeypatch):
    def refuse(*_args, **_kwargs):
        raise RuntimeError("engine refused")

    monkeypatch.setattr("app.rankings.runs.run_ranking", refuse)
    response = client.post(
        "/api/v1/ptl/uploads",
        files={"file": ("ptl.csv", demo_csv(20), "text/csv")},
        headers=auth("scheduler"),
    )
    assert response.status_code == 201, response.text
    [attempt] = response.json()["rankings"]
    assert attempt["state"] == "queued" and attempt["run_id"] is None
    job = client.get(f"/api/v1/jobs/{attempt['job_id']}", headers=auth("scheduler")).json()
    assert job["state"] == "failed" and "RuntimeError: engine refused" in job["error"]
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(PtlEntry)) == 20


def test_on_demand_run_of_some_specialties_with_published_rules(client, auth, engine):
    upload(client, auth, demo_csv(300, seed=14))
    with session_scope(engine) as session:
        codes = sorted(set(session.scalars(select(PtlEntry.treatment_function_code))))
        version = add_published(
            session,
            codes[0],
            specialty_document(codes[0], decile_1=14.0),
            effective_from=datetime.now(UTC) - timedelta(hours=1),
            published_at=datetime.now(UTC) - timedelta(hours=1),
        )
        version_id = version.id
        run = run_ranking(
            session,
            "RZZ",
            actor="dr.who",
            trigger="manual",
            census_date=CENSUS,
            specialties=codes[:2],
            imd_edition="iod2019",
        )
        run_id = run.id
    run = runs(engine)[-1]
    assert run.id == run_id and run.trigger == "manual" and run.upload_batch_id is None
    assert run.specialties == codes[:2]
    assert run.rule_versions == {"default": None, codes[0]: version_id}
    rows = results(engine, run_id)
    assert {r.treatment_function_code for r in rows} == set(codes[:2])
    assert {r.rule_version_id for r in rows if r.treatment_function_code == codes[0]} == {
        version_id
    }
    assert {r.rule_set_key for r in rows if r.treatment_function_code == codes[1]} == {"default"}
    with session_scope(engine) as session:
        assert latest_run(session, "RZZ").id == run_id
        assert latest_run(session, "RZZ", specialty=codes[2]).id == runs(engine)[0].id


def test_nothing_open_to_rank_is_refused(engine):
    with session_scope(engine) as session, pytest.raises(NotFound, match="no open PTL entries"):
        run_ranking(
            session, "RXX", actor="x", trigger="manual", census_date=CENSUS, imd_edition="iod2019"
        )


def test_back_dated_census_reads_the_end_of_that_day():
    now = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    assert census_moment(date(2026, 11, 23), now) == now
    assert census_moment(date(2026, 11, 20), now) == datetime(
        2026, 11, 20, 23, 59, 59, 999999, tzinfo=UTC
    )


def test_stored_snapshots_cannot_be_changed(client, auth, engine):
    upload(client, auth, demo_csv(20, seed=15))
    run_id = runs(engine)[0].id
    for statement in (
        "UPDATE ranking_results SET rank = 99",
        "DELETE FROM ranking_results",
        f"UPDATE ranking_runs SET entry_count = 1 WHERE id = {run_id}",
    ):
        with pytest.raises(DBAPIError), engine.begin() as connection:
            connection.execute(text(statement))
    assert len(results(engine, run_id)) == 20
    with session_scope(engine) as session:
        assert session.get(RankingRun, run_id).entry_count == 20


def test_a_run_takes_its_last_chance_capacity_from_recent_clock_stops(client, auth, engine):
    """Closures over the last 13 weeks are each list's weekly bookings per priority; the run
    stores them and ranks with them, exactly as ``rank_ptl`` does given the same capacity."""
    from app.rankings.runs import weekly_capacity
    from app.rules.in_force import rules_in_force
    from prioritisation import rank_ptl
    from tests.app.rankings.helpers import to_csv

    content = demo_csv(600, seed=23)
    upload(client, auth, content)
    assert runs(engine)[-1].capacity is None  # no history yet: no last-chance range
    with engine.begin() as connection:  # the list has been uploaded for four months
        connection.execute(
            text("UPDATE ptl_entries SET created_at = :at"),
            {"at": datetime.now(UTC) - timedelta(days=120)},
        )
    records = csv_records(content)
    kept, removed = records[:450], records[450:]
    # One list whose P3 band had closures gets exactly one open P3 entry, 87 days into its
    # 90-day target: first in its band, so within next week's bookings, and 3 days from
    # passing the target: the last-chance range.
    key = next(
        (r["treatment_function_code"], r["pathway_stage"])
        for r in removed
        if r["priority_code"] == "P3"
        and any(
            (k["treatment_function_code"], k["pathway_stage"])
            == (r["treatment_function_code"], r["pathway_stage"])
            for k in kept
        )
    )
    in_list = [k for k in kept if (k["treatment_function_code"], k["pathway_stage"]) == key]
    for other in in_list:
        if other["priority_code"] == "P3":
            other["priority_code"] = "P4"
    chosen = in_list[0]
    chosen["priority_code"] = "P3"
    chosen["rtt_clock_start"] = (CENSUS - timedelta(days=87)).isoformat()
    chosen["priority_set_date"] = chosen["rtt_clock_start"]
    upload(client, auth, to_csv(kept))
    run = runs(engine)[-1]
    with session_scope(engine) as session:
        closed = session.execute(
            select(
                PtlEntry.treatment_function_code,
                PtlEntry.pathway_stage,
                PtlEntry.priority_code,
                func.count(),
            )
            .where(PtlEntry.is_open.is_(False))
            .group_by(
                PtlEntry.treatment_function_code, PtlEntry.pathway_stage, PtlEntry.priority_code
            )
        ).all()
        counts: dict[str, dict[str, int]] = {}
        open_lists = {(r.treatment_function_code, r.pathway_stage) for r in results(engine, run.id)}
        for tfc, stage, priority, count in closed:
            if (tfc, stage) in open_lists:  # a blank priority was ranked as P4
                bands = counts.setdefault(f"{tfc}/{stage}", {})
                bands[priority or "P4"] = bands.get(priority or "P4", 0) + count
        expected = {  # 13 weeks = 91 days of closures
            key: {code: round(n * 7 / 91, 3) for code, n in bands.items()}
            for key, bands in counts.items()
        }
        assert closed and run.capacity == expected

        loaded = load_open_ptl(session, "RZZ", imd_edition="iod2019")
        rulebook = rules_in_force(session, run.rules_at).rulebook
    engine_result = rank_ptl(
        loaded.arrays, rulebook, run.census_date, capacity=weekly_capacity("RZZ", expected)
    )
    reasons = dict(zip(loaded.arrays.pathway_id, engine_result.protection_reason, strict=True))
    stored = {r.pathway_id: r.protection_reason for r in results(engine, run.id)}
    assert stored == {p: str(reasons[p]) for p in stored}
    assert stored[chosen["pathway_id"]] == "last_chance"
    without = rank_ptl(loaded.arrays, rulebook, run.census_date)
    assert "last_chance" not in set(without.protection_reason)  # capacity made the difference

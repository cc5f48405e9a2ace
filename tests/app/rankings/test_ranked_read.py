"""The ranked read path's prebuilt statements answer exactly what the filters ask for."""

from __future__ import annotations

import itertools

from sqlalchemy import func, select

from app.database import session_scope
from app.rankings import RankedFilters, latest_served, ranked_page, specialty_names
from models import RankingResult, TreatmentFunction
from tests.api.ptl_files import demo_csv
from tests.app.rankings.helpers import upload


def _expected(session, served, filters, after):
    """The same rows by the plainest query: every stored row of the served lists, filtered
    and ordered in Python."""
    r = RankingResult
    keep = []
    for segment in served.segments(filters.specialty, filters.stage):
        rows = session.execute(
            select(r.pathway_id, r.treatment_function_code, r.pathway_stage, r.list_position)
            .where(
                r.run_id == segment.run_id,
                r.treatment_function_code == segment.specialty,
                r.pathway_stage == segment.stage,
            )
            .order_by(r.list_position)
        ).all()
        full = session.scalars(
            select(r)
            .where(r.run_id == segment.run_id)
            .where(r.pathway_id.in_([x[0] for x in rows]))
        ).all()
        by_id = {x.pathway_id: x for x in full}
        for pathway_id, tfc, stage, position in rows:
            row = by_id[pathway_id]
            if after is not None and (tfc, stage, position) <= after:
                continue
            if filters.priority is not None and row.priority_code != filters.priority:
                continue
            if filters.site is not None and row.site_code != filters.site:
                continue
            if filters.pathway_id is not None and row.pathway_id != filters.pathway_id:
                continue
            if row.parked and not filters.include_parked:
                continue
            keep.append(pathway_id)
    return keep


def test_every_combination_of_filters_reads_what_it_asks_for(client, auth, engine):
    upload(client, auth, demo_csv(300, seed=53))
    with session_scope(engine) as session:
        served = latest_served(session, "RZZ")
        r = RankingResult
        specialty, stage = session.execute(  # the longest list
            select(r.treatment_function_code, r.pathway_stage)
            .group_by(r.treatment_function_code, r.pathway_stage)
            .order_by(func.count().desc(), r.treatment_function_code, r.pathway_stage)
            .limit(1)
        ).one()
        sample = session.scalars(
            select(RankingResult).where(
                RankingResult.treatment_function_code == specialty,
                RankingResult.pathway_stage == stage,
                RankingResult.site_code.is_not(None),
            )
        ).first()
        assert sample is not None
        checked = 0
        for priority, site, pathway, parked, resume in itertools.product([False, True], repeat=5):
            filters = RankedFilters(
                specialty,
                stage,
                sample.priority_code if priority else None,
                sample.site_code if site else None,
                parked,
                sample.pathway_id if pathway else None,
            )
            after = (specialty, stage, 2) if resume else None
            rows, _ = ranked_page(session, served, filters, after=after, limit=1000)
            assert [row.pathway_id for row in rows] == _expected(session, served, filters, after)
            checked += bool(rows)
        assert checked > 8  # most combinations found rows, so the comparison meant something
        whole, _ = ranked_page(session, served, RankedFilters(), after=None, limit=1000)
        assert [row.pathway_id for row in whole] == _expected(
            session, served, RankedFilters(), None
        )


def test_specialty_names_of_some_codes_only(client, auth, engine):
    with session_scope(engine) as session:
        every = specialty_names(session)
        assert len(every) == session.query(TreatmentFunction).count() > 2
        two = sorted(every)[:2]
        assert specialty_names(session, iter([*two, two[0]])) == {c: every[c] for c in two}
        assert specialty_names(session, []) == {}
        assert specialty_names(session, ["ZZZ"]) == {}

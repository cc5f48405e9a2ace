"""Loading a provider's open PTL from the database into the core's arrays."""

from __future__ import annotations

import numpy as np
from sqlalchemy import select, update

from app.database import session_scope
from app.ptl_arrays import inputs_hash, load_open_ptl
from app.reference_store import load_imd_lookup
from models import EthnicCategory, PtlEntry
from prioritisation import load_default_rules, rank_ptl
from tests.api.ptl_files import CENSUS, demo_csv, without_rows

UPLOADS = "/api/v1/ptl/uploads"


def _upload(client, auth, content):
    response = client.post(
        UPLOADS, files={"file": ("ptl.csv", content, "text/csv")}, headers=auth("scheduler")
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_loads_every_open_entry_with_reference_columns(client, auth, engine):
    _upload(client, auth, demo_csv(200, seed=5))
    _upload(client, auth, demo_csv(40, seed=6, provider="RYY"))
    with session_scope(engine) as session:
        loaded = load_open_ptl(session, "RZZ", imd_edition="iod2019")
        stored = {e.pathway_id: e for e in session.scalars(select(PtlEntry))}
        groups = {
            code: group
            for code, group in session.execute(
                select(EthnicCategory.code, EthnicCategory.broad_group)
            )
        }
        lookup = load_imd_lookup(session, "iod2019")
    arrays = loaded.arrays
    assert len(loaded) == len(arrays) == 200
    assert set(arrays.provider_code.tolist()) == {"RZZ"}
    assert loaded.entry_ids.dtype == np.int64
    for i in range(200):
        entry = stored[str(arrays.pathway_id[i])]
        assert int(loaded.entry_ids[i]) == entry.id
        assert str(arrays.rtt_clock_start[i]) == entry.rtt_clock_start.isoformat()
        assert int(arrays.imd_decile[i]) == (entry.imd_decile or 0)
        assert str(arrays.ethnic_group[i]) == groups.get(entry.ethnic_category, "")
        assert sorted(arrays.inclusion_groups.row_codes(i)) == sorted(
            c for c in entry.inclusion_groups.split(";") if c
        )
        assert str(loaded.clinical_areas[i]) == entry.clinical_areas
        assert str(loaded.site_code[i]) == (entry.site_code or "")
        assert str(loaded.imd_source[i]) == entry.imd_source
        expected_psd = entry.priority_set_date.isoformat() if entry.priority_set_date else "NaT"
        assert str(loaded.priority_set_date[i]) == expected_psd
    barriers, found = lookup.lookup_domain(loaded.lsoa_code, "barriers")
    assert found.any()
    assert np.array_equal(arrays.imd_domain_deciles["barriers"], barriers)
    assert set(arrays.imd_domain_deciles) == {
        "income", "employment", "education", "health", "crime", "barriers", "living_environment"
    }  # fmt: skip
    result = rank_ptl(arrays, load_default_rules(), CENSUS)
    assert len(result) == 200


def test_closed_entries_and_other_specialties_are_left_out(client, auth, engine):
    content = demo_csv(120, seed=8)
    _upload(client, auth, content)
    _upload(client, auth, without_rows(content, 20))
    with session_scope(engine) as session:
        loaded = load_open_ptl(session, "RZZ", imd_edition="iod2019")
        codes = sorted(set(loaded.arrays.treatment_function_code.tolist()))
        some = load_open_ptl(session, "RZZ", specialties=codes[:2], imd_edition="iod2019")
        nothing = load_open_ptl(session, "RXX", imd_edition="iod2019")
    assert len(loaded) == 100
    assert set(some.arrays.treatment_function_code.tolist()) == set(codes[:2])
    assert len(some) == int(np.isin(loaded.arrays.treatment_function_code, codes[:2]).sum())
    assert len(nothing) == 0
    assert len(inputs_hash(nothing)) == 64


def test_inputs_hash_is_deterministic_and_sees_every_scoring_input(client, auth, engine):
    _upload(client, auth, demo_csv(150, seed=9))
    with session_scope(engine) as session:
        first = load_open_ptl(session, "RZZ", imd_edition="iod2019")
        again = load_open_ptl(session, "RZZ", imd_edition="iod2019")
    shuffled = first.arrays.take(np.random.default_rng(1).permutation(len(first)))
    reordered = type(first)(
        arrays=shuffled,
        entry_ids=first.entry_ids,
        site_code=first.site_code,
        imd_source=first.imd_source,
        imd_edition=first.imd_edition,
        inclusion_groups=first.inclusion_groups,
        clinical_areas=first.clinical_areas,
        priority_set_date=first.priority_set_date,
        lsoa_code=first.lsoa_code,
    )
    assert inputs_hash(first) == inputs_hash(again) == inputs_hash(reordered)
    target = str(first.arrays.pathway_id[0])
    new_decile = 1 if int(first.arrays.imd_decile[0]) != 1 else 2
    with session_scope(engine) as session:
        session.execute(
            update(PtlEntry).where(PtlEntry.pathway_id == target).values(imd_decile=new_decile)
        )
        decile_changed = load_open_ptl(session, "RZZ", imd_edition="iod2019")
        session.execute(
            update(PtlEntry).where(PtlEntry.pathway_id == target).values(inclusion_groups="carer")
        )
        flags_changed = load_open_ptl(session, "RZZ", imd_edition="iod2019")
    hashes = {inputs_hash(first), inputs_hash(decile_changed), inputs_hash(flags_changed)}
    assert len(hashes) == 3


def test_key_order_reads_the_entries_by_pathway_id_and_loses_none(client, auth, engine):
    _upload(client, auth, demo_csv(150, seed=12))
    with session_scope(engine) as session:
        anyhow = load_open_ptl(session, "RZZ", imd_edition="iod2019")
        keyed = load_open_ptl(session, "RZZ", imd_edition="iod2019", key_order=True)
    ids = keyed.arrays.pathway_id.tolist()
    assert ids == sorted(ids)  # demo pathway ids are ASCII: every collation agrees
    assert sorted(anyhow.arrays.pathway_id.tolist()) == ids
    assert inputs_hash(keyed) == inputs_hash(anyhow)  # the same entries, whatever the order

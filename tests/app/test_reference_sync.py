"""A trust's reference lists (EQUIWAIT_REFERENCE_DATA_DIR) replace or extend the packaged ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from app.database import session_scope
from app.ingest.reference import ReferenceDataError
from app.reference_data.lists import read_reference_lists
from app.reference_store import load_reference_codes
from app.reference_sync import sync_reference_data
from models import ClinicalArea, InclusionGroup, PriorityCode
from tests.api.ptl_files import demo_csv

GROUPS_HEADER = "code,name,category\n"


def _codes(engine, table) -> set[str]:
    with session_scope(engine) as session:
        return set(session.scalars(select(table.code)))


def _sync(engine, folder: Path | None) -> dict[str, int]:
    with session_scope(engine) as session:
        return sync_reference_data(session, folder)


def test_an_extra_file_adds_codes_the_upload_then_accepts(engine, tmp_path, client, auth):
    (tmp_path / "clinical_areas.extra.csv").write_text(
        "code,name,population\noral_cancer,Oral cancer (local),adult\n"
        "maternity,Maternity and neonatal,adult\n"
    )
    packaged = _codes(engine, ClinicalArea)
    counts = _sync(engine, tmp_path)
    assert _codes(engine, ClinicalArea) == packaged | {"oral_cancer"}
    assert counts["clinical_areas"] == len(packaged) + 1
    with session_scope(engine) as session:
        assert session.get_one(ClinicalArea, "maternity").name == "Maternity and neonatal"
        assert "oral_cancer" in load_reference_codes(session).clinical_areas
    lines = demo_csv(5).decode().splitlines()
    header = lines[0].split(",")
    cell = header.index("clinical_areas")
    rows = [line.split(",") for line in lines[1:]]
    rows[0][cell] = "ORAL_CANCER;smi"
    content = "\n".join(",".join(r) for r in [header, *rows]).encode()
    response = client.post(
        "/api/v1/ptl/uploads",
        files={"file": ("p.csv", content, "text/csv")},
        headers=auth("scheduler"),
    )
    assert response.status_code == 201, response.text
    assert _sync(engine, tmp_path)["clinical_areas"] == len(packaged) + 1  # idempotent


def test_a_replacement_file_is_the_whole_list(engine, tmp_path):
    (tmp_path / "inclusion_groups.csv").write_text(
        GROUPS_HEADER + "carer,Unpaid carers,plus\nlocal_group,A local group,plus\n"
    )
    _sync(engine, tmp_path)
    assert _codes(engine, InclusionGroup) == {"carer", "local_group"}
    _sync(engine, None)  # back to the packaged list: nothing uses local_group
    assert "local_group" not in _codes(engine, InclusionGroup)
    assert "homeless" in _codes(engine, InclusionGroup)


def test_a_code_in_use_is_never_dropped(engine, tmp_path, client, auth):
    (tmp_path / "clinical_areas.extra.csv").write_text(
        "code,name,population\noral_cancer,Oral cancer (local),adult\n"
    )
    _sync(engine, tmp_path)
    response = client.post(
        "/api/v1/ptl/entries",
        json={"entries": [_record(clinical_areas="oral_cancer", inclusion_groups="homeless")]},
        headers=auth("scheduler"),
    )
    assert response.status_code == 201, response.text
    before = (_codes(engine, ClinicalArea), _codes(engine, InclusionGroup))
    with pytest.raises(ReferenceDataError) as raised:
        _sync(engine, None)
    message = str(raised.value)
    assert "clinical area 'oral_cancer' (clinical_areas.csv) is used by 1 stored PTL" in message
    assert "EQUIWAIT_REFERENCE_DATA_DIR" in message and "nothing was changed" in message
    (tmp_path / "inclusion_groups.csv").write_text(GROUPS_HEADER + "carer,Unpaid carers,plus\n")
    with pytest.raises(ReferenceDataError, match="inclusion group 'homeless'"):
        _sync(engine, tmp_path)
    assert (_codes(engine, ClinicalArea), _codes(engine, InclusionGroup)) == before


def test_every_problem_in_the_files_is_reported_together(tmp_path):
    (tmp_path / "clinical_area.csv").write_text("code,name,population\nx,y,adult\n")
    (tmp_path / "inclusion_groups.csv").write_text("code,name\nx,y\n")
    (tmp_path / "priority_codes.extra.csv").write_text(
        "code,description,target_days,sort_order,parked\n"
        "P7,Seven,seven,8,maybe\n"
        ",Blank,1,9,false\n"
        "P 8,Spaced,1,9,false\n"
        "P1a,Repeat,1,1,false\n"
        "P1a,Again,1,1,false\n"
        "p2,Case clash,28,3,false\n"
    )
    (tmp_path / "treatment_functions.extra.csv").write_text("code,name\n1000,Too long\n")
    with pytest.raises(ReferenceDataError) as raised:
        read_reference_lists(tmp_path)
    message = str(raised.value)
    for expected in [
        "clinical_area.csv: not a reference list file",
        "inclusion_groups.csv: missing column(s) category",
        "priority_codes.extra.csv line 2: target_days 'seven' must be a whole number or empty",
        "priority_codes.extra.csv line 2: parked 'maybe' must be true or false",
        "priority_codes.extra.csv line 3: code '' is not a code",
        "priority_codes.extra.csv line 4: code 'P 8' is not a code",
        "priority_codes.extra.csv line 6: code 'P1a' repeats line 5",
        "priority code codes 'P2' and 'p2' differ only in case",
        "treatment_functions.extra.csv line 2: code '1000' is longer than 3 characters",
    ]:
        assert expected in message, expected


def test_an_unchanged_packaged_list_keeps_its_table(engine):
    before = _codes(engine, PriorityCode)
    _sync(engine, None)
    assert _codes(engine, PriorityCode) == before


def _record(**changes: str) -> dict[str, str]:
    import csv
    import io

    [row] = list(csv.DictReader(io.StringIO(demo_csv(1).decode())))
    return {**{k: v for k, v in row.items() if v}, **changes}

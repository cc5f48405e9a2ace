"""Reference code lists read from the shipped CSVs (the database layer builds the same object)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.ingest.reference import REFERENCE_DIR, ReferenceCodes, ReferenceDataError


def test_shipped_lists_load() -> None:
    codes = ReferenceCodes.from_reference_files()
    assert {"100", "110", "130", "502"} <= codes.treatment_function_codes
    assert codes.priority_codes == {"P1a", "P1b", "P2", "P3", "P4", "P5", "P6"}
    assert {"A", "S", "Z", "99"} <= codes.ethnic_categories and "I" not in codes.ethnic_categories
    assert {"learning_disability", "homeless", "carer"} <= codes.inclusion_groups
    assert {"maternity", "smi", "diabetes"} <= codes.clinical_areas


def _copy(tmp_path: Path) -> Path:
    for name in REFERENCE_DIR.glob("*.csv"):
        shutil.copy(name, tmp_path / name.name)
    return tmp_path


def test_a_local_code_added_to_a_file_is_accepted(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    with (folder / "clinical_areas.csv").open("a") as handle:
        handle.write("oral_cancer,Oral cancer (local),adult\n")
    assert "oral_cancer" in ReferenceCodes.from_reference_files(folder).clinical_areas


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("name,description\nx,y\n", "no 'code' column"),
        ("code,name\nP1a,a\n,b\n", "line 3: blank code"),
        ("code,name\nP1a,a\nP1a,b\n", "appears more than once"),
    ],
)
def test_broken_files_are_refused(tmp_path: Path, content: str, message: str) -> None:
    folder = _copy(tmp_path)
    (folder / "priority_codes.csv").write_text(content)
    with pytest.raises(ReferenceDataError, match=message):
        ReferenceCodes.from_reference_files(folder)

"""docs/ptl-format.md stays true: its example loads, its tables list every alias and warning."""

from __future__ import annotations

import re
from pathlib import Path

from app.ingest import CANONICAL_COLUMNS, REQUIRED_COLUMNS, WLMDS_ALIASES, WarningCode

from .conftest import Validate

DOC = (Path(__file__).resolve().parents[3] / "docs" / "ptl-format.md").read_text()


def test_example_file_loads_as_described(validate: Validate) -> None:
    example = re.search(r"```csv\n(.*?)```", DOC, re.S)
    assert example is not None
    outcome = validate(example.group(1).encode())
    assert outcome.ok, outcome.errors
    ptl = outcome.validated
    assert ptl is not None
    assert ptl.imd_decile.tolist() == [9, 4, 1]
    assert ptl.imd_source.tolist() == ["lookup", "supplied", "lookup"]
    assert ptl.pathway_stage.tolist()[2] == "admitted"
    assert ptl.inclusion_groups.tolist()[2] == "carer;interpreter_needed"
    assert [w.code for w in ptl.warnings] == [WarningCode.ETHNICITY_BLANK]


def test_every_column_is_documented_with_its_required_flag() -> None:
    for column in CANONICAL_COLUMNS:
        required = "yes" if column in REQUIRED_COLUMNS else "no"
        assert f"| `{column}` | {required} |" in DOC


def test_every_alias_is_documented() -> None:
    for alias, column in WLMDS_ALIASES.items():
        assert f"`{alias}`" in DOC
        assert re.search(rf"\| [^|]*`{alias}`[^|]*\| `{column}`", DOC), alias


def test_every_warning_code_is_documented() -> None:
    for code in WarningCode:
        assert f"| `{code.value}` |" in DOC

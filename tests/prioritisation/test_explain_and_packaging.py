"""Sentence helpers, the package's import boundary and the benchmark script."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import prioritisation
from prioritisation.explain import format_days, ordinal, protection_phrase

PACKAGE = Path(prioritisation.__file__).parent


@pytest.mark.parametrize(
    ("number", "text"),
    [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"), (13, "13th"),
     (21, "21st"), (112, "112th"), (4318, "4,318th"), (1001, "1,001st")],
)  # fmt: skip
def test_ordinal(number: int, text: str) -> None:
    assert ordinal(number) == text


def test_format_days() -> None:
    assert format_days(2100) == "21 days"
    assert format_days(1423) == "14.23 days"
    assert format_days(1450) == "14.5 days"
    assert format_days(100) == "1 day"
    assert format_days(-700) == "7 days"


def test_protection_phrases() -> None:
    assert protection_phrase("past_52_weeks") == "past 52 weeks"
    assert protection_phrase("within_65_week_margin") == "close to 65 weeks"
    assert protection_phrase("within_priority_target_margin") == (
        "close to the target for its priority"
    )
    assert protection_phrase("last_chance").startswith("within next week's bookings")


def test_package_imports_only_stdlib_numpy_and_pydantic() -> None:
    allowed = {"numpy", "pydantic", "prioritisation", "__future__"}
    stdlib = set(sys.stdlib_module_names)
    paths = sorted(PACKAGE.rglob("*.py"))
    assert PACKAGE / "simulation" / "model.py" in paths, "subpackages are covered"
    for path in paths:
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top in allowed or top in stdlib, f"{path} imports {name}"


def test_modules_stay_small() -> None:
    for path in PACKAGE.rglob("*.py"):
        assert len(path.read_text("utf-8").splitlines()) < 420, path


def test_public_names_are_exported() -> None:
    for name in (
        "rank_ptl",
        "PtlArrays",
        "RankingResult",
        "RuleBook",
        "Overrides",
        "load_default_rules",
        "review_warnings",
        "validate_against_bounds",
    ):
        assert name in prioritisation.__all__ and hasattr(prioritisation, name)


def test_benchmark_script_runs_on_a_small_ptl(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bench import scoring_benchmark

    monkeypatch.setattr(
        sys,
        "argv",
        ["scoring_benchmark", "--rows", "3000", "--baseline-rows", "300", "--repeats", "1"],
    )
    scoring_benchmark.main()
    out = capsys.readouterr().out
    assert "rows: 3,000 in" in out and "rank_ptl:" in out
    assert "extrapolated linearly" in out and "speed-up over the baseline" in out

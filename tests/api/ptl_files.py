"""Small synthetic PTL files for API tests."""

from __future__ import annotations

import io
from datetime import date

from app.demo import build_bad_ptl, generate_ptl, write_bad_csv, write_ptl_csv

CENSUS = date.today()


def demo_csv(rows: int = 300, seed: int = 7, provider: str = "RZZ") -> bytes:
    buffer = io.StringIO()
    write_ptl_csv(buffer, generate_ptl(rows, seed=seed, census_date=CENSUS, provider_code=provider))
    return buffer.getvalue().encode()


def bad_csv() -> tuple[bytes, list[tuple[int, str]]]:
    buffer = io.StringIO()
    write_bad_csv(buffer, seed=3, census_date=CENSUS, provider_code="RZZ")
    expected = build_bad_ptl(seed=3, census_date=CENSUS, provider_code="RZZ").expected_errors
    return buffer.getvalue().encode(), sorted({(e.row, e.field) for e in expected})


def without_rows(content: bytes, drop: int) -> bytes:
    """The same CSV less its last ``drop`` data rows."""
    lines = content.decode().splitlines(keepends=True)
    return "".join(lines[: len(lines) - drop]).encode()

"""The chunked writer: same bytes whatever the chunking or target, progress, empty cells."""

from __future__ import annotations

import datetime
import io
from pathlib import Path

import numpy as np

from app.demo import CANONICAL_COLUMNS, generate_ptl, write_ptl_csv
from app.demo.writer import uk_date_rows

CENSUS = datetime.date(2026, 11, 23)


def _columns(rows: int = 1_000) -> dict[str, np.ndarray]:
    return generate_ptl(rows, census_date=CENSUS, seed=11)


def test_chunk_size_does_not_change_the_bytes() -> None:
    columns = _columns()
    whole, chunked = io.BytesIO(), io.BytesIO()
    write_ptl_csv(whole, columns)
    write_ptl_csv(chunked, columns, chunk_rows=37)
    assert whole.getvalue() == chunked.getvalue()


def test_paths_binary_and_text_streams_get_the_same_utf8_text(tmp_path: Path) -> None:
    columns = _columns(200)
    binary, text = io.BytesIO(), io.StringIO()
    assert write_ptl_csv(binary, columns) == 200
    write_ptl_csv(text, columns)
    write_ptl_csv(tmp_path / "ptl.csv", columns)
    assert not binary.closed  # the caller's stream is left open
    assert binary.getvalue() == text.getvalue().encode() == (tmp_path / "ptl.csv").read_bytes()
    lines = text.getvalue().split("\n")
    assert lines[0] == ",".join(CANONICAL_COLUMNS) and lines[-1] == "" and len(lines) == 202
    assert "\r" not in text.getvalue()


def test_progress_reports_rows_written_so_far() -> None:
    seen: list[int] = []
    write_ptl_csv(io.StringIO(), _columns(250), progress=seen.append, chunk_rows=100)
    assert seen == [100, 200, 250]


def test_empty_cells_and_uk_dates() -> None:
    columns = {
        "pathway_id": np.array(["A1", "A2", "A3"]),
        "imd_decile": np.array([0, 3, 10], dtype=np.int8),
        "rtt_clock_start": np.array(["2024-01-05", "NaT", "2023-12-31"], dtype="datetime64[D]"),
        "extra": np.array(["x", None, "z"], dtype=object),
    }
    text = io.StringIO()
    write_ptl_csv(text, columns, uk_date_share=1.0)
    assert text.getvalue() == (  # canonical columns first, in contract order, then extras
        "pathway_id,rtt_clock_start,imd_decile,extra\nA1,05/01/2024,,x\nA2,,3,\nA3,31/12/2023,10,z\n"
    )
    iso = io.StringIO()
    write_ptl_csv(iso, columns, uk_date_share=0.0)
    assert "A1,2024-01-05,,x" in iso.getvalue()


def test_uk_date_rows_are_scattered_and_chunk_independent() -> None:
    whole = uk_date_rows(0, 100_000)
    assert 0.045 < whole.mean() < 0.055
    assert (np.concatenate([uk_date_rows(0, 333), uk_date_rows(333, 100_000)]) == whole).all()
    assert not uk_date_rows(0, 1000, 0.0).any() and uk_date_rows(0, 1000, 1.0).all()

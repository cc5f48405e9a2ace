"""The equity impact assessment: one self-contained HTML document with the figures in it."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from app.simulations.report import render_assessment
from app.simulations.service import SimulationRun
from prioritisation import load_default_rules
from tests.prioritisation.test_simulation import CENSUS, ONE_A_WEEK, SIX, ptl, simulate


def _run() -> SimulationRun:
    result = simulate(
        ptl(**SIX), {"in_force": load_default_rules()}, census_date=CENSUS, weeks=6, **ONE_A_WEEK
    )
    return SimulationRun(
        provider_code="RZZ",
        specialties=["110"],
        generated_at=datetime(2026, 1, 5, 9, 30, tzinfo=UTC),
        sources={"conventional": "priority, then longest wait", "in_force": "rules <in force>"},
        result=result,
    )


def _cells(html: str) -> list[str]:
    return re.findall(r"<td[^>]*>([^<]*)</td>", html)


def test_a_complete_html_document_with_tables_and_inline_charts():
    html = render_assessment(_run())
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert "<title>Equity impact assessment: RZZ, 2026-01-05</title>" in html
    for heading in (
        "Summary",
        "Waits at treatment by IMD quintile",
        "Waits at treatment by ethnic group",
        "The deprivation gap and who waits longer",
        "Change against the conventional order",
        "Priority targets",
        "The list week by week",
        "Lists, capacity and referrals",
        "What the figures mean",
    ):
        assert f"<h2>{heading}</h2>" in html
    assert html.count("<table>") == 7
    assert html.count("<svg") == 4 and html.count("</svg>") == 4
    # Self-contained: nothing fetched (SVG namespaces are names, not downloads).
    assert not re.search(r"<(script|link|img|iframe)\b", html)
    assert not re.search(r"""(src|href)=["']https?:""", html)
    ids = re.findall(r' id="([^"]+)"', html)
    assert len(ids) == len(set(ids))  # several charts inline never share an id
    assert "rules &lt;in force&gt;" in html and "<in force>" not in html


def test_the_tables_carry_the_hand_computed_figures():
    html = render_assessment(_run())
    cells = _cells(html)
    # Summary rows: conventional median of all six waits 75 78 100 101 102 104 -> rank 3,
    # 100 days = 14.3 weeks; in force 68 85 87 95 111 114 -> 87 days = 12.4 weeks.
    summary = html.split("<h2>Summary</h2>")[1].split("</table>")[0]
    rows = [_cells(row) for row in summary.split("<tr>")[2:]]
    assert rows[0][:4] == ["conventional", "6", "14.3", "14.9"]
    assert rows[1][:4] == ["in_force", "6", "12.4", "16.3"]
    # Gap: conventional (101 - 100) / 7 = +0.1; in force (87 - 111) / 7 = -3.4 weeks.
    assert (rows[0][5], rows[1][5]) == ("+0.1", "-3.4")
    assert rows[1][-1] == "imd quintile 5: +1.6 wk"
    # By quintile: quintile 1 under the rules in force: 3 treated, median 12.4, p92 13.6.
    assert "1 (most deprived)" in cells
    quintile_1 = cells[cells.index("1 (most deprived)") + 1 :][:6]
    assert quintile_1 == ["3", "14.4", "14.6", "3", "12.4", "13.6"]


def test_the_gap_table_carries_the_mean_gap_and_delays():
    html = render_assessment(_run())
    section = html.split("<h2>The deprivation gap and who waits longer</h2>")[1].split("<h2>")[0]
    cells = _cells(section)
    # Conventional: Q1 waits 102, 101, 75 (mean 92.67), Q5 100, 104 (102): gap -9.33 days.
    # Default: Q1 95, 87, 68 (83.33), Q5 114, 111 (112.5): gap -29.17 days. The conventional
    # gap is not positive, so no share of it closed is shown. Medians: conventional Q1 101,
    # Q5 100 (+1 day); default Q1 87, Q5 111 (-24 days): 1 - (-24 / 1) = 25, i.e. 2500%
    # closed (reversed). A waits 2 weeks longer (100 -> 114).
    assert cells[:4] == ["conventional", "-1.3", "–", "–"]
    row = cells[cells.index("in_force") :]
    assert row[1:4] == ["-4.2", "–", "2500%"]
    assert "2.0" in row

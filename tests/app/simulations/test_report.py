"""The equity impact assessment: one self-contained HTML document with the figures in it."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np

from app.simulations.breakdowns import GroupBreakdowns
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
        "Waits at treatment by age band, sex and inclusion group",
        "Change against the conventional order",
        "Priority targets",
        "The list week by week",
        "Lists, capacity and referrals",
        "What the figures mean",
    ):
        assert f"<h2>{heading}</h2>" in html
    assert html.count("<table>") == 7  # no group breakdowns given; control and sign-off classed
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
    assert rows[0][:4] == ["Conventional order (priority, then longest wait)", "6", "14.3", "14.9"]
    assert rows[1][:4] == ["Rules in force", "6", "12.4", "16.3"]
    # Gap: conventional (101 - 100) / 7 = +0.1; in force (87 - 111) / 7 = -3.4 weeks.
    assert (rows[0][5], rows[1][5]) == ("+0.1", "-3.4")
    assert rows[1][-1] == "IMD quintile 5 (least deprived): +1.6 wk"
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
    assert cells[:4] == ["Conventional order (priority, then longest wait)", "-1.3", "–", "–"]
    row = cells[cells.index("Rules in force") :]
    assert row[1:4] == ["-4.2", "–", "2500%"]
    assert "2.0" in row


def _control_rows(html: str) -> dict[str, str]:
    block = html.split("<table class='control'>")[1].split("</table>")[0]
    return dict(re.findall(r"<th scope='row'>([^<]*)</th><td>([^<]*)</td>", block))


def test_the_document_control_block_names_exactly_what_was_assessed():
    run = replace(
        _run(),
        rule_versions={"default": None, "110": 12},
        extract_checksum="ab" * 32,
        candidate_versions={"draft": 14},
    )
    html = render_assessment(run, generated_by="Dr A Clinician", calibration=_calibration())
    assert "<h2>Document control</h2>" in html
    rows = _control_rows(html)
    assert rows["Provider"] == "RZZ" and rows["Specialty"] == "110"
    assert (
        rows["Rule versions in force"] == "110: version id 12; default: the shipped default rules"
    )
    assert rows["Draft compared"] == "Draft: version id 14"
    assert rows["Calibration"] == "calibration 3"
    assert rows["Extract checksum (SHA-256)"] == "ab" * 32
    assert rows["Generated by"] == "Dr A Clinician"
    assert rows["Generated at"] == "2026-01-05 09:30 UTC"


def test_a_decision_and_sign_off_section_closes_the_document():
    html = render_assessment(_run())
    section = html.split("<h2>Decision and sign-off</h2>")[1]
    assert "approve the rule change" in section and "do not approve" in section
    for role in ("Clinical lead", "Equity lead", "Clinical safety officer", "Chair, for the board"):
        assert f"<td class='l'>{role}</td><td></td><td></td><td></td>" in section
    assert "<th class='l'>Signature</th>" in section and "<th class='l'>Date</th>" in section


def test_people_read_labels_not_identifiers():
    html = render_assessment(_run())
    text = re.sub(r"<svg.*?</svg>", "", html, flags=re.DOTALL)
    cells = _cells(text)
    assert "in_force" not in cells and "not_stated" not in cells and "conventional" not in cells
    assert "Not stated" in cells and "Rules in force" in cells and "Unknown" in cells
    assert "<b>Rules in force</b>" in text


def test_charts_are_accessible_images_with_the_18_week_line_labelled_right():
    html = render_assessment(_run())
    svgs = re.findall(r"<svg\b[^>]*>.*?</svg>", html, flags=re.DOTALL)
    assert len(svgs) == 4
    for svg in svgs:
        opening = svg.split(">", 1)[0]
        assert 'role="img"' in opening
        labelled = re.search(r'aria-labelledby="([^"]+)"', opening)
        described = re.search(r'aria-describedby="([^"]+)"', opening)
        assert labelled and described
        assert f'<title id="{labelled.group(1)}">' in svg
        assert f'<desc id="{described.group(1)}">' in svg
    weekly = next(s for s in svgs if 'id="weekly-title"' in s)
    assert "the most the 92% standard allows" in weekly
    assert "(dashed: the 92% standard)" not in html  # the old, wrong caption
    bars = next(s for s in svgs if 'id="bars-imd_quintile-title"' in s)
    assert "dashed line: 18 weeks" in bars


def test_the_gap_chart_legend_sits_clear_of_the_bars():
    from matplotlib.figure import Figure

    from app.simulations import charts

    captured: list[Figure] = []
    original = charts._svg

    def keep(figure, *args):  # type: ignore[no-untyped-def]
        captured.append(figure)
        return original(figure, *args)

    charts._svg = keep  # type: ignore[assignment]
    try:
        charts.gap_bars(_run().result.rule_sets)
    finally:
        charts._svg = original  # type: ignore[assignment]
    [figure] = captured
    axes = figure.axes[0]
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    legend = axes.get_legend().get_window_extent(renderer)
    for patch in axes.patches:
        assert not legend.overlaps(patch.get_window_extent(renderer))
    assert legend.x0 >= axes.get_window_extent(renderer).x1  # outside the plot area


def test_print_css_and_no_repository_paths():
    html = render_assessment(_run())
    style = html.split("<style>")[1].split("</style>")[0]
    assert "@media print" in style and "break-inside:avoid" in style
    text = re.sub(r"<svg.*?</svg>", "", html, flags=re.DOTALL)
    assert not re.search(r"\b(docs|app|prioritisation|bench|tests)/[\w/.-]+", text)
    assert ".md" not in text and ".py" not in text


def _calibration() -> dict[str, object]:
    point = {
        "multiplier": 1.5, "share_closed": 0.93, "share_closed_min": 0.9,
        "share_closed_max": 0.96, "extra_p2_p3_breaches": -9.7, "extra_p2_p3_breaches_sd": 5.5,
        "extra_long_waiters": -0.3, "extra_long_waiters_sd": 1.5,
        "largest_quintile_median_rise_weeks": 1.6, "within_limits": True,
        "reaches_target": True, "limits_broken": [],
    }  # fmt: skip
    broken = ["the gap reverses by 24.0% in a seed"]
    over = {**point, "multiplier": 2.0, "share_closed": 1.21, "share_closed_max": 1.24,
            "within_limits": False, "limits_broken": broken}  # fmt: skip
    return {
        "id": 3,
        "result": {"target_share": 0.9, "seeds": [1, 2, 3], "frontier": [point, over],
                   "chosen_multiplier": 1.5, "unreachable": None},
    }  # fmt: skip


def test_the_calibration_frontier_is_shown_when_there_is_one():
    assert "every multiplier tried" not in render_assessment(_run())
    html = render_assessment(_run(), calibration=_calibration())
    section = html.split("<h2>Calibration 3: every multiplier tried</h2>")[1].split("<h2>")[0]
    assert "Chosen: 1.5 times the rules in force." in section
    cells = _cells(section)
    assert cells[:4] == ["1.5", "93%", "90%–96%", "-9.7 ± 5.5"]
    assert "the gap reverses by 24.0% in a seed" in cells and "no" in cells


def test_waits_by_age_band_sex_and_inclusion_group():
    run = _run()
    n = run.result.starting_entries
    everyone = np.ones(n, dtype=np.bool_)
    first_three = np.arange(n) < 3
    # Census waits chosen so that, with each entry's week of treatment under the conventional
    # order, the six waits at treatment are 75, 78, 100, 101, 102 and 104 days.
    conventional = run.result.treated_week["conventional"]
    waits_at_census = np.array([75, 78, 100, 101, 102, 104])
    order = np.argsort(np.argsort(conventional * 1000 + np.arange(n)))
    start = np.zeros(n, dtype=np.int64)
    start[:] = waits_at_census[order] - 7 * conventional
    groups = GroupBreakdowns(
        start_wait_days=np.maximum(start, 0),
        dimensions={
            "Age band": [("18-39", first_three), ("40-64", ~first_three)],
            "Sex": [("Female", everyone), ("Male", ~everyone)],
            "Inclusion group": [("None recorded", everyone)],
        },
    )
    html = render_assessment(replace(run, breakdowns=groups))
    section = html.split("<h2>Waits at treatment by age band, sex and inclusion group</h2>")[1]
    cells = _cells(section.split("</table>")[0])
    assert cells[:2] == ["Age band", "18-39"]
    assert "Male" not in cells  # an empty group is left out
    female = cells[cells.index("Female") + 1 :][:2]
    assert female[0] == "6"  # all six treated under the conventional order
    # Everyone's median equals the summary's: 100 days = 14.3 weeks.
    assert female[1] == "14.3"
    assert "Patients on the list at the start" in section


def test_ages_are_whole_years_on_the_census_date():
    from datetime import date

    from app.simulations.breakdowns import _ages

    dob = np.array(["2000-01-06", "2000-01-05", "1960-02-29", "NaT"], dtype="datetime64[D]")
    assert _ages(dob, date(2026, 1, 5)).tolist() == [25, 26, 65, -1]

"""The equity impact assessment: one self-contained HTML document (tables and inline SVG).

Why one file with nothing external: it is downloaded, attached to a rule change and read
offline by clinicians, equity leads and governance boards, possibly years later. Every value
is escaped; every metric is defined in docs/simulation.md and summarised at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from html import escape
from typing import Any

import numpy as np
from numpy.typing import NDArray

from app.simulations.charts import gap_bars, grouped_bars, weekly_lines
from app.simulations.labels import group_label, rule_set_label
from app.simulations.service import SimulationRun
from prioritisation.metrics import DAYS_PER_WEEK, WaitStats, nearest_rank
from prioritisation.simulation import ETHNIC_GROUP_LABELS, IMD_QUINTILE_LABELS, RuleSetOutcome

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Arial,sans-serif;margin:2rem auto;
max-width:1100px;color:#1b1b1b;line-height:1.4;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;
border-bottom:2px solid #005eb8;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.85rem}
th,td{border:1px solid #c8c8c8;padding:.25rem .45rem;text-align:right}
th{background:#eef3f8}td.l,th.l{text-align:left}
.note{color:#4c4c4c;font-size:.85rem}.figure{margin:.6rem 0}
dl{font-size:.85rem}dt{font-weight:600;margin-top:.4rem}dd{margin-left:1rem}
table.control th{text-align:left;width:14rem}table.control td{text-align:left}
table.signoff td{height:2.6rem;min-width:9rem}
@media print{body{max-width:none;margin:0;padding:0;font-size:10pt}
h2{break-after:avoid;page-break-after:avoid}
table,.figure,svg{break-inside:avoid;page-break-inside:avoid}
svg{max-width:100%;height:auto}.signoff-section{break-before:page;page-break-before:always}
a{color:inherit;text-decoration:none}}
"""


def _num(value: float | int | None, places: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{places}f}"


def _signed(value: float | None) -> str:
    return "–" if value is None else f"{value:+.1f}"


def _table(
    headers: Sequence[str], rows: Iterable[Sequence[str]], left: int = 1, caption: str = ""
) -> str:
    def cell(tag: str, i: int, text: str) -> str:
        css = ' class="l"' if i < left else ""
        return f"<{tag}{css}>{escape(text)}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>" for row in rows
    )
    title = f"<caption class='note'>{escape(caption)}</caption>" if caption else ""
    return f"<table>{title}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _summary(outcomes: Sequence[RuleSetOutcome]) -> str:
    headers = [
        "rule set", "treated", "median wait (wk)", "p92 wait (wk)", "treated ≤18 wk %",
        "Q1−Q5 median gap (wk)", "Q1−Q5 p92 gap (wk)", "Q1−Q5 >18 wk gap (points)",
        "list at end", "list ≤18 wk %", ">52 wk", ">65 wk", ">78 wk",
        "over target: treated", "over target: waiting", "largest increase vs conventional",
    ]  # fmt: skip
    rows = []
    for o in outcomes:
        worst = o.largest_increase
        increase = (
            "–"
            if worst is None
            else f"{group_label(worst.dimension)} {group_label(worst.group)}: "
            f"{_signed(worst.median_change_weeks)} wk"
        )
        gap = o.deprivation_gap
        rows.append([
            rule_set_label(o.name), _num(o.treated.count), _num(o.treated.median_weeks),
            _num(o.treated.p92_weeks), _num(o.treated_within_18_weeks_pct),
            _signed(gap.median_weeks), _signed(gap.p92_weeks),
            _signed(gap.pct_over_18_weeks_points), _num(o.end.waiting),
            _num(o.end.within_18_weeks_pct), _num(o.end.over_52_weeks),
            _num(o.end.over_65_weeks), _num(o.end.over_78_weeks),
            _num(o.treated_over_target), _num(o.waiting_over_target), increase,
        ])  # fmt: skip
    return _table(headers, rows)


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{100 * share:.0f}%"


def _gaps(outcomes: Sequence[RuleSetOutcome]) -> str:
    """The Q1-Q5 gap in mean wait at treatment, overall and per band, the share of the
    conventional gap closed, and the delay imposed on patients already past target."""
    codes = [b.priority_code for b in outcomes[0].gap_by_priority]
    headers = ["rule set", "gap, mean (wk)", "closed (mean)", "closed (median)"]
    headers += [f"{code} gap (wk) / closed" for code in codes]
    headers += [
        "most delayed (wk)", "most delayed, past target (wk)", "past target treated later",
        "offers deferred",
    ]  # fmt: skip
    rows = []
    for o in outcomes:
        closed = o.gap_closed
        row = [
            rule_set_label(o.name),
            _signed(o.deprivation_gap.mean_weeks),
            _percent(closed.mean if closed else None),
            _percent(closed.median if closed else None),
        ]
        bands = {b.priority_code: b for b in o.gap_by_priority}
        for code in codes:
            band = bands.get(code)
            share = band.closed.mean if band is not None and band.closed is not None else None
            row.append(f"{_signed(band.mean_weeks if band else None)} / {_percent(share)}")
        delay = o.delay
        row += [
            _num(delay.max_delay_weeks if delay else None),
            _num(delay.max_delay_past_target_weeks if delay else None),
            _num(delay.past_target_treated_later if delay else None),
            f"{_num(o.offers.deferred)} of {_num(o.offers.offers)}",
        ]
        rows.append(row)
    return _table(
        headers,
        rows,
        caption="Closed: 1 − gap ÷ the conventional order's gap (100%: closed; above: "
        "reversed). Delays are against the conventional order, for patients treated under "
        "both.",
    )


def _by_group(
    outcomes: Sequence[RuleSetOutcome],
    groups: Sequence[str],
    stats_of: Callable[[RuleSetOutcome], dict[str, WaitStats]],
) -> str:
    headers = ["group"]
    for o in outcomes:
        headers += [f"{rule_set_label(o.name)}: n", "median (wk)", "p92 (wk)"]
    rows = []
    for group in groups:
        row = [group_label(group)]
        for o in outcomes:
            stats = stats_of(o)[group]
            row += [_num(stats.count), _num(stats.median_weeks), _num(stats.p92_weeks)]
        rows.append(row)
    return _table(headers, rows)


def _changes(outcomes: Sequence[RuleSetOutcome]) -> str:
    compared = [o for o in outcomes if o.versus_conventional]
    if not compared:
        return "<p class='note'>Only the conventional order was simulated.</p>"
    headers = ["dimension", "group"]
    for o in compared:
        headers += [f"{rule_set_label(o.name)}: median Δ (wk)", "p92 Δ (wk)"]
    rows = []
    for i, change in enumerate(compared[0].versus_conventional):
        row = [group_label(change.dimension), group_label(change.group)]
        for o in compared:
            mine = o.versus_conventional[i]
            row += [_signed(mine.median_change_weeks), _signed(mine.p92_change_weeks)]
        rows.append(row)
    return _table(headers, rows, left=2, caption="Positive: the group waits longer at treatment "
                  "than under the conventional order.")  # fmt: skip


def _breaches(outcomes: Sequence[RuleSetOutcome]) -> str:
    headers = ["priority", "target (days)"]
    for o in outcomes:
        headers += [f"{rule_set_label(o.name)}: treated late / treated", "waiting late / waiting"]
    rows = []
    for i, first in enumerate(outcomes[0].priority_breaches):
        row = [first.priority_code, _num(first.target_days)]
        for o in outcomes:
            b = o.priority_breaches[i]
            row += [
                f"{_num(b.treated_over_target)} / {_num(b.treated)}",
                f"{_num(b.waiting_over_target)} / {_num(b.waiting)}",
            ]
        rows.append(row)
    return _table(headers, rows, left=1)


def _lists(run: SimulationRun) -> str:
    headers = [
        "list", "ranked at start", "parked", "clock starts in last 13 wk",
        "referrals / wk", "source", "capacity / wk", "source",
    ]  # fmt: skip
    rows = [
        [
            p.list_key, _num(p.ranked_entries), _num(p.parked_entries),
            _num(p.recent_clock_starts), _num(p.referrals_per_week, 3),
            p.referral_source.replace("_", " "), _num(p.capacity_per_week, 3),
            p.capacity_source.replace("_", " "),
        ]
        for p in run.result.lists
    ]  # fmt: skip
    return _table(headers, rows, left=1)


_DEFINITIONS = (
    ("Wait at treatment", "Days from RTT clock start to the week the pathway was booked, shown "
     "in weeks (days ÷ 7). Medians and 92nd percentiles use the nearest-rank method."),
    ("Q1−Q5 gap", "IMD quintile 1 (most deprived) minus quintile 5 (least deprived); positive "
     "means the most deprived wait longer. The share gap is in percentage points. Closed: the "
     "share of the conventional order's gap in mean (or median) wait a rule set removes."),
    ("18-week performance", "Share of the ranked list at the end waiting 126 days or less "
     "(the standard is 92%), and share of treated pathways treated within 126 days."),
    ("Over 52/65/78 weeks", "Ranked pathways on the list at the end waiting more than 364, 455 "
     "or 546 days."),
    ("Over target", "Pathways treated (or still waiting at the end) after waiting longer than "
     "their priority's target (P2 28 days, P3 90 days by default); P4 has no target."),
    ("Largest increase", "The IMD quintile or ethnic group whose median wait at treatment rises "
     "most against the conventional order (zero or negative: no group waits longer)."),
    ("Model", "Each week every list is ranked by the rule set and its bands are offered dates "
     "in rank order until each band's share of the weekly capacity is filled (unused slots "
     "pass to the next band; urgent bands are booked on the day). An offer is taken, declined "
     "(offered again the next week) or deferred (did not attend, cancelled, unfit at pre-op: "
     "unavailable for some weeks while the clock runs), with chances that rise with "
     "deprivation; a patient's k-th offer ends alike under every rule set. New referrals "
     "copied from each band's current mix join, and the date moves on seven days. Not "
     "modelled: clock stops other than treatment, priority changes. Full definitions: the "
     "Equiwait documentation, \"Equity impact simulation\"."),
)  # fmt: skip


def _median_weeks(days: NDArray[np.int64]) -> float | None:
    """Nearest-rank median, as every other median in the document."""
    if not len(days):
        return None
    ordered = np.sort(days)
    return float(ordered[int(nearest_rank(np.array([len(days)]), 50)[0]) - 1]) / DAYS_PER_WEEK


def _breakdowns(run: SimulationRun) -> str:
    """Median wait at treatment by age band, sex and inclusion group, per rule set, for the
    patients on the list at the start who were treated during the horizon."""
    groups = run.breakdowns
    outcomes = run.result.rule_sets
    if groups is None or not run.result.treated_week:
        return "<p class='note'>Not available for this run.</p>"
    headers = ["dimension", "group"]
    for o in outcomes:
        headers += [f"{rule_set_label(o.name)}: n", "median (wk)"]
    rows = []
    for dimension, members in groups.dimensions.items():
        for label, mask in members:
            if not mask.any():
                continue
            row = [dimension, label]
            for o in outcomes:
                week = run.result.treated_week.get(o.name)
                if week is None:
                    row += ["–", "–"]
                    continue
                treated = mask & (week >= 0)
                days = groups.start_wait_days[treated] + 7 * week[treated]
                row += [_num(int(treated.sum())), _num(_median_weeks(days))]
            rows.append(row)
    return _table(
        headers,
        rows,
        left=2,
        caption="Patients on the list at the start who were treated during the horizon (new "
        "referrals are not included); a patient in several inclusion groups counts in each.",
    )


def _version(version_id: int | None) -> str:
    return "the shipped default rules" if version_id is None else f"version id {version_id}"


def _control(
    run: SimulationRun, generated_by: str | None, calibration: Mapping[str, Any] | None
) -> str:
    """Document control: what this assessment describes, so a signature names exactly it."""
    specialties = ", ".join(run.specialties) if run.specialties else "all"
    versions = "; ".join(f"{key}: {_version(v)}" for key, v in sorted(run.rule_versions.items()))
    drafts = "; ".join(
        f"{rule_set_label(name)}: version id {version_id}"
        for name, version_id in run.candidate_versions.items()
    )
    rows = [
        ("Provider", run.provider_code),
        ("Specialty", specialties),
        ("Rule versions in force", versions or "–"),
        ("Draft compared", drafts or "none"),
        ("Calibration", f"calibration {calibration['id']}" if calibration else "none"),
        ("Extract checksum (SHA-256)", run.extract_checksum or "–"),
        ("Census date", run.result.census_date.isoformat()),
        ("Generated by", generated_by or "–"),
        ("Generated at", run.generated_at.strftime("%Y-%m-%d %H:%M UTC")),
    ]
    body = "".join(
        f"<tr><th scope='row'>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows
    )
    return f"<table class='control'><tbody>{body}</tbody></table>"


_SIGNATORIES = ("Clinical lead", "Equity lead", "Clinical safety officer", "Chair, for the board")


def _sign_off() -> str:
    rows = "".join(
        f"<tr><td class='l'>{escape(role)}</td><td></td><td></td><td></td></tr>"
        for role in _SIGNATORIES
    )
    return (
        "<p>Decision (tick one): ☐ approve the rule change &nbsp; ☐ approve with the conditions "
        "below &nbsp; ☐ do not approve</p><p>Conditions, and the date of the first review of "
        "the observed effect:</p><table class='signoff'><tbody><tr><td></td></tr></tbody>"
        "</table><table class='signoff'><thead><tr><th class='l'>Role</th><th class='l'>Name"
        "</th><th class='l'>Signature</th><th class='l'>Date</th></tr></thead><tbody>"
        f"{rows}</tbody></table>"
    )


def _frontier(calibration: Mapping[str, Any] | None) -> str:
    if not calibration or not calibration.get("result"):
        return ""
    result = calibration["result"]
    headers = [
        "multiplier", "share of the gap closed (mean)", "range across seeds",
        "extra P2/P3 breaches", "extra 52-week waiters", "largest quintile rise (wk)",
        "within the limits", "limits broken",
    ]  # fmt: skip
    rows = []
    for p in result["frontier"]:
        low, high = p.get("share_closed_min"), p.get("share_closed_max")
        rows.append([
            f"{p['multiplier']:g}", _percent(p.get("share_closed")),
            f"{_percent(low)}–{_percent(high)}",
            f"{p['extra_p2_p3_breaches']:+.1f} ± {p['extra_p2_p3_breaches_sd']:.1f}",
            f"{p['extra_long_waiters']:+.1f} ± {p['extra_long_waiters_sd']:.1f}",
            _signed(p.get("largest_quintile_median_rise_weeks")),
            "yes" if p["within_limits"] else "no", "; ".join(p["limits_broken"]) or "–",
        ])  # fmt: skip
    chosen = result.get("chosen_multiplier")
    unreachable = result.get("unreachable")
    outcome = (
        f"Chosen: {chosen:g} times the rules in force."
        if chosen is not None
        else f"No multiplier qualifies: {unreachable['reason'] if unreachable else ''}"
    )
    return (
        f"<h2>Calibration {escape(str(calibration['id']))}: every multiplier tried</h2>"
        f"<p>Target: {_percent(result.get('target_share'))} of the gap. {escape(outcome)}</p>"
        + _table(headers, rows, caption="Against the conventional order, over "
                 f"{len(result.get('seeds', []))} seeds (mean ± standard deviation).")
    )  # fmt: skip


def render_assessment(
    run: SimulationRun,
    *,
    generated_by: str | None = None,
    calibration: Mapping[str, Any] | None = None,
) -> str:
    """The equity impact assessment of ``run`` as a complete HTML document; ``calibration``
    (``{"id": …, "result": …}``) adds its frontier."""
    result = run.result
    outcomes = result.rule_sets
    title = f"Equity impact assessment: {run.provider_code}, {result.census_date.isoformat()}"
    specialties = ", ".join(run.specialties) if run.specialties else "all"
    sources = "".join(
        f"<li><b>{escape(rule_set_label(o.name))}</b>: {escape(run.sources[o.name])}</li>"
        for o in outcomes
    )
    notes = "".join(f"<li>{escape(n)}</li>" for n in [*run.notes, *result.notes])
    definitions = "".join(f"<dt>{escape(t)}</dt><dd>{escape(d)}</dd>" for t, d in _DEFINITIONS)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title><style>{_STYLE}</style></head>
<body>
<h1>Equity impact assessment</h1>
<h2>Document control</h2>{_control(run, generated_by, calibration)}
<p>Provider <b>{escape(run.provider_code)}</b>; specialties: {escape(specialties)}.
Simulated {result.weeks} weeks of booking from {result.census_date.isoformat()} to
{result.end_date.isoformat()} (seed {result.seed}); {_num(result.starting_entries)} pathways at
the start ({_num(result.starting_ranked)} ranked), {_num(result.new_referrals)} new referrals.
Generated {escape(run.generated_at.strftime("%Y-%m-%d %H:%M UTC"))}.</p>
<p>Rule sets compared (every one sees the same referrals on the same dates):</p><ul>{sources}</ul>
{f"<ul class='note'>{notes}</ul>" if notes else ""}
<h2>Summary</h2>{_summary(outcomes)}
<div class="figure">{gap_bars(outcomes)}</div>
<h2>Waits at treatment by IMD quintile</h2>
<div class="figure">{grouped_bars(outcomes, "imd_quintile", IMD_QUINTILE_LABELS, "IMD quintile")}
</div>
{_by_group(outcomes, IMD_QUINTILE_LABELS, lambda o: o.treated_by_imd_quintile)}
<h2>Waits at treatment by ethnic group</h2>
<div class="figure">{grouped_bars(outcomes, "ethnic_group", ETHNIC_GROUP_LABELS, "Ethnic group")}
</div>
{_by_group(outcomes, ETHNIC_GROUP_LABELS, lambda o: o.treated_by_ethnic_group)}
<h2>Waits at treatment by age band, sex and inclusion group</h2>{_breakdowns(run)}
<h2>The deprivation gap and who waits longer</h2>{_gaps(outcomes)}
<h2>Change against the conventional order</h2>{_changes(outcomes)}
<h2>Priority targets</h2>{_breaches(outcomes)}
<h2>The list week by week</h2><div class="figure">{weekly_lines(outcomes)}</div>
<h2>Lists, capacity and referrals</h2>{_lists(run)}
{_frontier(calibration)}
<h2>What the figures mean</h2><dl>{definitions}</dl>
<section class="signoff-section"><h2>Decision and sign-off</h2>{_sign_off()}</section>
</body></html>
"""

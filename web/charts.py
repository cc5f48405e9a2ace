"""Simulation results shaped for the pages: tables, and bar charts drawn in HTML.

Why HTML bars and not images: the values are written beside every bar (readable by screen
readers, printable), and the page needs no inline style or script for them; widths are whole
percent classes from the stylesheet.
"""

from __future__ import annotations

from typing import Any

QUINTILES = {
    "1": "Q1 most deprived",
    "2": "Q2",
    "3": "Q3",
    "4": "Q4",
    "5": "Q5 least deprived",
    "unknown": "IMD unknown",
}
ETHNIC_GROUPS = {
    "white": "White", "mixed": "Mixed", "asian": "Asian", "black": "Black", "other": "Other",
    "not_stated": "Not stated", "not_known": "Not known", "unknown": "Unknown",
}  # fmt: skip


def _width(value: float | None, largest: float) -> int:
    if value is None or largest <= 0:
        return 0
    return max(1, min(100, round(100 * value / largest))) if value > 0 else 0


def grouped_bars(
    outcomes: list[dict[str, Any]], key: str, labels: dict[str, str]
) -> list[dict[str, Any]]:
    """Median wait at treatment per group, one bar per rule set (series)."""
    values = [(stats or {}).get("median_weeks") for o in outcomes for stats in o[key].values()]
    largest = max([v for v in values if v is not None] or [0.0])
    rows = []
    for group, label in labels.items():
        bars = []
        for i, outcome in enumerate(outcomes):
            stats = outcome[key].get(group) or {}
            value = stats.get("median_weeks")
            bars.append(
                {
                    "series": i,
                    "name": outcome["name"],
                    "value": value,
                    "width": _width(value, largest),
                    "count": stats.get("count", 0),
                }
            )
        if any(bar["count"] for bar in bars):
            rows.append({"group": group, "label": label, "bars": bars})
    return rows


def simulation_view(result: dict[str, Any]) -> dict[str, Any]:
    """What the pages show of a simulation (the JSON shape of ``POST /api/v1/simulations``)."""
    outcomes = result["rule_sets"]
    sources = {item["name"]: item["source"] for item in result.get("rule_set_sources", [])}
    summary = [
        {
            "name": o["name"],
            "source": sources.get(o["name"], ""),
            "treated": o["treated"]["count"],
            "median_weeks": o["treated"]["median_weeks"],
            "p92_weeks": o["treated"]["p92_weeks"],
            "within_18": o["treated_within_18_weeks_pct"],
            "gap_median": o["deprivation_gap"]["median_weeks"],
            "gap_p92": o["deprivation_gap"]["p92_weeks"],
            "treated_over_target": o["treated_over_target"],
            "waiting_over_target": o["waiting_over_target"],
        }
        for o in outcomes
    ]
    changes = [
        {"name": o["name"], "rows": o["versus_conventional"]}
        for o in outcomes
        if o["name"] != "conventional"
    ]
    return {
        "census_date": result["census_date"],
        "weeks": result["weeks"],
        "starting_entries": result["starting_entries"],
        "new_referrals": result["new_referrals"],
        "notes": result.get("notes", []),
        "summary": summary,
        "series": [{"index": i, "name": o["name"]} for i, o in enumerate(outcomes)],
        "by_quintile": grouped_bars(outcomes, "treated_by_imd_quintile", QUINTILES),
        "by_ethnic_group": grouped_bars(outcomes, "treated_by_ethnic_group", ETHNIC_GROUPS),
        "changes": changes,
        "group_labels": {"imd_quintile": QUINTILES, "ethnic_group": ETHNIC_GROUPS},
        "support": result.get("support"),
        "risk_model": result.get("risk_model"),
    }

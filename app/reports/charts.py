"""Charts for equity leads, drawn headless in memory (matplotlib's Agg canvas, no pyplot).

Figures are built with ``matplotlib.figure.Figure`` directly rather than pyplot, so no global
figure state is shared between concurrent requests.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from app.reports.columns import PtlFilters, load_ptl_columns
from app.reports.equity import QUINTILE_LABELS, measured
from app.reports.gap_watch import SpecialtyGap, WeekGaps
from models import EquitySnapshot
from prioritisation.metrics import (
    DAYS_PER_WEEK,
    MEDIAN_PERCENT,
    P92_PERCENT,
    imd_quintile,
    quintile_waits,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

ChartFormat = Literal["png", "svg"]
MEDIA_TYPES: dict[str, str] = {"png": "image/png", "svg": "image/svg+xml"}
_COLOURS = ("#8c2d04", "#d94801", "#fd8d3c", "#6baed6", "#08519c", "#969696")


def _render(figure: Figure, fmt: ChartFormat) -> bytes:
    import matplotlib as mpl
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    # A fixed salt makes SVG element ids, and so the same chart's bytes, reproducible.
    with mpl.rc_context({"svg.hashsalt": "equiwait"}):
        figure.savefig(buffer, format=fmt, dpi=100, metadata=metadata)
    return buffer.getvalue()


def _threshold_lines(axes: Axes) -> None:
    for weeks, style in ((18, "--"), (52, ":")):
        axes.axvline(weeks, color="grey", linestyle=style, linewidth=1)


def wait_by_quintile_chart(
    session: Session,
    provider_code: str,
    census_date: date,
    filters: PtlFilters | None = None,
    fmt: ChartFormat = "png",
    *,
    include_parked: bool = False,
) -> bytes:
    """Cumulative wait distribution per IMD quintile, with median and p92 bars beside it.

    The left panel reads as "what share of this quintile has waited at most X weeks"; where a
    curve crosses 92% is that quintile's p92. Raises ProviderNotFound.
    """
    from matplotlib.figure import Figure

    as_of = census_date if census_date < date.today() else None
    columns = load_ptl_columns(session, provider_code, filters, as_of=as_of).equity()
    keep, waits = measured(columns, census_date, include_parked=include_parked)
    waits, deciles = waits[keep], columns.imd_decile[keep]
    quintiles = imd_quintile(deciles)
    stats = quintile_waits(waits, deciles)
    order = [1, 2, 3, 4, 5, 0]
    names = ["1", "2", "3", "4", "5", "unknown"]

    figure = Figure(figsize=(11, 4.5), layout="constrained")
    curves, bars = figure.subplots(1, 2, width_ratios=(3, 2))
    for colour, q, name in zip(_COLOURS, order, names, strict=True):
        days, counts = np.unique(waits[quintiles == q], return_counts=True)  # small SVGs
        if days.size == 0:
            continue
        share = 100.0 * np.cumsum(counts) / counts.sum()
        label = f"{QUINTILE_LABELS[name]} (n={counts.sum()})"
        curves.step(days / DAYS_PER_WEEK, share, where="post", color=colour, label=label)
    _threshold_lines(curves)
    for percent in (MEDIAN_PERCENT, P92_PERCENT):
        curves.axhline(percent, color="lightgrey", linewidth=0.8)
    curves.set_xlabel("weeks waited (18 and 52 marked)")
    curves.set_ylabel("% of pathways waiting at most this long")
    curves.set_ylim(0, 100)
    curves.legend(fontsize="small", loc="lower right")

    x = np.arange(len(order))
    medians, p92s = np.nan_to_num(stats.median_weeks[order]), np.nan_to_num(stats.p92_weeks[order])
    bars.bar(x - 0.2, medians, 0.4, label="median", color="#6baed6")
    bars.bar(x + 0.2, p92s, 0.4, label="92nd percentile", color="#08519c")
    bars.set_xticks(x, ["Q1", "Q2", "Q3", "Q4", "Q5", "unknown"])
    bars.set_ylabel("weeks")
    bars.axhline(18, color="grey", linestyle="--", linewidth=1)
    bars.set_ylim(0, max(float(p92s.max(initial=0.0)), 18.0) * 1.25)
    bars.legend(fontsize="small", loc="upper left", ncols=2)
    figure.suptitle(f"Waits by IMD quintile, {provider_code}, census {census_date.isoformat()}")
    return _render(figure, fmt)


def weekly_series(
    snapshots: Sequence[EquitySnapshot], key: str
) -> tuple[NDArray[np.datetime64], NDArray[np.float64]]:
    """Every ISO week from the first snapshot to the last (Mondays) and the gap's ``key`` in
    each: NaN for a week with no snapshot, so the line breaks there instead of joining."""
    mondays = np.array(
        [np.datetime64(date.fromisocalendar(s.iso_year, s.iso_week, 1), "D") for s in snapshots]
    )
    if not len(snapshots):
        return mondays, np.zeros(0)
    weeks = np.arange(mondays.min(), mondays.max() + np.timedelta64(1, "D"), np.timedelta64(7, "D"))
    values = np.full(weeks.size, np.nan)
    index = ((mondays - mondays.min()) // np.timedelta64(7, "D")).astype(np.int64)
    for position, snap in zip(index.tolist(), snapshots, strict=True):
        value = snap.report.get("deprivation_gap", {}).get(key)
        values[position] = np.nan if value is None else float(value)
    return weeks, values


def gap_trend_chart(
    provider_code: str, snapshots: Sequence[EquitySnapshot], fmt: ChartFormat = "png"
) -> bytes:
    """Weekly gap between the most and least deprived quintiles, from stored snapshots.

    Top: gap in median and p92 weeks; bottom: gap in percentage points over 18 and 52 weeks.
    Above zero, the most deprived wait longer.
    """
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 6), layout="constrained")
    weeks_axes, points_axes = figure.subplots(2, 1, sharex=True)
    figure.suptitle(f"Deprivation gap (Q1 minus Q5) by ISO week, {provider_code}")
    if not snapshots:
        weeks_axes.text(0.5, 0.5, "No weekly snapshots yet", ha="center", va="center")
        return _render(figure, fmt)
    for axes, series in (
        (weeks_axes, (("median_weeks", "median", "o"), ("p92_weeks", "92nd percentile", "s"))),
        (
            points_axes,
            (
                ("pct_over_18_weeks_points", "> 18 w", "o"),
                ("pct_over_52_weeks_points", "> 52 w", "s"),
            ),
        ),
    ):
        for key, label, marker in series:
            weeks, values = weekly_series(snapshots, key)
            axes.plot(
                weeks.astype("datetime64[D]").astype(object), values, marker=marker, label=label
            )
    weeks_axes.set_ylabel("gap, weeks")
    points_axes.set_ylabel("gap, percentage points")
    for axes in (weeks_axes, points_axes):
        axes.axhline(0, color="grey", linewidth=0.8)
        axes.legend(fontsize="small")
    points_axes.set_xlabel("ISO week (Monday); weeks without a snapshot are left as gaps")
    figure.autofmt_xdate()
    return _render(figure, fmt)


MAX_GAP_PANELS = 6


def gap_at_treatment_chart(
    provider_code: str, weeks: Sequence[WeekGaps], fmt: ChartFormat = "png"
) -> bytes:
    """Per specialty with a prediction (up to six, most clock stops first): the measured
    Q1-Q5 gap in mean wait at treatment pooled since the rule version took effect, beside the
    predicted one, and each week's own measured gap as dots."""
    from matplotlib.figure import Figure

    series: dict[str, list[tuple[date, SpecialtyGap]]] = {}
    for week in weeks:
        for row in week.specialties:
            if row.prediction_id is not None:
                series.setdefault(row.specialty, []).append((week.census_date, row))
    chosen = sorted(
        series,
        key=lambda s: (
            -sum(r.most_deprived_treated + r.least_deprived_treated for _, r in series[s])
        ),
    )[:MAX_GAP_PANELS]
    figure = Figure(figsize=(10, 2.6 * max(len(chosen), 1) + 0.8), layout="constrained")
    figure.suptitle(f"Gap at treatment (Q1 minus Q5), measured and predicted, {provider_code}")
    if not chosen:
        axes = figure.subplots()
        axes.text(
            0.5, 0.5, "No published rule version with a prediction has been in force yet",
            ha="center", va="center",
        )  # fmt: skip
        axes.set_axis_off()
        return _render(figure, fmt)
    panels = figure.subplots(len(chosen), 1, sharex=True, squeeze=False)[:, 0]
    for axes, specialty in zip(panels, sorted(chosen), strict=True):
        points = series[specialty]
        days = [day for day, _ in points]

        def values(name: str, rows: list[tuple[date, SpecialtyGap]] = points) -> list[float]:
            return [np.nan if getattr(r, name) is None else getattr(r, name) for _, r in rows]

        axes.plot(days, values("observed_weeks"), marker="o", color=_COLOURS[0],
                  label="measured since the rules took effect")  # fmt: skip
        axes.plot(days, values("predicted_weeks"), marker="s", linestyle="--",
                  color=_COLOURS[4], label="predicted")  # fmt: skip
        axes.plot(days, values("week_observed_weeks"), linestyle="none", marker=".",
                  color=_COLOURS[5], label="measured that week")  # fmt: skip
        flagged = [day for day, r in points if r.divergent]
        if flagged:
            axes.plot(flagged, [axes.get_ylim()[1]] * len(flagged), linestyle="none",
                      marker="v", color=_COLOURS[1], label="divergent week")  # fmt: skip
        axes.axhline(0, color="grey", linewidth=0.8)
        axes.set_ylabel(f"{specialty}: weeks")
        axes.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    panels[-1].set_xlabel("Snapshot census date")
    figure.autofmt_xdate()
    return _render(figure, fmt)

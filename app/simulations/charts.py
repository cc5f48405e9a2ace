"""Charts for the equity impact assessment, drawn headless as inline SVG.

Figures are built with ``matplotlib.figure.Figure`` on the Agg canvas (no pyplot), so
concurrent requests share no global figure state; fonts are drawn as paths, so the SVG needs
no external asset.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from prioritisation.metrics import DAYS_PER_WEEK
from prioritisation.simulation import RuleSetOutcome

if TYPE_CHECKING:
    from matplotlib.figure import Figure

COLOURS = ("#6b6b6b", "#08519c", "#d94801", "#238b45", "#6a51a3", "#b8860b", "#c51b8a")
_PROLOG = re.compile(r"^.*?(?=<svg)", re.DOTALL)
_REFERENCES = re.compile(r'(id="|href="#|url\(#)')


def _svg(figure: Figure, prefix: str) -> str:
    """The figure as an ``<svg>`` element whose ids start with ``prefix``: several charts
    inline in one page must not share ids (glyphs, clip paths)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    svg = _PROLOG.sub("", buffer.getvalue(), count=1)
    return _REFERENCES.sub(lambda m: f"{m.group(1)}{prefix}-", svg)


def grouped_bars(
    outcomes: Sequence[RuleSetOutcome], dimension: str, groups: Sequence[str], title: str
) -> str:
    """Median wait at treatment (weeks) per group, one bar per rule set; p92 as a tick above."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 3.8), layout="constrained")
    axes = figure.subplots()
    width = 0.8 / max(len(outcomes), 1)
    for i, outcome in enumerate(outcomes):
        stats = (
            outcome.treated_by_imd_quintile
            if dimension == "imd_quintile"
            else outcome.treated_by_ethnic_group
        )
        x = [j + (i - (len(outcomes) - 1) / 2) * width for j in range(len(groups))]
        medians = [stats[g].median_weeks or 0.0 for g in groups]
        p92 = [stats[g].p92_weeks or 0.0 for g in groups]
        colour = COLOURS[i % len(COLOURS)]
        axes.bar(x, medians, width=width * 0.95, color=colour, label=outcome.name)
        axes.scatter(x, p92, marker="_", s=120, color=colour)
    axes.set_xticks(range(len(groups)), list(groups))
    axes.set_ylabel("weeks at treatment")
    axes.set_title(f"{title}: median (bars) and 92nd percentile (ticks)", fontsize=10)
    axes.axhline(18, color="grey", linestyle="--", linewidth=0.8)
    axes.legend(fontsize=8, ncols=min(len(outcomes), 4))
    return _svg(figure, f"bars-{dimension}")


def weekly_lines(outcomes: Sequence[RuleSetOutcome]) -> str:
    """Share of the ranked list waiting over 18 weeks, week by week, per rule set."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 3.4), layout="constrained")
    axes = figure.subplots()
    for i, outcome in enumerate(outcomes):
        weeks = [p.week for p in outcome.weekly]
        share = [100.0 * p.over_18_weeks / p.waiting if p.waiting else 0.0 for p in outcome.weekly]
        axes.plot(weeks, share, color=COLOURS[i % len(COLOURS)], label=outcome.name)
    axes.axhline(8, color="grey", linestyle="--", linewidth=0.8)
    axes.set_xlabel("week")
    axes.set_ylabel("% waiting over 18 weeks")
    axes.set_title("The list week by week (dashed: the 92% standard)", fontsize=10)
    axes.legend(fontsize=8, ncols=min(len(outcomes), 4))
    return _svg(figure, "weekly")


def gap_bars(outcomes: Sequence[RuleSetOutcome]) -> str:
    """Most- minus least-deprived gap in median and p92 wait at treatment, per rule set."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 2.8), layout="constrained")
    axes = figure.subplots()
    names = [o.name for o in outcomes]
    for k, (label, attribute) in enumerate((("median", "median_weeks"), ("p92", "p92_weeks"))):
        values = [getattr(o.deprivation_gap, attribute) or 0.0 for o in outcomes]
        positions = [j + (k - 0.5) * 0.38 for j in range(len(outcomes))]
        axes.barh(positions, values, height=0.36, color=COLOURS[1 + k], label=label)
    axes.set_yticks(range(len(names)), names)
    axes.invert_yaxis()
    axes.axvline(0, color="black", linewidth=0.8)
    axes.set_xlabel(f"weeks (quintile 1 minus quintile 5; {DAYS_PER_WEEK} days a week)")
    axes.set_title("Most vs least deprived gap at treatment (positive: most deprived wait longer)",
                   fontsize=10)  # fmt: skip
    axes.legend(fontsize=8)
    return _svg(figure, "gap")

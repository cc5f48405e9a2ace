"""Charts for the equity impact assessment, drawn headless as inline SVG.

Figures are built with ``matplotlib.figure.Figure`` on the Agg canvas (no pyplot), so
concurrent requests share no global figure state; fonts are drawn as paths, so the SVG needs
no external asset.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING

from app.simulations.labels import group_label, rule_set_label
from prioritisation.metrics import DAYS_PER_WEEK
from prioritisation.simulation import RuleSetOutcome

if TYPE_CHECKING:
    from matplotlib.figure import Figure

OVER_18_WEEKS_LIMIT_PCT = 8.0
"""The 18-week standard: 92% of the list within 18 weeks, so at most 8% over."""
COLOURS = ("#6b6b6b", "#08519c", "#d94801", "#238b45", "#6a51a3", "#b8860b", "#c51b8a")
_PROLOG = re.compile(r"^.*?(?=<svg)", re.DOTALL)
_REFERENCES = re.compile(r'(id="|href="#|url\(#)')


_SVG_OPEN = re.compile(r"<svg\b([^>]*)>")


def _svg(figure: Figure, prefix: str, title: str, description: str) -> str:
    """The figure as an accessible ``<svg>`` element (``role="img"``, labelled by its
    ``<title>`` and described by its ``<desc>``) whose ids start with ``prefix``: several
    charts inline in one page must not share ids (glyphs, clip paths)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    svg = _PROLOG.sub("", buffer.getvalue(), count=1)
    svg = _REFERENCES.sub(lambda m: f"{m.group(1)}{prefix}-", svg)
    labels = (
        f'<title id="{prefix}-title">{escape(title)}</title>'
        f'<desc id="{prefix}-desc">{escape(description)}</desc>'
    )
    return _SVG_OPEN.sub(
        lambda m: (
            f'<svg{m.group(1)} role="img" aria-labelledby="{prefix}-title" '
            f'aria-describedby="{prefix}-desc">{labels}'
        ),
        svg,
        count=1,
    )


def _name(outcome: RuleSetOutcome) -> str:
    return rule_set_label(outcome.name)


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
        axes.bar(x, medians, width=width * 0.95, color=colour, label=_name(outcome))
        axes.scatter(x, p92, marker="_", s=120, color=colour)
    axes.set_xticks(range(len(groups)), [group_label(g) for g in groups])
    axes.set_ylabel("weeks at treatment")
    axes.set_title(f"{title}: median (bars) and 92nd percentile (ticks)", fontsize=10)
    axes.axhline(18, color="grey", linestyle="--", linewidth=0.8)
    axes.annotate("18 weeks", xy=(1.0, 18), xycoords=("axes fraction", "data"),
                  xytext=(4, 0), textcoords="offset points", va="center", fontsize=8,
                  color="grey")  # fmt: skip
    axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.06, 1.0), frameon=False)
    names = ", ".join(_name(o) for o in outcomes)
    return _svg(
        figure,
        f"bars-{dimension}",
        f"{title}: median and 92nd percentile wait at treatment",
        f"Bars: median weeks from clock start to treatment per group, one bar per rule set "
        f"({names}); ticks: the 92nd percentile; dashed line: 18 weeks. The table below "
        "holds every value.",
    )


def weekly_lines(outcomes: Sequence[RuleSetOutcome]) -> str:
    """Share of the ranked list waiting over 18 weeks, week by week, per rule set."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 3.4), layout="constrained")
    axes = figure.subplots()
    for i, outcome in enumerate(outcomes):
        weeks = [p.week for p in outcome.weekly]
        share = [100.0 * p.over_18_weeks / p.waiting if p.waiting else 0.0 for p in outcome.weekly]
        axes.plot(weeks, share, color=COLOURS[i % len(COLOURS)], label=_name(outcome))
    axes.axhline(OVER_18_WEEKS_LIMIT_PCT, color="grey", linestyle="--", linewidth=0.8)
    axes.annotate("8%: the most the 92% standard allows", xy=(1.0, OVER_18_WEEKS_LIMIT_PCT),
                  xycoords=("axes fraction", "data"), xytext=(4, 0), textcoords="offset points",
                  va="center", fontsize=8, color="grey")  # fmt: skip
    axes.set_xlabel("week")
    axes.set_ylabel("% waiting over 18 weeks")
    axes.set_title(
        "Share of the list waiting over 18 weeks, week by week (dashed: 8%, the most the 92% "
        "standard allows)",
        fontsize=10,
    )
    axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.2, 1.0), frameon=False)
    return _svg(
        figure,
        "weekly",
        "Share of the list waiting over 18 weeks, week by week",
        "One line per rule set: the percentage of the ranked list waiting more than 18 weeks "
        "at the start of each simulated week. The dashed line at 8% is the most the 18-week "
        "standard (92% waiting 18 weeks or less) allows.",
    )


def gap_bars(outcomes: Sequence[RuleSetOutcome]) -> str:
    """Most- minus least-deprived gap in median and p92 wait at treatment, per rule set."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 2.8), layout="constrained")
    axes = figure.subplots()
    for k, (label, attribute) in enumerate((("median", "median_weeks"), ("p92", "p92_weeks"))):
        values = [getattr(o.deprivation_gap, attribute) or 0.0 for o in outcomes]
        positions = [j + (k - 0.5) * 0.38 for j in range(len(outcomes))]
        axes.barh(positions, values, height=0.36, color=COLOURS[1 + k], label=label)
    names = [_name(o) for o in outcomes]
    axes.set_yticks(range(len(names)), names)
    axes.invert_yaxis()
    axes.axvline(0, color="black", linewidth=0.8)
    axes.set_xlabel(f"weeks (quintile 1 minus quintile 5; {DAYS_PER_WEEK} days a week)")
    axes.set_title("Most vs least deprived gap at treatment (positive: most deprived wait longer)",
                   fontsize=10)  # fmt: skip
    # The legend sits outside the plot area, clear of the bars.
    axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return _svg(
        figure,
        "gap",
        "Most against least deprived gap in wait at treatment, per rule set",
        "Horizontal bars per rule set: IMD quintile 1 minus quintile 5, in weeks, for the "
        "median and the 92nd percentile wait at treatment; positive means the most deprived "
        "wait longer. The summary table holds every value.",
    )

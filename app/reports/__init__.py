"""Equity monitoring: equity and data-quality reports, weekly snapshots and charts.

The arithmetic is ``prioritisation.metrics``; this package loads the PTL, labels the groups and
stores snapshots. Definitions for equity leads: docs/metrics.md.
"""

from app.reports.columns import ProviderNotFound, PtlColumns, PtlFilters, load_ptl_columns
from app.reports.equity import EquityReport, GapRow, GroupRow, build_equity_report, equity_csv
from app.reports.quality import (
    DataQualityReport,
    QualityThresholds,
    build_quality_report,
    quality_csv,
)
from app.reports.snapshots import iso_week, list_snapshots, record_weekly_snapshot

__all__ = [
    "DataQualityReport",
    "EquityReport",
    "GapRow",
    "GroupRow",
    "ProviderNotFound",
    "PtlColumns",
    "PtlFilters",
    "QualityThresholds",
    "build_equity_report",
    "build_quality_report",
    "equity_csv",
    "iso_week",
    "list_snapshots",
    "load_ptl_columns",
    "quality_csv",
    "record_weekly_snapshot",
]

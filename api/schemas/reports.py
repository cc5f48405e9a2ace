"""Schemas of the reports resource: equity report, weekly trend, data quality.

Every field is described here so the OpenAPI document explains the metrics; the full
definitions (week counting, nearest-rank percentiles, exclusions) are in docs/metrics.md.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

_PCT = "Percentage (0-100) of the group's measured pathways"


class WaitGroupOut(BaseModel):
    """Waits of one group of measured pathways (statistics are null when the group is empty)."""

    group: str = Field(
        description="Group code: IMD quintile `1`..`5`/`unknown`, ethnic broad group, inclusion "
        "group code or `none`, treatment function code, or `all`.",
        examples=["1"],
    )
    label: str = Field(description="Readable name of the group.", examples=["Q1 most deprived"])
    count: int = Field(description="Measured pathways in the group.", examples=[412])
    median_days: int | None = Field(
        description="Median wait in days (nearest rank: the wait at rank ceil(n/2)).",
        examples=[98],
    )
    median_weeks: float | None = Field(
        description="Median wait in weeks = median_days / 7, to 2 decimals.", examples=[14.0]
    )
    p92_days: int | None = Field(
        description="92nd-percentile wait in days (nearest rank: the wait at rank "
        "ceil(0.92 n)); at most 126 means the 18-week standard is met.",
        examples=[301],
    )
    p92_weeks: float | None = Field(description="p92_days / 7, to 2 decimals.", examples=[43.0])
    over_18_weeks: int = Field(
        description="Pathways waiting over 18 weeks (more than 126 days).", examples=[160]
    )
    over_52_weeks: int = Field(
        description="Pathways waiting over 52 weeks (more than 364 days).", examples=[12]
    )
    pct_over_18_weeks: float | None = Field(
        description=f"{_PCT} waiting over 18 weeks, to 2 decimals.", examples=[38.83]
    )
    pct_over_52_weeks: float | None = Field(
        description=f"{_PCT} waiting over 52 weeks, to 2 decimals.", examples=[2.91]
    )


class DeprivationGapOut(BaseModel):
    """Most deprived quintile (Q1) minus least deprived (Q5); positive: Q1 waits longer.

    Each gap is null when either quintile has no measured pathways.
    """

    most_deprived_count: int = Field(description="Measured pathways in quintile 1.")
    least_deprived_count: int = Field(description="Measured pathways in quintile 5.")
    median_weeks: float | None = Field(
        description="Q1 median weeks minus Q5 median weeks.", examples=[2.14]
    )
    p92_weeks: float | None = Field(description="Q1 p92 weeks minus Q5 p92 weeks.", examples=[5.0])
    pct_over_18_weeks_points: float | None = Field(
        description="Q1 % over 18 weeks minus Q5 % over 18 weeks, in percentage points.",
        examples=[4.5],
    )
    pct_over_52_weeks_points: float | None = Field(
        description="Q1 % over 52 weeks minus Q5 % over 52 weeks, in percentage points.",
        examples=[0.4],
    )


class ReportFilters(BaseModel):
    """The narrowing applied (null: not filtered)."""

    specialty: str | None = Field(description="Treatment function code.", examples=["110"])
    priority: str | None = Field(description="Clinical priority code.", examples=["P3"])
    stage: str | None = Field(description="`admitted` or `non_admitted`.", examples=["admitted"])


class ReportMethod(BaseModel):
    """The definitions the report was computed with (kept with every snapshot)."""

    percentile: str = Field(description="Percentile method.", examples=["nearest_rank"])
    weeks: str = Field(description="How days become weeks.", examples=["days / 7"])
    over_18_weeks_days: int = Field(description="Over 18 weeks means days > this.", examples=[126])
    over_52_weeks_days: int = Field(description="Over 52 weeks means days > this.", examples=[364])
    gap: str = Field(description="How the deprivation gap is taken.")


class EquityReportOut(BaseModel):
    """Waits of a provider's open PTL on a census date, by IMD quintile, ethnicity, inclusion
    group and specialty, with the most-vs-least deprived gap."""

    provider_code: str = Field(description="Provider ODS code.", examples=["RZZ"])
    census_date: date = Field(description="Waits are census_date - RTT clock start, in days.")
    filters: ReportFilters
    include_parked: bool = Field(
        description="False (default): parked pathways (P5/P6, RTT status 31/32) are left out of "
        "every wait statistic and only counted in `parked_count`."
    )
    entries_open: int = Field(description="Open PTL entries matching the filters.")
    parked_count: int = Field(
        description="Of those, parked: deferred (P5/P6) or on active monitoring (RTT status 31/32)."
    )
    clock_start_after_census: int = Field(
        description="Entries left out because their clock starts after the census date (only "
        "when reporting on a past date)."
    )
    entries_measured: int = Field(description="Entries counted in the wait statistics.")
    source: str = Field(
        default="live",
        description="`served`: computed from the entries as the lists' serving ranking runs "
        "read them (today, without `live=true`); `live`: loaded from the PTL now (a past "
        "census date is always live and point in time).",
    )
    overall: WaitGroupOut = Field(description="All measured pathways.")
    by_imd_quintile: list[WaitGroupOut] = Field(
        description="Quintiles 1 (most deprived) to 5, then `unknown` (no IMD decile). "
        "Quintile = floor((decile - 1) / 2) + 1."
    )
    by_ethnic_group: list[WaitGroupOut] = Field(
        description="Broad ethnic groups from the ethnic_categories table; `not_stated` is Z, "
        "`not_known` is 99 (blank at upload is stored as 99)."
    )
    by_inclusion_group: list[WaitGroupOut] = Field(
        description="Every inclusion group, then `none`. Groups overlap: a pathway in two "
        "groups counts in both, so counts can add up to more than entries_measured."
    )
    by_specialty: list[WaitGroupOut] = Field(description="Per treatment function code.")
    deprivation_gap: DeprivationGapOut
    method: ReportMethod


class TrendPointOut(BaseModel):
    """One weekly snapshot: the provider-wide report as first computed in that ISO week."""

    week: str = Field(description="ISO week, `YYYY-Www`.", examples=["2026-W48"])
    iso_year: int = Field(examples=[2026])
    iso_week: int = Field(examples=[48])
    census_date: date = Field(description="Census date the snapshot was computed for.")
    created_at: datetime = Field(description="When the snapshot was stored (UTC).")
    created_by: str = Field(description="Who stored it (token subject or CLI actor).")
    entries_measured: int = Field(description="Pathways counted in the wait statistics.")
    overall: WaitGroupOut = Field(description="All measured pathways that week.")
    deprivation_gap: DeprivationGapOut = Field(description="Q1 minus Q5 that week.")
    gap_at_treatment: TrendGapsOut | None = Field(
        default=None,
        description="Measured beside predicted gap at treatment per specialty (null on "
        "snapshots stored before it was kept).",
    )


class MeasureOut(BaseModel):
    """Entries with one data-quality problem."""

    count: int = Field(description="Entries with the problem.", examples=[37])
    pct: float | None = Field(
        description="Percentage (0-100) of the row's entries, 2 decimals; null with no entries.",
        examples=[9.25],
    )


def _measure(description: str) -> object:
    return Field(description=description)


class QualityRowOut(BaseModel):
    """Data quality of one specialty's open entries (parked ones included)."""

    specialty: str = Field(description="Treatment function code, or `all`.", examples=["110"])
    label: str = Field(description="Specialty name.", examples=["Trauma and Orthopaedics"])
    entries: int = Field(description="Open entries in the specialty.", examples=[400])
    ethnicity_not_stated: Annotated[MeasureOut, _measure("Ethnic category Z (not stated).")]
    ethnicity_not_known: Annotated[
        MeasureOut,
        _measure("Ethnic category 99 (not known); a blank at upload is stored as 99."),
    ]
    ethnicity_incomplete: Annotated[MeasureOut, _measure("Z or 99: no usable ethnicity.")]
    imd_unknown: Annotated[
        MeasureOut, _measure("No IMD decile (neither supplied nor found from the LSOA).")
    ]
    lsoa_missing: Annotated[MeasureOut, _measure("No LSOA code.")]
    lsoa_not_in_lookup: Annotated[
        MeasureOut, _measure("LSOA given but not in the IMD lookup (IMD source `unknown`).")
    ]
    priority_missing: Annotated[
        MeasureOut, _measure("No priority code (ranked as the rule set's unset_priority_as, P4).")
    ]
    priority_date_missing: Annotated[MeasureOut, _measure("No priority set/review date.")]
    priority_date_stale: Annotated[
        MeasureOut, _measure("Priority date more than `priority_stale_days` before the census.")
    ]
    last_validated_missing: Annotated[MeasureOut, _measure("No last-validated date.")]
    last_validated_stale: Annotated[
        MeasureOut, _measure("Last validated more than `validated_stale_days` before the census.")
    ]


class QualityThresholdsOut(BaseModel):
    """Staleness thresholds used (days before the census date)."""

    priority_stale_days: int = Field(description="Default 90.", examples=[90])
    validated_stale_days: int = Field(description="Default 84 (12 weeks).", examples=[84])


class DataQualityReportOut(BaseModel):
    """Completeness and freshness of the equity inputs on a provider's open PTL."""

    provider_code: str = Field(examples=["RZZ"])
    census_date: date
    thresholds: QualityThresholdsOut
    overall: QualityRowOut = Field(description="All specialties together.")
    by_specialty: list[QualityRowOut]


ReportFormat = Literal["json", "csv"]


class FailureGroupOut(BaseModel):
    """Offers of one group and how many failed (did not attend, arrived too late to be seen,
    cancelled by the patient, unfit at pre-op)."""

    group: str = Field(examples=["Q1 (most deprived)"])
    offers: int = Field(examples=[1180])
    failed: int = Field(examples=[366])
    observed_rate: float = Field(description="failed / offers.", examples=[0.31])
    predicted_rate: float | None = Field(
        description="The active risk model's mean predicted chance of failure for the same "
        "offers; null when no model is active.",
        examples=[0.3],
    )


class FailureRatesOut(BaseModel):
    """Failed offers by group, observed in the stored offer history and predicted by the
    active risk model (docs/support-model.md). Risk is never a priority factor."""

    provider_code: str = Field(examples=["RZZ"])
    specialty: str | None = Field(examples=["110"])
    offers: int = Field(description="Stored offers of the provider whose pathway is on a PTL.")
    failed: int
    observed_rate: float | None = Field(description="Null when there are no offers.")
    predicted_rate: float | None = Field(description="Null when no model is active.")
    first_offer: date | None = Field(description="Earliest offer date counted.")
    last_offer: date | None = Field(description="Latest offer date counted.")
    model_id: int | None = Field(description="The active risk model predicting (null: none).")
    predicted_for: str = Field(
        description="What the prediction is for: the same offers, as they stood when made "
        "(offers inside the model's training window show its fit, not its forecast)."
    )
    empty: str | None = Field(
        description="Why nothing (or nothing predicted) is shown, in plain words; null "
        "when both rates are shown."
    )
    dimensions: dict[
        Literal["imd_quintile", "ethnic_group", "sex", "age_band"], list[FailureGroupOut]
    ] = Field(description="Per dimension, its groups with at least one offer; empty: none.")


class BandGapOut(BaseModel):
    """One priority band's gap at treatment in a specialty (weeks, Q1 minus Q5)."""

    priority_code: str | None = Field(description="The band; null: every band.")
    week_observed_weeks: float | None = Field(description="Measured, this week's clock stops.")
    week_predicted_weeks: float | None = Field(description="Predicted for this week.")
    observed_weeks: float | None = Field(description="Measured, pooled since the version's effect.")
    predicted_weeks: float | None = Field(description="Predicted, pooled over the same weeks.")


class SpecialtyGapOut(BaseModel):
    """A specialty's Q1-Q5 gap in mean wait at treatment: measured from the week's clock
    stops, and predicted by the preview or calibration of the rule version in force for it
    (docs/calibration.md, "Watching the effect after publication")."""

    specialty: str = Field(examples=["110"])
    version_id: int | None = Field(description="The published version scoring the specialty.")
    prediction_id: int | None = Field(description="Its prediction; null: none (or past it).")
    prediction_week: int | None = Field(description="Week of the prediction (0: the first).")
    most_deprived_treated: int = Field(description="Quintile 1 clocks stopped this week.")
    least_deprived_treated: int = Field(description="Quintile 5 clocks stopped this week.")
    week_observed_weeks: float | None
    week_predicted_weeks: float | None
    observed_weeks: float | None = Field(description="Measured since the version took effect.")
    observed_standard_error_weeks: float | None
    predicted_weeks: float | None = Field(description="Predicted over the same weeks.")
    divergent: bool | None = Field(description="Beyond the tolerance and sampling noise.")
    by_priority: list[BandGapOut]


class TrendGapsOut(BaseModel):
    """The week's gap at treatment per specialty (clock stops in the 7 days to the census)."""

    window_from: date
    clock_stops: int
    specialties: list[SpecialtyGapOut]


class DivergenceOut(BaseModel):
    """A specialty's current run of weeks whose measured gap differs from the predicted."""

    specialty: str = Field(examples=["110"])
    version_id: int | None
    prediction_id: int | None
    divergent_weeks: int = Field(description="Consecutive divergent snapshots up to the latest.")
    flagged: bool = Field(description="Four or more: review the specialty's rules.")
    since_week: str | None = Field(description="ISO week the run started.", examples=["2026-W45"])
    observed_weeks: float | None
    predicted_weeks: float | None
    difference_weeks: float | None = Field(description="Measured minus predicted.")


class DivergenceReportOut(BaseModel):
    """Specialties whose measured gap at treatment parts from the predicted one."""

    provider_code: str = Field(examples=["RZZ"])
    latest_week: str | None = Field(description="The latest snapshot's ISO week.")
    tolerance_weeks: float = Field(description="EQUIWAIT_GAP_DIVERGENCE_TOLERANCE_WEEKS.")
    weeks_to_flag: int = Field(examples=[4])
    flagged: list[str] = Field(description="Specialties flagged for review.")
    specialties: list[DivergenceOut]


TrendPointOut.model_rebuild()

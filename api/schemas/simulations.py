"""Schemas of the simulations resource: the request and the equity impact result.

Every metric is defined in docs/simulation.md; the descriptions here are the short form.
Waits in weeks are days ÷ 7 (decimals); percentiles use the nearest-rank method.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.schemas.common import PROVIDER_CODE, TREATMENT_FUNCTION, FiniteFloat, JsonDocument, RowId
from prioritisation.simulation import (
    DEFAULT_SEED,
    DEFAULT_SUPPORT_EFFECT,
    DEFAULT_SUPPORT_PER_WEEK,
)
from prioritisation.simulation.support import MAX_SUPPORT_PER_WEEK

RATE_KEY = r"^[0-9]{3}(/(admitted|non_admitted))?$"
Rate = Annotated[FiniteFloat, Field(ge=0, le=1_000_000)]
BandRates = dict[Annotated[str, Field(pattern=r"^P[1-6][ab]?$")], Rate]
Rates = dict[Annotated[str, Field(pattern=RATE_KEY)], Rate | BandRates]
Chance = Annotated[FiniteFloat, Field(ge=0, le=1)]


class OfferModelIn(BaseModel):
    """The chance that an offer ends deferred or declined (docs/simulation.md §2). Every field
    left out keeps its documented default."""

    model_config = ConfigDict(extra="forbid")

    defer_by_quintile: dict[Annotated[str, Field(pattern=r"^([1-5]|unknown)$")], Chance] | None = (
        Field(
            default=None,
            description="Per IMD quintile (1 most deprived … 5, `unknown`): an offer ends deferred "
            "(did not attend, cancelled by the patient, unfit at pre-op).",
            examples=[{"1": 0.29, "2": 0.24, "3": 0.19, "4": 0.14, "5": 0.09, "unknown": 0.19}],
        )
    )
    decline_by_quintile: (
        dict[Annotated[str, Field(pattern=r"^([1-5]|unknown)$")], Chance] | None
    ) = Field(default=None, description="Per IMD quintile: a short-notice decline.")
    defer_by_inclusion: dict[Annotated[str, Field(pattern=r"^[a-z_]{1,40}$")], Chance] | None = (
        Field(default=None, description="Added to the deferral chance of a flagged entry.")
    )
    stage_factor: (
        dict[
            Annotated[str, Field(pattern=r"^(admitted|non_admitted)$")],
            Annotated[FiniteFloat, Field(ge=0, le=10)],
        ]
        | None
    ) = Field(default=None, description="Multiplies both chances per stage.")
    deferral_weeks: (
        dict[
            Annotated[str, Field(pattern=r"^(admitted|non_admitted)$")],
            Annotated[FiniteFloat, Field(ge=0, le=104)],
        ]
        | None
    ) = Field(default=None, description="Mean extra weeks unavailable per deferral.")


class RuleSetIn(BaseModel):
    """A candidate rule set: a stored version (`draft_id`) or a posted rule document.

    It replaces its specialty's rule set (or the default) in the rules in force.
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_.-]{0,39}$",
        description="Name in the result; `conventional` and `in_force` are reserved.",
        examples=["t_and_o_draft"],
    )
    draft_id: RowId | None = Field(
        default=None, description="Id of a rule set version (usually a draft).", examples=[12]
    )
    document: JsonDocument | None = Field(
        default=None,
        description="A complete rule set document (its `rule_set_id` names the specialty).",
    )

    @model_validator(mode="after")
    def _one_source(self) -> RuleSetIn:
        if (self.draft_id is None) == (self.document is None):
            raise ValueError("give exactly one of draft_id or document")
        return self


class SimulationIn(BaseModel):
    """What to simulate. Every field but `provider` has a documented default."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "provider": "RZZ",
                    "specialties": ["110"],
                    "weeks": 52,
                    "seed": DEFAULT_SEED,
                    "capacity": {"110/admitted": 40},
                    "rule_sets": [{"name": "t_and_o_draft", "draft_id": 12}],
                }
            ]
        },
    )

    provider: str = Field(pattern=PROVIDER_CODE, description="Provider ODS code.")
    specialties: list[Annotated[str, Field(pattern=TREATMENT_FUNCTION)]] | None = Field(
        default=None,
        max_length=100,
        description="Treatment function codes to simulate (default: every specialty).",
    )
    census_date: date | None = Field(
        default=None, description="First simulated week (default today; not in the future)."
    )
    weeks: int = Field(default=52, ge=1, le=104, description="Horizon in weeks.")
    seed: int = Field(
        default=DEFAULT_SEED,
        ge=0,
        le=2**32 - 1,
        description="Seed of the referral stream: the same seed gives the same result.",
    )
    capacity: Rates | None = Field(
        default=None,
        description="Treatments per week by specialty (`110`, split over its lists by inflow) "
        'or list (`110/admitted`), as a number or per priority (`{"P2": 5, "P3": 12}`). '
        "Default: recent clock stops when the uploads cover four weeks or more, else the "
        "list's referrals (the list size holds steady); a list's capacity is shared between "
        "priority bands by recent clock stops per priority, else by each band's referrals.",
        examples=[{"110": 60, "120/non_admitted": {"P2": 5, "P3": 12, "P4": 8}}],
    )
    referrals_per_week: Rates | None = Field(
        default=None,
        description="New referrals per week, keyed like `capacity`. Default: the band's "
        "ranked pathways with a clock start in the last 4 weeks, divided by 4.",
        examples=[{"110": 60}],
    )
    offer_model: OfferModelIn | None = Field(
        default=None,
        description="Chances that an offer fails. Default: estimated from the list's "
        "patient-deferred (P5/P6) and did-not-attend (RTT status 33) entries when it has "
        "enough of them, else the documented defaults.",
    )
    last_chance: bool = Field(
        default=True,
        description="Rank with the last-chance range, using each band's capacity "
        "(docs/scoring.md §4.1).",
    )
    support_per_week: int = Field(
        default=DEFAULT_SUPPORT_PER_WEEK,
        ge=0,
        le=MAX_SUPPORT_PER_WEEK,
        description="Patients a week given support (k): the most at risk of a failed offer "
        "among those about to be offered a date. Every rule set is also simulated with it "
        "(`<name>+support`); 0 simulates no support. Default 50 (docs/simulation.md §8).",
    )
    support_effect: FiniteFloat = Field(
        default=DEFAULT_SUPPORT_EFFECT,
        gt=0,
        le=1,
        description="Share of a supported patient's deferral chance that support removes. "
        "Default 0.25, from reminder trials (docs/simulation.md §8).",
    )
    risk_model: bool = Field(
        default=True,
        description="Use the active risk model's per-pathway chances of a failed offer in "
        "place of the group chances (when a model is active).",
    )
    rule_sets: list[RuleSetIn] = Field(
        default_factory=list,
        max_length=4,
        description="Candidates to compare; the rules in force (`in_force`) and the "
        "conventional order (`conventional`) are always included.",
    )


class WaitStatsOut(BaseModel):
    """Waits of one group (statistics are null when the group is empty)."""

    count: int = Field(description="Pathways in the group.", examples=[412])
    median_days: int | None = Field(description="Median wait (nearest rank), days.")
    median_weeks: float | None = Field(description="median_days / 7.", examples=[14.0])
    mean_weeks: float | None = Field(description="Mean wait, weeks.", examples=[15.2])
    p92_days: int | None = Field(description="92nd-percentile wait (nearest rank), days.")
    p92_weeks: float | None = Field(description="p92_days / 7.", examples=[31.3])
    over_18_weeks: int = Field(description="Waits over 126 days.")
    over_52_weeks: int = Field(description="Waits over 364 days.")
    pct_over_18_weeks: float | None = Field(description="% of the group over 18 weeks.")
    pct_over_52_weeks: float | None = Field(description="% of the group over 52 weeks.")


class GapOut(BaseModel):
    """IMD quintile 1 (most deprived) minus quintile 5; positive: quintile 1 waits longer."""

    most_deprived_count: int
    least_deprived_count: int
    median_weeks: float | None = Field(description="Q1 minus Q5 median, weeks.", examples=[2.1])
    mean_weeks: float | None = Field(description="Q1 minus Q5 mean, weeks.", examples=[2.4])
    p92_weeks: float | None = Field(description="Q1 minus Q5 p92, weeks.")
    pct_over_18_weeks_points: float | None = Field(
        description="Q1 minus Q5 share over 18 weeks, percentage points."
    )
    pct_over_52_weeks_points: float | None = Field(
        description="Q1 minus Q5 share over 52 weeks, percentage points."
    )


class EndOut(BaseModel):
    """The ranked list left on the end date."""

    date: date
    waiting: int = Field(description="Ranked (not parked) pathways still waiting.")
    parked: int = Field(description="Parked pathways (never treated by the simulation).")
    within_18_weeks_pct: float | None = Field(
        description="% of waiting pathways at 126 days or less (the standard is 92%)."
    )
    over_52_weeks: int
    over_65_weeks: int
    over_78_weeks: int
    by_imd_quintile: dict[str, WaitStatsOut]
    by_ethnic_group: dict[str, WaitStatsOut]
    deprivation_gap: GapOut


class PriorityBreachesOut(BaseModel):
    """Pathways of one priority past their target (null: the priority has no target)."""

    priority_code: str = Field(examples=["P3"])
    target_days: int | None = Field(description="The default rule set's target.", examples=[90])
    treated: int
    treated_over_target: int | None = Field(description="Treated after waiting > target.")
    waiting: int
    waiting_over_target: int | None = Field(description="Still waiting at the end, > target.")


class GroupChangeOut(BaseModel):
    """A group's wait at treatment minus under the conventional order (positive: longer)."""

    dimension: str = Field(description="`imd_quintile` or `ethnic_group`.")
    group: str = Field(examples=["1"])
    count: int = Field(description="Pathways of the group treated under this rule set.")
    median_change_weeks: float | None
    p92_change_weeks: float | None


class WeekPointOut(BaseModel):
    """The ranked list on a week's date, before its treatments (the last point: the end)."""

    week: int
    date: date
    waiting: int
    over_18_weeks: int
    over_52_weeks: int
    treated: int


class RuleSetOutcomeOut(BaseModel):
    """Everything reported for one rule set over the horizon."""

    name: str = Field(examples=["in_force"])
    treated: WaitStatsOut = Field(description="Waits at treatment of every treated pathway.")
    treated_within_18_weeks_pct: float | None
    treated_by_imd_quintile: dict[str, WaitStatsOut] = Field(
        description="Keys `1` (most deprived) .. `5`, `unknown`."
    )
    treated_by_ethnic_group: dict[str, WaitStatsOut] = Field(
        description="Broad groups, `not_stated`, `not_known`, `unknown`."
    )
    deprivation_gap: GapOut = Field(description="Of the waits at treatment.")
    end: EndOut
    priority_breaches: list[PriorityBreachesOut]
    treated_over_target: int
    waiting_over_target: int
    versus_conventional: list[GroupChangeOut] = Field(
        description="Empty for `conventional` itself."
    )
    largest_increase: GroupChangeOut | None = Field(
        description="The group whose median wait at treatment rises most against the "
        "conventional order (zero or negative: no group waits longer)."
    )
    weekly: list[WeekPointOut]
    gap_closed: GapShareOut | None = Field(
        description="Share of the conventional Q1-Q5 gap in wait at treatment this rule set "
        "closes (null for `conventional`)."
    )
    gap_by_priority: list[BandGapOut]
    long_waiters: int = Field(
        description="Treated after more than 52 weeks, or still waiting past 52 weeks at the end."
    )
    delay: DelayOut | None = Field(description="Null for `conventional`.")
    offers: OfferSummaryOut
    weeks_past_target: float = Field(
        description="Weeks beyond the priority's target, summed over the pathways with a "
        "target treated or still waiting at the end."
    )
    weeks_over_52: float = Field(
        description="Weeks beyond 52, summed over the pathways treated or still waiting."
    )


class GapShareOut(BaseModel):
    """1 - gap / conventional gap: 1 closes it, above 1 reverses it, below 0 widens it; null
    when the conventional gap is not positive."""

    mean: float | None = Field(examples=[0.62])
    median: float | None = Field(examples=[0.85])


class BandGapOut(BaseModel):
    """One priority band's Q1-Q5 gap in wait at treatment and the share closed."""

    priority_code: str = Field(examples=["P3"])
    treated: int
    mean_weeks: float | None
    median_weeks: float | None
    closed: GapShareOut | None


class DelayOut(BaseModel):
    """Patients treated later than under the conventional order (weeks)."""

    treated_in_both: int
    max_delay_weeks: float | None
    max_delay_past_target_weeks: float | None = Field(
        description="The largest delay of a patient already past target when the "
        "conventional order treated them."
    )
    past_target_treated_later: int
    not_treated: int = Field(
        description="Treated within the horizon conventionally, not under this rule set."
    )
    not_treated_past_target: int


class OfferSummaryOut(BaseModel):
    """Offers made, declined and deferred; weeks unavailable per IMD quintile (treated)."""

    offers: int
    declined: int
    deferred: int
    unavailable_weeks_by_imd_quintile: dict[str, float | None]
    supported: int = Field(description="Support given (a patient supported twice counts twice).")
    supported_by_imd_quintile: dict[str, int] | None = Field(
        description="Support given per IMD quintile; null for a run without support."
    )


class BandPlanOut(BaseModel):
    priority_code: str = Field(examples=["P3"])
    ranked_entries: int
    recent_clock_starts: int
    referrals_per_week: float
    capacity_per_week: float
    urgent: bool = Field(description="Booked on the day (target under 7 days).")


class ListPlanOut(BaseModel):
    """One list (provider/treatment function/stage): its size and weekly rates."""

    list_key: str = Field(examples=["RZZ/110/admitted"])
    provider_code: str
    treatment_function_code: str
    pathway_stage: str
    ranked_entries: int
    parked_entries: int
    recent_clock_starts: int = Field(description="Ranked, clock start in the last 4 weeks.")
    referrals_per_week: float
    referral_source: str = Field(description="`supplied` or `recent_clock_starts`.")
    capacity_per_week: float
    capacity_source: str = Field(description="`supplied`, `recent_clock_stops` or `inflow`.")
    capacity_split: str = Field(
        description="How capacity is shared between bands: `supplied`, `share` (recent clock "
        "stops per priority) or `referrals`."
    )
    bands: list[BandPlanOut]


class RuleSetSourceOut(BaseModel):
    name: str
    source: str = Field(description="Where the rule set came from.")


class SupportShareOut(BaseModel):
    """Shares of the conventional order's Q1-Q5 gap (mean wait at treatment) closed; null
    when the conventional gap is not positive."""

    rule_set: str = Field(examples=["in_force"])
    reordering_alone: float | None = Field(description="The rule set, without support.")
    support_alone: float | None = Field(description="The conventional order with support.")
    both: float | None = Field(description="The rule set with support.")


class SupportOut(BaseModel):
    """The support intervention simulated and what it closes."""

    support_per_week: int = Field(examples=[50])
    support_effect: float = Field(examples=[0.25])
    comparison: list[SupportShareOut]


class FailureChancesOut(BaseModel):
    source: str = Field(
        description="`groups` (the offer model's chances) or `per_patient` (a risk model's)."
    )
    entries: int = Field(description="Starting entries with a per-patient chance.")


class RiskModelUseOut(BaseModel):
    used: bool = Field(description="Whether an active risk model's probabilities were used.")
    model_id: int | None
    reason: str
    mean_probability: float | None = Field(
        default=None, description="Mean predicted chance of a failed offer over the list."
    )


class SimulationOut(BaseModel):
    """The simulated outcome of every rule set; `conventional` first, then `in_force`."""

    provider_code: str = Field(examples=["RZZ"])
    specialties: list[str] | None = Field(examples=[["110"]])
    generated_at: datetime = Field(examples=["2026-11-23T10:15:02Z"])
    rule_set_sources: list[RuleSetSourceOut]
    notes: list[str]
    census_date: date = Field(examples=["2026-11-23"])
    end_date: date = Field(examples=["2027-11-22"])
    weeks: int = Field(examples=[52])
    seed: int = Field(examples=[DEFAULT_SEED])
    reference_rule_set: str = Field(
        description="Whose priority bands, parking and targets the conventional order and "
        "the breach counts use.",
        examples=["in_force"],
    )
    starting_entries: int = Field(examples=[4449])
    starting_ranked: int = Field(examples=[4318])
    new_referrals: int = Field(examples=[3120])
    lists: list[ListPlanOut]
    rule_sets: list[RuleSetOutcomeOut]
    offer_model: dict[str, Any] = Field(
        description="The chances of a failed offer used, and their `source` (`default`, "
        "`supplied` or `estimated`)."
    )
    last_chance: bool
    capacity_split: str = Field(description="`bands` (each band's share) or `priority_first`.")
    failure_chances: FailureChancesOut
    support: SupportOut | None = Field(
        description="Null when no support was simulated (`support_per_week` 0)."
    )
    risk_model: RiskModelUseOut

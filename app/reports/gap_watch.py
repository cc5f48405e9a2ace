"""Watching the effect after publication: the measured gap at treatment beside the predicted
one per specialty, week by week, and the specialties where they part for four weeks running.

Why "since the version took effect": one week's clock stops in one specialty are few, so its
gap swings by weeks from sampling alone; pooled from the week the rules took effect, the
measured gap settles, and the simulation's figure is the same pooled measure (its gap over
the patients treated from its census date). Each week the measured and predicted sums are
added over the same weeks, so a week without a snapshot counts on neither side. The method,
the tolerance and the limits: docs/calibration.md, "Watching the effect after publication".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.reports.snapshots import list_snapshots
from app.reports.treated_gaps import WINDOW_DAYS
from app.rules.predictions import published_predictions
from models import GapPrediction
from models.base import as_utc
from models.rules import DEFAULT_SPECIALTY, PUBLISHED, RuleSetVersion
from prioritisation.treated_gaps import ALL_BANDS, CellKey, GapSums, cells_from_json

DIVERGENT_WEEKS_TO_FLAG = 4
"""Consecutive weekly snapshots a specialty must diverge in before it is flagged."""
NOISE_Z = 1.96
"""A difference within this many standard errors of the measured gap is sampling noise."""


@dataclass(frozen=True, slots=True)
class BandGap:
    """One band (``priority_code`` None: every band) of a specialty in one week."""

    priority_code: str | None
    week_observed_weeks: float | None
    week_predicted_weeks: float | None
    observed_weeks: float | None
    predicted_weeks: float | None


@dataclass(frozen=True, slots=True)
class SpecialtyGap:
    """A specialty's measured gap at treatment in one snapshot, and the prediction of the
    version in force for it through that snapshot's week (when that version has one).

    ``week_*`` are the week's own figures; ``observed_weeks`` and ``predicted_weeks`` are
    pooled over the snapshots since the version took effect; ``divergent`` compares those two
    (None: nothing to compare).
    """

    specialty: str
    version_id: int | None
    prediction_id: int | None
    prediction_week: int | None
    most_deprived_treated: int
    least_deprived_treated: int
    week_observed_weeks: float | None
    week_predicted_weeks: float | None
    observed_weeks: float | None
    observed_standard_error_weeks: float | None
    predicted_weeks: float | None
    divergent: bool | None
    by_priority: list[BandGap] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class WeekGaps:
    week: str
    iso_year: int
    iso_week: int
    census_date: date
    window_from: date
    clock_stops: int
    specialties: list[SpecialtyGap]


@dataclass(frozen=True, slots=True)
class _Version:
    id: int
    specialty: str
    effective_from: datetime
    published_at: datetime | None


def _versions(session: Session) -> list[_Version]:
    rows = session.execute(
        select(
            RuleSetVersion.id,
            RuleSetVersion.specialty,
            RuleSetVersion.effective_from,
            RuleSetVersion.published_at,
        ).where(RuleSetVersion.status == PUBLISHED, RuleSetVersion.effective_from.is_not(None))
    ).all()
    out = []
    for version_id, specialty, effective, published in rows:
        if effective is not None:
            moment = as_utc(published) if published is not None else None
            out.append(_Version(version_id, specialty, as_utc(effective), moment))
    return out


def _in_force(versions: Sequence[_Version], specialty: str, at: datetime) -> _Version | None:
    """The version scoring ``specialty`` at ``at``: its own, else the default's (the greatest
    ``effective_from <= at``; ties: latest publication, then highest id)."""
    for key in (specialty, DEFAULT_SPECIALTY):
        mine = [v for v in versions if v.specialty == key and v.effective_from <= at]
        if mine:
            return max(
                mine,
                key=lambda v: (v.effective_from, v.published_at or v.effective_from, v.id),
            )
    return None


def _gap(sums: GapSums | None) -> float | None:
    return None if sums is None else sums.gap_weeks


def _add(into: dict[str, GapSums], key: str, sums: GapSums | None) -> None:
    if sums is not None:
        into[key] = into[key] + sums if key in into else sums


@dataclass
class _Pool:
    """Sums pooled since a version took effect, per band (ALL_BANDS: every band)."""

    version_id: int
    observed: dict[str, GapSums] = field(default_factory=dict)
    predicted: dict[str, GapSums] = field(default_factory=dict)


def _prediction_cells(prediction: GapPrediction) -> dict[CellKey, GapSums]:
    return cells_from_json(prediction.cells)


def observed_and_predicted(
    session: Session, provider_code: str, *, tolerance_weeks: float
) -> list[WeekGaps]:
    """Every snapshot that kept its gaps at treatment, oldest first, with each specialty's
    measured and predicted gap (see the module docstring)."""
    versions = _versions(session)
    predictions = {
        version.id: (prediction, _prediction_cells(prediction))
        for prediction, version in published_predictions(session, provider_code)
    }
    pools: dict[str, _Pool] = {}
    out: list[WeekGaps] = []
    for snapshot in list_snapshots(session, provider_code):
        gaps = snapshot.treated_gaps
        if gaps is None:
            continue
        observed = cells_from_json(gaps["cells"])
        window_from = snapshot.census_date - timedelta(days=WINDOW_DAYS - 1)
        start = datetime.combine(window_from, time.min, tzinfo=UTC)
        specialties = {s for s, _, _ in observed}
        for _, cells in predictions.values():
            specialties |= {s for s, _, _ in cells}
        rows = []
        for specialty in sorted(specialties):
            version = _in_force(versions, specialty, start)
            predicted = predictions.get(version.id) if version is not None else None
            week: int | None = None
            if version is not None and predicted is not None:
                week = (window_from - version.effective_from.date()).days // 7
                if week >= predicted[0].weeks:
                    week = None
            rows.append(
                _specialty_gap(
                    specialty, version, predicted, week, observed, pools, tolerance_weeks
                )
            )
        rows = [r for r in rows if r.prediction_week is not None or _has_observed(r)]
        out.append(
            WeekGaps(
                week=f"{snapshot.iso_year}-W{snapshot.iso_week:02d}",
                iso_year=snapshot.iso_year,
                iso_week=snapshot.iso_week,
                census_date=snapshot.census_date,
                window_from=window_from,
                clock_stops=int(gaps.get("clock_stops", 0)),
                specialties=rows,
            )
        )
    return out


def _has_observed(row: SpecialtyGap) -> bool:
    return bool(row.most_deprived_treated or row.least_deprived_treated)


def _specialty_gap(
    specialty: str,
    version: _Version | None,
    predicted: tuple[GapPrediction, dict[CellKey, GapSums]] | None,
    week: int | None,
    observed: dict[CellKey, GapSums],
    pools: dict[str, _Pool],
    tolerance_weeks: float,
) -> SpecialtyGap:
    bands = sorted(
        {p for s, p, _ in observed if s == specialty}
        | ({p for s, p, _ in predicted[1] if s == specialty} if predicted else set())
    )
    whole = observed.get((specialty, ALL_BANDS, 0))
    pool: _Pool | None = None
    if predicted is not None and week is not None and version is not None:
        pool = pools.get(specialty)
        if pool is None or pool.version_id != version.id:
            pool = pools[specialty] = _Pool(version.id)
        for band in bands:
            _add(pool.observed, band, observed.get((specialty, band, 0)))
            _add(pool.predicted, band, predicted[1].get((specialty, band, week)))
    else:
        pools.pop(specialty, None)

    def band_row(band: str) -> BandGap:
        mine = predicted[1].get((specialty, band, week)) if predicted and week is not None else None
        return BandGap(
            priority_code=band or None,
            week_observed_weeks=_gap(observed.get((specialty, band, 0))),
            week_predicted_weeks=_gap(mine),
            observed_weeks=_gap(pool.observed.get(band)) if pool else None,
            predicted_weeks=_gap(pool.predicted.get(band)) if pool else None,
        )

    total = band_row(ALL_BANDS)
    pooled = pool.observed.get(ALL_BANDS) if pool else None
    error = pooled.standard_error_weeks if pooled is not None else None
    divergent: bool | None = None
    if total.observed_weeks is not None and total.predicted_weeks is not None:
        difference = abs(total.observed_weeks - total.predicted_weeks)
        noise = NOISE_Z * error if error is not None else 0.0
        divergent = difference > tolerance_weeks and difference > noise
    return SpecialtyGap(
        specialty=specialty,
        version_id=version.id if version is not None else None,
        prediction_id=predicted[0].id if predicted is not None and week is not None else None,
        prediction_week=week,
        most_deprived_treated=whole.q1_count if whole else 0,
        least_deprived_treated=whole.q5_count if whole else 0,
        week_observed_weeks=total.week_observed_weeks,
        week_predicted_weeks=total.week_predicted_weeks,
        observed_weeks=total.observed_weeks,
        observed_standard_error_weeks=error,
        predicted_weeks=total.predicted_weeks,
        divergent=divergent,
        by_priority=[band_row(b) for b in bands if b != ALL_BANDS],
    )


@dataclass(frozen=True, slots=True)
class Divergence:
    """A specialty's current run of divergent weeks (ending at the latest snapshot)."""

    specialty: str
    version_id: int | None
    prediction_id: int | None
    divergent_weeks: int
    flagged: bool
    since_week: str | None
    observed_weeks: float | None
    predicted_weeks: float | None
    difference_weeks: float | None


def _monday(week: WeekGaps) -> date:
    return date.fromisocalendar(week.iso_year, week.iso_week, 1)


def divergence(weeks: Sequence[WeekGaps]) -> list[Divergence]:
    """Per specialty with a prediction in the latest snapshot: how many consecutive weekly
    snapshots, up to the latest, diverged; flagged from ``DIVERGENT_WEEKS_TO_FLAG``. A week
    with no snapshot, not divergent, or with nothing to compare ends a run."""
    if not weeks:
        return []
    latest = weeks[-1]
    by_week = {_monday(w): {s.specialty: s for s in w.specialties} for w in weeks}
    out = []
    for row in latest.specialties:
        if row.prediction_id is None:
            continue
        run, day, since = 0, _monday(latest), None
        while day in by_week:
            mine = by_week[day].get(row.specialty)
            if mine is None or not mine.divergent or mine.version_id != row.version_id:
                break
            run, since = run + 1, day
            day -= timedelta(weeks=1)
        difference = (
            row.observed_weeks - row.predicted_weeks
            if row.observed_weeks is not None and row.predicted_weeks is not None
            else None
        )
        year, number, _ = since.isocalendar() if since else (0, 0, 0)
        out.append(
            Divergence(
                specialty=row.specialty,
                version_id=row.version_id,
                prediction_id=row.prediction_id,
                divergent_weeks=run,
                flagged=run >= DIVERGENT_WEEKS_TO_FLAG,
                since_week=f"{year}-W{number:02d}" if since else None,
                observed_weeks=row.observed_weeks,
                predicted_weeks=row.predicted_weeks,
                difference_weeks=difference,
            )
        )
    return out

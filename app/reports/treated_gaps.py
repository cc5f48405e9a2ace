"""The measured gap: Q1-Q5 mean wait at treatment of the pathways whose clock stopped in the
week to a snapshot's census date, per specialty and band.

Why clock stops: the simulation (and so a preview or calibration) predicts the gap among
patients *treated*, not among those still waiting; a pathway closed by an upload is the
service's record of a clock stop (``app/simulations/capacity.py`` reads the same closures as
capacity). Closures include validation removals, so the measure carries them too
(docs/metrics.md, "The gap at treatment").
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import PtlEntry
from prioritisation.treated_gaps import GapCells, cells_to_json

WINDOW_DAYS = 7


def window(census_date: date) -> tuple[datetime, datetime]:
    """The 7 days to ``census_date`` inclusive, as UTC moments [start, end)."""
    end = datetime.combine(census_date + timedelta(days=1), time.min, tzinfo=UTC)
    return end - timedelta(days=WINDOW_DAYS), end


def measured_treated_gaps(
    session: Session, provider_code: str, census_date: date
) -> dict[str, Any]:
    """The week's gap sums as a snapshot stores them: the window, how many clocks stopped,
    and one cell per specialty and band (``priority_code`` null: every band) with week 0."""
    start, end = window(census_date)
    rows = session.execute(
        select(
            PtlEntry.treatment_function_code,
            PtlEntry.priority_code,
            PtlEntry.imd_decile,
            PtlEntry.rtt_clock_start,
            PtlEntry.closed_at,
        ).where(
            PtlEntry.provider_code == provider_code,
            PtlEntry.is_open.is_(False),
            PtlEntry.closed_at >= start,
            PtlEntry.closed_at < end,
        )
    ).all()
    specialty = np.array([r[0] for r in rows], dtype=str)
    priority = np.array([r[1] or "" for r in rows], dtype=str)
    decile = np.array([r[2] or 0 for r in rows], dtype=np.int64)
    waits = np.array(
        [(r[4].date() - r[3]).days if r[4] is not None else -1 for r in rows], dtype=np.int64
    )
    stopped = waits >= 0
    cells = GapCells.of(specialty, priority, decile).table(
        waits, np.where(stopped, 0, -1), periods=1
    )
    return {
        "window_from": start.date().isoformat(),
        "window_to": census_date.isoformat(),
        "clock_stops": int(stopped.sum()),
        "cells": cells_to_json(cells),
    }

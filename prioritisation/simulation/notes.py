"""Plain-English notes on a simulation result: what a reader might otherwise misread.

Why: a new user saw the end-of-horizon 18-week share fall from 57% to 29% under every rule set
with no explanation. The list's throughput fixes how old the list becomes (Little's law), so
when the list at the census is younger or older than its throughput sustains, every rule set
ages or rejuvenates it alike; the note says so with the list's own numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from prioritisation.metrics import DAYS_PER_WEEK, OVER_18_WEEKS_DAYS
from prioritisation.simulation.outcomes import RuleSetOutcome
from prioritisation.simulation.plan import ListPlan

SHIFT_POINTS = 5.0
"""A change in the 18-week share this large (percentage points) gets a note."""


def horizon_notes(
    outcomes: Sequence[RuleSetOutcome], lists: Sequence[ListPlan], start_waits: NDArray[np.int64]
) -> list[str]:
    notes: list[str] = []
    conventional = outcomes[0]
    end_share = conventional.end.within_18_weeks_pct
    if start_waits.size and end_share is not None:
        start_share = float(100.0 * (start_waits <= OVER_18_WEEKS_DAYS).mean())
        capacity = sum(plan.capacity_per_week for plan in lists)
        referrals = sum(plan.referrals_per_week for plan in lists)
        if abs(end_share - start_share) >= SHIFT_POINTS and capacity > 0:
            settle = len(start_waits) / capacity
            mean_now = float(start_waits.mean()) / DAYS_PER_WEEK
            direction = "falls" if end_share < start_share else "rises"
            notes.append(
                f"The 18-week share of the waiting list {direction} from {start_share:.0f}% to "
                f"{end_share:.0f}% under the conventional order, and alike under every rule set: "
                f"it is set by capacity, not by the order. With {capacity:,.1f} treatments and "
                f"{referrals:,.1f} referrals a week, a list of {len(start_waits):,} settles at a "
                f"mean wait of about {settle:,.0f} weeks (Little's law: list size / "
                f"throughput); at the census its mean wait is {mean_now:,.0f} weeks. Referrals "
                "default to the clock starts of the last 4 weeks (a lower bound); supply "
                "referrals_per_week and capacity from activity data to test other figures."
            )
    deferred = conventional.offers.deferred
    if conventional.offers.offers:
        share = 100.0 * deferred / conventional.offers.offers
        notes.append(
            f"{share:.0f}% of offers under the conventional order ended deferred (did not "
            "attend, cancelled by the patient, or unfit at pre-op assessment); the same "
            "patients' offers fail alike under every rule set."
        )
    return notes

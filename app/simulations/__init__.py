"""Equity impact simulation over the API: load the list and rules, simulate, report."""

from app.simulations.errors import (
    InvalidSimulation,
    NoOpenList,
    RuleVersionNotFound,
    SimulationError,
)
from app.simulations.service import (
    DRAFT,
    IN_FORCE,
    Candidate,
    SimulationRequest,
    SimulationRun,
    run_simulation,
    simulate_draft_impact,
    simulate_draft_run,
)

__all__ = [
    "DRAFT",
    "IN_FORCE",
    "Candidate",
    "InvalidSimulation",
    "NoOpenList",
    "RuleVersionNotFound",
    "SimulationError",
    "SimulationRequest",
    "SimulationRun",
    "run_simulation",
    "simulate_draft_impact",
    "simulate_draft_run",
]

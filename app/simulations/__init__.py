"""Equity impact simulation over the API: load the list and rules, simulate, report."""

from app.simulations.errors import (
    InvalidSimulation,
    NoOpenList,
    RuleVersionNotFound,
    SimulationError,
)
from app.simulations.service import (
    IN_FORCE,
    Candidate,
    SimulationRequest,
    SimulationRun,
    run_simulation,
    simulate_draft_impact,
)

__all__ = [
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
]

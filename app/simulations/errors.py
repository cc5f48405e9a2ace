"""Refusals of the simulation service, each with its HTTP status (``app.errors``)."""

from __future__ import annotations

from app.errors import ServiceError
from prioritisation import RuleProblem


class SimulationError(ServiceError):
    """Base of every refusal by the simulation service."""

    status = 422
    problem = "unprocessable"


class NoOpenList(SimulationError):
    """The provider has no open PTL entries (in the specialties asked for) (404)."""

    status = 404
    problem = "not-found"


class RuleVersionNotFound(SimulationError):
    """A candidate names a rule set version id that does not exist (404)."""

    status = 404
    problem = "not-found"


class InvalidSimulation(SimulationError):
    """The request cannot be simulated as asked (422); ``problems`` name JSON paths when the
    cause is a rule document."""

    problem = "simulation-invalid"

    def __init__(self, message: str, problems: list[RuleProblem] | None = None) -> None:
        self.problems = problems or []
        super().__init__(
            message,
            extensions={"errors": [{"path": p.path, "message": p.message} for p in self.problems]},
        )

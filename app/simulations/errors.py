"""Refusals of the simulation service; the API maps each to one status code."""

from __future__ import annotations

from prioritisation import RuleProblem


class SimulationError(Exception):
    """Base of every refusal by the simulation service."""


class NoOpenList(SimulationError):
    """The provider has no open PTL entries (in the specialties asked for) (404)."""


class RuleVersionNotFound(SimulationError):
    """A candidate names a rule set version id that does not exist (404)."""


class InvalidSimulation(SimulationError):
    """The request cannot be simulated as asked (422); ``problems`` name JSON paths when the
    cause is a rule document."""

    def __init__(self, message: str, problems: list[RuleProblem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []

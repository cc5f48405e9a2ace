"""Refusals of the rules service, each with its HTTP status (``app.errors``)."""

from __future__ import annotations

from app.errors import ServiceError
from prioritisation import RuleProblem


class RulesError(ServiceError):
    """Base of every refusal by the rules service."""


class UnknownSpecialty(RulesError):
    """The specialty is neither ``default`` nor a known treatment function code (404)."""

    status = 404
    problem = "not-found"

    def __init__(self, specialty: str) -> None:
        super().__init__(
            f"specialty {specialty!r} is neither 'default' nor a known treatment function code"
        )


class VersionNotFound(RulesError):
    """No such version (or draft) of the specialty's rule set (404)."""

    status = 404
    problem = "not-found"


class NotADraft(RulesError):
    """Only drafts change; published versions are immutable (409)."""

    status = 409
    problem = "not-a-draft"


class StaleVersion(RulesError):
    """The draft changed since the caller read it: its If-Match is out of date (412)."""

    status = 412
    problem = "precondition-failed"

    def __init__(self, expected: int, current: int | None) -> None:
        self.expected = expected
        self.current = current
        now = "it has since been published or discarded" if current is None else f"now {current}"
        super().__init__(
            f"the draft changed since you read it (your version {expected}, {now}); "
            "reload it and apply your edit again"
        )


class ConcurrentChange(RulesError):
    """Another request created a version at the same moment; retrying succeeds (409)."""

    status = 409
    problem = "conflict"


class RuleDocumentInvalid(RulesError):
    """The document fails the core's validation; every problem has its JSON path (422)."""

    status = 422
    problem = "rule-document-invalid"

    def __init__(self, problems: list[RuleProblem]) -> None:
        self.problems = problems
        super().__init__(
            f"rule document rejected: {len(problems)} problem(s)",
            extensions={"errors": [{"path": p.path, "message": p.message} for p in problems]},
        )


class InvalidRequest(RulesError):
    """A request the service refuses for a reason other than the document (422)."""

    status = 422
    problem = "unprocessable"


class ImpactNotReviewed(RulesError):
    """The draft, as it stands, was never previewed with its impact simulation (409)."""

    status = 409
    problem = "impact-not-reviewed"

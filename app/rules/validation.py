"""Validate a rule document with the prioritisation core, every problem with its JSON path.

Why collect rather than stop at the first: a clinician fixes a rejected document in one pass.
Three layers: the pydantic schema (types, ranges, cross-field checks), the default document's
declared bounds and vocabulary, and fit with the other rule sets in force or scheduled. The
shipped default's bounds hold throughout: a new default is checked against them like a
specialty, and a specialty against them as well as against every default that will apply.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.rules.errors import RuleDocumentInvalid
from app.rules.in_force import in_force_rows, shipped_default_document
from models.rules import DEFAULT_SPECIALTY, PUBLISHED, RuleSetVersion
from prioritisation import RuleProblem, RuleSet, bounds_problems, shipped_bounds_problems
from prioritisation.bounds import vocabulary_problems

# The core joins several "path: message" problems with "; " (messages may contain "; " too).
_PROBLEM_SPLIT = re.compile(r"; (?=[\w/.*]+: )")
_PATH = re.compile(r"[\w/.*]+")


def _join(*parts: str) -> str:
    return ".".join(p for p in parts if p)


def schema_problems(exc: ValidationError) -> list[RuleProblem]:
    """Pydantic errors as problems with dotted paths (a model check's own paths appended)."""
    problems: list[RuleProblem] = []
    for error in exc.errors():
        location = ".".join(str(part) for part in error["loc"])
        cause = (error.get("ctx") or {}).get("error")
        if error["type"] != "value_error" or not isinstance(cause, ValueError):
            problems.append(RuleProblem(location or "(document)", error["msg"]))
            continue
        for part in _PROBLEM_SPLIT.split(str(cause)):
            head, sep, message = part.partition(": ")
            if sep and _PATH.fullmatch(head):
                problems.append(RuleProblem(_join(location, head), message))
            else:
                problems.append(RuleProblem(location or "(document)", part))
    return problems


def parse_document(document: Mapping[str, Any], specialty: str) -> RuleSet:
    """The document as a RuleSet with its own checks passed (RuleDocumentInvalid otherwise)."""
    try:
        rule_set = RuleSet.model_validate(dict(document))
    except ValidationError as exc:
        raise RuleDocumentInvalid(schema_problems(exc)) from exc
    if rule_set.rule_set_id != specialty:
        raise RuleDocumentInvalid(
            [RuleProblem("rule_set_id", f"must be {specialty!r}, the specialty in the address")]
        )
    return rule_set


def default_problems(rule_set: RuleSet) -> list[RuleProblem]:
    """What the default document must declare for itself and how it breaks the shipped
    default's bounds (as the core's RuleBook checks): a new default cannot widen them."""
    problems: list[RuleProblem] = []
    if rule_set.bounds is None:
        problems.append(RuleProblem("bounds", "the default document must declare it"))
    if rule_set.vocabulary is None:
        problems.append(RuleProblem("vocabulary", "the default document must declare it"))
    else:
        problems += vocabulary_problems(rule_set, rule_set)
    return problems + shipped_bounds_problems(rule_set)


def _applying_from(
    session: Session, effective_from: datetime
) -> dict[str, list[tuple[int, RuleSet]]]:
    """Per specialty key, the versions (number, rule set) that apply at or after
    ``effective_from``: the one in force then and every one scheduled later. A default with
    nothing published applies as the shipped document (number 0)."""
    in_force = in_force_rows(session, effective_from)
    later = session.scalars(
        select(RuleSetVersion)
        .where(RuleSetVersion.status == PUBLISHED, RuleSetVersion.effective_from > effective_from)
        .order_by(RuleSetVersion.effective_from, RuleSetVersion.id)
    )
    found: dict[str, list[tuple[int, RuleSet]]] = {}
    if DEFAULT_SPECIALTY not in in_force:
        shipped = RuleSet.model_validate(shipped_default_document())
        found[DEFAULT_SPECIALTY] = [(0, shipped)]
    for row in [*in_force.values(), *later]:
        found.setdefault(row.specialty, []).append(
            (row.version, RuleSet.model_validate(row.document))
        )
    return found


def fit_problems(
    session: Session, specialty: str, rule_set: RuleSet, effective_from: datetime
) -> list[RuleProblem]:
    """How ``rule_set``, taking effect at ``effective_from``, clashes with the other side of
    the bounds: a specialty against every default that will apply to it, a default against
    every specialty version it will have to contain."""
    applying = _applying_from(session, effective_from)
    defaults = applying.pop(DEFAULT_SPECIALTY)
    problems: list[RuleProblem] = []
    if specialty == DEFAULT_SPECIALTY:
        for key in sorted(applying):
            for number, other in applying[key]:
                for problem in bounds_problems(other, rule_set, f"specialties.{key}."):
                    message = f"{problem.message} (specialty {key} version {number})"
                    problems.append(RuleProblem(problem.path, message))
        return problems
    for number, default in defaults:
        which = "the shipped default" if number == 0 else f"default version {number}"
        for problem in bounds_problems(rule_set, default):
            problems.append(RuleProblem(problem.path, f"{problem.message} (bounds of {which})"))
    seen = {problem.path for problem in problems}
    problems += [p for p in shipped_bounds_problems(rule_set) if p.path not in seen]
    return problems


def validate_document(
    session: Session, specialty: str, document: Mapping[str, Any], effective_from: datetime
) -> RuleSet:
    """Every check a version must pass before it is stored or published."""
    rule_set = parse_document(document, specialty)
    problems = default_problems(rule_set) if specialty == DEFAULT_SPECIALTY else []
    if not problems:
        problems = fit_problems(session, specialty, rule_set, effective_from)
    if problems:
        raise RuleDocumentInvalid(problems)
    return rule_set

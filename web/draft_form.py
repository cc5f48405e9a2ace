"""The draft editor as form fields: each number a field with its bound in the hint, and the
posted form turned back into a rule document.

Why the bound in the hint: a clinician should see the limit before typing, not learn it from
a refusal. The limits are those the service enforces (``prioritisation/bounds.py``): each
uplift up to the default's multiple, caps no higher, targets no longer, protection no
narrower. Saving still validates the whole document and reports every problem at once.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from prioritisation import RuleProblem, RuleSet

IMD_MEASURES = (
    "overall", "income", "employment", "education", "health", "crime", "barriers",
    "living_environment",
)  # fmt: skip
ETHNIC_GROUPS = ("white", "mixed", "asian", "black", "other")


@dataclass(frozen=True, slots=True)
class FormField:
    """One input: ``path`` is the document's JSON path (also the form name)."""

    path: str
    label: str
    kind: str  # number | checkbox | select | text | date | weeks
    value: str
    hint: str = ""
    options: tuple[tuple[str, str], ...] = ()
    optional: bool = False

    @property
    def id(self) -> str:
        return "field-" + self.path.replace(".", "-")


@dataclass(frozen=True, slots=True)
class FieldGroup:
    title: str
    fields: list[FormField] = field(default_factory=list)
    note: str = ""


def field_id(path: str) -> str:
    return "field-" + path.replace(".", "-")


def _num(value: Any) -> str:
    if value is None:
        return ""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _upto(value: float | None, multiplier: float, unlisted: float) -> tuple[float, str]:
    if value is None:
        return unlisted, f"0 to {unlisted:g} days (a code the default does not list)"
    limit = round(value * multiplier, 2)
    return limit, f"0 to {limit:g} days ({multiplier:g} × the default {value:g})"


def build_fields(
    document: Mapping[str, Any],
    default: RuleSet,
    *,
    inclusion_names: Mapping[str, str],
    clinical_area_names: Mapping[str, str],
) -> list[FieldGroup]:
    """The editor's fields for ``document``, bounds from ``default`` (and its ``bounds``)."""
    assert default.bounds is not None and default.vocabulary is not None
    b = default.bounds
    doc = document
    groups = [
        FieldGroup(
            "About this rule set",
            [
                FormField("title", "Title", "text", str(doc.get("title", "")), optional=True),
                FormField(
                    "review_date",
                    "Review by",
                    "date",
                    str(doc.get("review_date", "")),
                    "When the specialty's clinical lead reviews these numbers (YYYY-MM-DD).",
                ),
            ],
            note="The version label and the approver are set when the draft is published: "
            "the published version's own number, and the person who publishes it.",
        )
    ]
    priority_fields = []
    defaults = {rule.code: rule for rule in default.clinical_priority.ranked}
    for i, rule in enumerate(doc["clinical_priority"]["ranked"]):
        base = defaults.get(rule["code"])
        path = f"clinical_priority.ranked.{i}"
        code = rule["code"]
        target_hint = (
            f"At most {base.target_days} days (the default)"
            if base and base.target_days
            else "No target by default"
        )
        margin_hint = f"At least {base.target_margin_days} days (the default)" if base else ""
        scale_hint = f"0 to {base.uplift_scale:g} (the default)" if base else ""
        cap_hint = f"0 to {round(base.cap_days * b.cap_max_multiplier, 2):g} days" if base else ""
        priority_fields += [
            FormField(
                f"{path}.target_days",
                f"{code} target (days)",
                "number",
                _num(rule.get("target_days")),
                target_hint,
                optional=True,
            ),
            FormField(
                f"{path}.target_margin_days",
                f"{code} protected from (days before target)",
                "number",
                _num(rule.get("target_margin_days")),
                margin_hint,
            ),
            FormField(
                f"{path}.uplift_scale",
                f"{code} uplift scale",
                "number",
                _num(rule.get("uplift_scale")),
                scale_hint,
            ),
            FormField(
                f"{path}.cap_days",
                f"{code} cap on equity uplifts (days)",
                "number",
                _num(rule.get("cap_days")),
                cap_hint,
            ),
        ]
    groups.append(FieldGroup("Clinical priority", priority_fields))

    dep = doc["deprivation"]
    dep_fields = [
        FormField(
            "deprivation.enabled", "Use deprivation", "checkbox", "on" if dep.get("enabled") else ""
        ),
        FormField(
            "deprivation.imd_measure",
            "IMD measure",
            "select",
            str(dep.get("imd_measure", "overall")),
            "The overall index or one of its domains",
            tuple((m, m.replace("_", " ")) for m in IMD_MEASURES),
        ),
    ]
    for decile in range(1, 11):
        value = dep.get("decile_uplift_days", {}).get(
            str(decile), dep.get("decile_uplift_days", {}).get(decile)
        )
        _, hint = _upto(
            default.deprivation.decile_uplift_days.get(decile, 0.0),
            b.uplift_max_multiplier,
            b.unlisted_code_uplift_max_days,
        )
        dep_fields.append(
            FormField(
                f"deprivation.decile_uplift_days.{decile}",
                f"IMD decile {decile} uplift (days)",
                "number",
                _num(value),
                hint + ("; 1 is the most deprived" if decile == 1 else ""),
            )
        )
    groups.append(
        FieldGroup(
            "Deprivation",
            dep_fields,
            note="A more deprived decile may never earn less than a less deprived one.",
        )
    )

    eth = doc.get("ethnicity") or {}
    eth_fields = [
        FormField(
            "ethnicity.enabled", "Use ethnicity", "checkbox", "on" if eth.get("enabled") else ""
        )
    ]
    for group in ETHNIC_GROUPS:
        _, hint = _upto(
            default.ethnicity.group_uplift_days.get(group),
            b.uplift_max_multiplier,
            b.unlisted_code_uplift_max_days,
        )
        eth_fields.append(
            FormField(
                f"ethnicity.group_uplift_days.{group}",
                f"{group.capitalize()} group uplift (days)",
                "number",
                _num(eth.get("group_uplift_days", {}).get(group)),
                hint + "; leave empty for none",
                optional=True,
            )
        )
    eth_fields += [
        FormField(
            "ethnicity.evidence_reference",
            "Evidence of disadvantage",
            "text",
            str(eth.get("evidence_reference") or ""),
            "Required when ethnicity is used",
            optional=True,
        ),
        FormField(
            "ethnicity.approved_by",
            "Approved by",
            "text",
            str(eth.get("approved_by") or ""),
            "Required when ethnicity is used",
            optional=True,
        ),
        FormField(
            "ethnicity.review_date",
            "Ethnicity review by",
            "date",
            str(eth.get("review_date") or ""),
            "Required when ethnicity is used (YYYY-MM-DD)",
            optional=True,
        ),
    ]
    groups.append(
        FieldGroup(
            "Ethnicity",
            eth_fields,
            note="Lawful only as proportionate positive action backed by local evidence "
            "(Equality Act 2010). Uplifts per ethnic category are kept as they are; change "
            "them over the API.",
        )
    )

    core20 = doc.get("core20") or {}
    _, hint = _upto(
        default.core20.uplift_days, b.uplift_max_multiplier, b.unlisted_code_uplift_max_days
    )
    groups.append(
        FieldGroup(
            "Core20",
            [
                FormField(
                    "core20.enabled",
                    "Use Core20",
                    "checkbox",
                    "on" if core20.get("enabled") else "",
                ),
                FormField(
                    "core20.uplift_days",
                    "Core20 uplift (days)",
                    "number",
                    _num(core20.get("uplift_days", 0.0)),
                    hint,
                ),
            ],
        )
    )
    for factor, title, codes, names in (
        (
            "inclusion",
            "Inclusion health groups",
            default.vocabulary.inclusion_groups,
            inclusion_names,
        ),
        (
            "clinical_area",
            "Core20PLUS5 clinical areas",
            default.vocabulary.clinical_areas,
            clinical_area_names,
        ),
    ):
        rules = doc.get(factor) or {}
        base = getattr(default, factor).uplift_days
        flag_fields = [
            FormField(
                f"{factor}.enabled",
                f"Use {title.lower()}",
                "checkbox",
                "on" if rules.get("enabled") else "",
            ),
            FormField(
                f"{factor}.combine",
                "When several are recorded",
                "select",
                str(rules.get("combine", "max")),
                "",
                (("max", "only the largest counts"), ("sum", "they add up")),
            ),
        ]
        for code in codes:
            _, hint = _upto(
                base.get(code), b.uplift_max_multiplier, b.unlisted_code_uplift_max_days
            )
            flag_fields.append(
                FormField(
                    f"{factor}.uplift_days.{code}",
                    f"{names.get(code, code.replace('_', ' '))} (days)",
                    "number",
                    _num(rules.get("uplift_days", {}).get(code)),
                    hint + "; leave empty for none",
                    optional=True,
                )
            )
        groups.append(FieldGroup(title, flag_fields))
    guard = doc.get("guardrails") or {}
    groups.append(
        FieldGroup(
            "Long waits",
            [
                FormField(
                    "guardrails.long_wait_weeks",
                    "Long-wait thresholds (weeks)",
                    "weeks",
                    ", ".join(str(w) for w in guard.get("long_wait_weeks", [])),
                    "Comma-separated; must include "
                    + ", ".join(str(w) for w in default.guardrails.long_wait_weeks),
                ),
                FormField(
                    "guardrails.long_wait_margin_days",
                    "Protected from (days before a threshold)",
                    "number",
                    _num(guard.get("long_wait_margin_days")),
                    f"At least {default.guardrails.long_wait_margin_days} days (the default)",
                ),
            ],
        )
    )
    return groups


def _set(document: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    node: Any = document
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = value
    elif value is _REMOVE:
        node.pop(last, None)
    else:
        node[last] = value


_REMOVE: Any = object()


def apply_form(
    document: Mapping[str, Any], form: Mapping[str, str], groups: list[FieldGroup]
) -> tuple[dict[str, Any], list[RuleProblem]]:
    """The document with every field's posted value, and the values that are not numbers or
    dates (those fields keep ``None``, so validation reports everything else too)."""
    result = copy.deepcopy(dict(document))
    problems: list[RuleProblem] = []
    for group in groups:
        for f in group.fields:
            raw = (form.get(f.path) or "").strip()
            value: Any
            if f.kind == "checkbox":
                value = bool(raw)
            elif f.kind == "number":
                if raw == "":
                    if f.optional:
                        value = None if f.path.endswith("target_days") else _REMOVE
                    else:
                        problems.append(RuleProblem(f.path, "enter a number"))
                        value = None
                else:
                    try:
                        number = float(raw)
                        value = (
                            int(number)
                            if f.path.endswith(("target_days", "margin_days"))
                            and number.is_integer()
                            else number
                        )
                    except ValueError:
                        problems.append(RuleProblem(f.path, f"{raw!r} is not a number"))
                        value = None
            elif f.kind == "weeks":
                try:
                    value = [int(part) for part in raw.replace(" ", "").split(",") if part]
                except ValueError:
                    problems.append(
                        RuleProblem(f.path, "enter whole numbers of weeks, separated by commas")
                    )
                    value = None
            elif f.kind in ("text", "date"):
                value = raw or (None if f.optional and f.path != "title" else raw)
            else:
                value = raw
            _set(result, f.path, value)
    return result, problems


def _get(document: Mapping[str, Any], path: str) -> Any:
    node: Any = document
    for part in path.split("."):
        if isinstance(node, list):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return _REMOVE
    return node


def with_saved_values(
    document: dict[str, Any], saved: Mapping[str, Any], problems: list[RuleProblem]
) -> dict[str, Any]:
    """``document`` with the saved value wherever the form's value could not be read."""
    result = copy.deepcopy(document)
    for problem in problems:
        _set(result, problem.path, _get(saved, problem.path))
    return result

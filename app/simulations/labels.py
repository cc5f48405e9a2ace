"""Human labels for the identifiers the simulation reports (rule set names, group codes).

Why one place: a board reads "Rules in force" and "Not stated", not ``in_force`` and
``not_stated``; the API keeps the identifiers, the documents show these labels.
"""

from __future__ import annotations

from typing import Final

from prioritisation.simulation.support import SUPPORTED_SUFFIX

RULE_SET_LABELS: Final = {
    "conventional": "Conventional order (priority, then longest wait)",
    "in_force": "Rules in force",
    "draft": "Draft",
    "shipped_default": "Shipped default rules",
}
GROUP_LABELS: Final = {
    "white": "White",
    "mixed": "Mixed",
    "asian": "Asian",
    "black": "Black",
    "other": "Other",
    "not_stated": "Not stated",
    "not_known": "Not known",
    "unknown": "Unknown",
    "1": "1 (most deprived)",
    "5": "5 (least deprived)",
    "imd_quintile": "IMD quintile",
    "ethnic_group": "Ethnic group",
}


def _words(identifier: str) -> str:
    text = identifier.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def rule_set_label(name: str) -> str:
    """A rule set's name for people (a caller's own names are shown as given); a run with
    support is its rule set's label followed by ", with support"."""
    if name.endswith(SUPPORTED_SUFFIX):
        return f"{rule_set_label(name.removesuffix(SUPPORTED_SUFFIX))}, with support"
    return RULE_SET_LABELS.get(name, name)


def group_label(code: str) -> str:
    """A group or dimension code for people (``not_stated`` → ``Not stated``)."""
    return GROUP_LABELS.get(code, _words(code))

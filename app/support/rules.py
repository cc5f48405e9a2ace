"""Configurable support rules: which support fits a patient on the support list.

The shipped rules (``default_rules.json``) are a starting point; a trust points
``EQUIWAIT_SUPPORT_RULES_FILE`` at its own file of the same shape. A rule applies when every
condition it names holds; conditions: ``inclusion_groups_any`` (any of these codes),
``imd_decile_max`` (a known decile at most this), ``stage``, ``min_risk``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_RULES_FILE: Final = Path(__file__).with_name("default_rules.json")


class SupportRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    support: str = Field(min_length=3)
    inclusion_groups_any: list[str] = Field(default_factory=list)
    imd_decile_max: int | None = Field(default=None, ge=1, le=10)
    stage: str | None = None
    min_risk: float | None = Field(default=None, ge=0, le=1)

    def applies(self, *, groups: set[str], decile: int, stage: str, risk: float) -> bool:
        if self.inclusion_groups_any and not groups.intersection(self.inclusion_groups_any):
            return False
        if self.imd_decile_max is not None and not 0 < decile <= self.imd_decile_max:
            return False
        if self.stage is not None and stage != self.stage:
            return False
        return self.min_risk is None or risk >= self.min_risk


class SupportRules(BaseModel):
    """The threshold above which a patient is listed, the assumed lead time, the rules."""

    model_config = ConfigDict(extra="forbid")

    threshold: float = Field(default=0.25, gt=0, lt=1)
    lead_days: int = Field(default=21, ge=0, le=365)
    rules: list[SupportRule]

    def supports(self, *, groups: set[str], decile: int, stage: str, risk: float) -> list[str]:
        return [
            rule.support
            for rule in self.rules
            if rule.applies(groups=groups, decile=decile, stage=stage, risk=risk)
        ]


def load_support_rules(path: Path | None = None) -> SupportRules:
    """The rules file (the shipped one by default), validated."""
    return SupportRules.model_validate(json.loads((path or DEFAULT_RULES_FILE).read_text()))

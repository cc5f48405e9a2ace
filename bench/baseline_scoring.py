"""A straightforward per-row Python implementation of the scoring formula in docs/scoring.md.

Kept only as the benchmark baseline and as an independent oracle in the tests: it shares no
code with the vectorised engine beyond reading the same rule documents, and follows the
written formula literally (including the "wait descending, then clock start ascending"
tie-breaks that the engine folds into one key).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np

from prioritisation.codes import ETHNIC_CATEGORIES, ETHNIC_GROUPS
from prioritisation.inputs import Overrides, PtlArrays
from prioritisation.rulebook import RuleBook
from prioritisation.rules import FlagFactorRules, RuleSet

EQUITY = ("deprivation", "ethnicity", "core20", "inclusion", "clinical_area")


def _cents(days: float) -> int:
    return round(days * 100)


def _flag_raw(rules: FlagFactorRules, codes: list[str]) -> int:
    if not rules.enabled:
        return 0
    values = [_cents(rules.uplift_days.get(code, 0.0)) for code in codes]
    if not values:
        return 0
    return sum(values) if rules.combine == "sum" else max(values)


RANGE_ORDER = ("long_wait", "last_chance", "past_target", "target_margin", "routine")
WAIT_ORDERED = ("long_wait", "last_chance", "target_margin")


def _reason(rule_set: RuleSet, target: int | None, margin: int, wait: int) -> str:
    """The reason code before last-chance entries are known."""
    weeks = rule_set.guardrails.long_wait_weeks
    long_margin = rule_set.guardrails.long_wait_margin_days
    for w in sorted(weeks, reverse=True):
        if wait >= 7 * w + 1:
            return f"past_{w}_weeks"
    for w in sorted(weeks, reverse=True):
        if 7 * w + 1 - long_margin <= wait < 7 * w + 1:
            return f"within_{w}_week_margin"
    if target is not None and wait > target:
        return "past_priority_target"
    if target is not None and target - margin <= wait <= target:
        return "within_priority_target_margin"
    return ""


def _range(reason: str) -> str:
    if reason.endswith("_weeks") or reason.endswith("_week_margin"):
        return "long_wait"
    return {
        "last_chance": "last_chance",
        "past_priority_target": "past_target",
        "within_priority_target_margin": "target_margin",
    }.get(reason, "routine")


def _reach(patients_per_week: float) -> int:
    """ceil(capacity × 4 / 3), from capacity rounded to thousandths."""
    milli = round(patients_per_week * 1000)
    return -(-(milli * 4) // 3000)


def score_rows(
    arrays: PtlArrays,
    rules: RuleBook,
    census_date: date,
    overrides: Overrides | None = None,
    capacity: dict[tuple[str, str, str], dict[str, float]] | None = None,
) -> dict[str, Any]:
    """Score and rank row by row; returns plain lists (components in centidays).

    ``capacity[(provider, tfc, stage)][priority_code]`` is patients booked per week.
    """
    census = date.fromisoformat(str(np.datetime64(census_date, "D")))
    n = len(arrays)
    out: dict[str, Any] = {
        key: [None] * n
        for key in (
            "rank", "conventional_rank", "list_size", "parked", "parked_reason", "wait_days",
            "score", "uplift_uncapped", "capped", "protected", "protection_reason", "rule_set",
            "priority_code", "override_status",
        )
    }  # fmt: skip
    components: dict[str, list[int]] = {
        name: [0] * n for name in ("wait", *EQUITY, "cap", "override")
    }
    lists: dict[tuple[str, str, str], list[tuple[Any, ...]]] = {}
    for i in range(n):
        tfc = str(arrays.treatment_function_code[i])
        rule_set = rules.specialties.get(tfc, rules.default)
        cp = rule_set.clinical_priority
        code = str(arrays.priority_code[i])
        clock = date.fromisoformat(str(arrays.rtt_clock_start[i]))
        wait = max((census - clock).days, 0)
        out["wait_days"][i] = wait
        out["rule_set"][i] = rule_set.rule_set_id
        components["wait"][i] = wait * 100
        kind = str(overrides.kind[i]) if overrides is not None else ""
        key = (str(arrays.provider_code[i]), tfc, str(arrays.pathway_stage[i]))
        effective = cp.unset_priority_as if code == "" else code
        ranked = [r.code for r in cp.ranked]
        deferred = code in cp.parked_codes
        if not deferred and effective not in ranked:
            raise ValueError(f"unknown priority code {code!r}")
        if deferred or str(arrays.rtt_status[i]) in cp.parked_rtt_statuses:
            out["parked"][i], out["protected"][i], out["capped"][i] = True, False, False
            out["parked_reason"][i] = "patient_deferred" if deferred else "active_monitoring"
            out["protection_reason"][i] = ""
            out["priority_code"][i] = code if deferred else effective
            out["score"][i], out["uplift_uncapped"][i] = wait * 100, 0
            out["override_status"][i] = "ignored_parked" if kind else ""
            out["rank"][i] = out["conventional_rank"][i] = out["list_size"][i] = 0
            continue
        rule = cp.ranked[ranked.index(effective)]
        out["parked"][i], out["parked_reason"][i] = False, ""
        out["priority_code"][i] = effective
        scale_bp = round(rule.uplift_scale * 10_000)

        dep = rule_set.deprivation
        if dep.imd_measure == "overall":
            decile = int(arrays.imd_decile[i])
        else:
            decile = int(arrays.imd_domain_deciles[dep.imd_measure][i])
        raw = {
            "deprivation": _cents(dep.decile_uplift_days[decile]) if dep.enabled and decile else 0
        }
        eth = rule_set.ethnicity
        category, group = str(arrays.ethnic_category[i]), str(arrays.ethnic_group[i])
        neutral = category in ("Z", "99", "") or group in ("not_stated", "not_known", "")
        if eth.enabled and category not in (*ETHNIC_CATEGORIES, "Z", "99", ""):
            raise ValueError(f"unknown ethnic category {category!r}")
        if eth.enabled and group not in (*ETHNIC_GROUPS, "not_stated", "not_known", ""):
            raise ValueError(f"unknown ethnic group {group!r}")
        if not eth.enabled or neutral:
            raw["ethnicity"] = 0
        elif category in eth.category_uplift_days:
            raw["ethnicity"] = _cents(eth.category_uplift_days[category])
        else:
            raw["ethnicity"] = _cents(eth.group_uplift_days.get(group, 0.0))
        core20 = int(arrays.imd_decile[i]) in (1, 2)
        raw["core20"] = (
            _cents(rule_set.core20.uplift_days) if rule_set.core20.enabled and core20 else 0
        )
        raw["inclusion"] = _flag_raw(rule_set.inclusion, arrays.inclusion_groups.row_codes(i))
        raw["clinical_area"] = _flag_raw(rule_set.clinical_area, arrays.clinical_areas.row_codes(i))
        uncapped = 0
        for name in EQUITY:
            components[name][i] = (raw[name] * scale_bp + 5000) // 10000
            uncapped += components[name][i]
        cap = _cents(rule.cap_days)
        components["cap"][i] = -max(uncapped - cap, 0)
        reason = _reason(rule_set, rule.target_days, rule.target_margin_days, wait)
        score = sum(components[name][i] for name in components)
        out["score"][i], out["uplift_uncapped"][i] = score, uncapped
        out["capped"][i] = uncapped > cap
        out["protection_reason"][i] = reason
        band = ranked.index(effective)
        pid = str(arrays.pathway_id[i])
        lists.setdefault(key, []).append(
            {"i": i, "band": band, "wait": wait, "clock": clock, "pid": pid, "kind": kind,
             "target": rule.target_days, "code": effective}
        )  # fmt: skip

    for key, entries in lists.items():
        conventional = sorted(entries, key=lambda e: (e["band"], -e["wait"], e["clock"], e["pid"]))
        bands: dict[int, int] = {}
        for position, e in enumerate(conventional, start=1):
            out["conventional_rank"][e["i"]] = position
            e["position_in_band"] = bands.get(e["band"], 0)
            bands[e["band"]] = e["position_in_band"] + 1
        for e in entries:
            i = e["i"]
            reason = out["protection_reason"][i]
            per_week = (capacity or {}).get(key, {}).get(e["code"])
            if (
                per_week is not None
                and e["position_in_band"] < _reach(per_week)
                and _range(reason) != "long_wait"
                and e["target"] is not None
                and e["target"] - 7 < e["wait"] <= e["target"]
            ):
                reason = "last_chance"
            out["protection_reason"][i] = reason
            protected = _range(reason) in WAIT_ORDERED
            out["protected"][i] = protected
            block, status = 1, ""
            if e["kind"] == "hold_back" and protected:
                status = "ignored_protected"
            elif e["kind"]:
                status = "applied"
                if e["kind"] == "pin_ahead":
                    block = 0
                elif e["kind"] == "hold_back":
                    block = 2
                else:
                    assert overrides is not None
                    components["override"][i] = round(float(overrides.days[i]) * 100)
                    out["score"][i] += components["override"][i]
            out["override_status"][i] = status
            # Ranges ordered by wait: wait (plus a clinical adjustment), never the uplift.
            e["key_score"] = (
                e["wait"] * 100 + components["override"][i] if protected else out["score"][i]
            )
            e["tier"] = (block, RANGE_ORDER.index(_range(reason)))
        ranked_order = sorted(
            entries,
            key=lambda e: (e["band"], e["tier"], -e["key_score"], -e["wait"], e["clock"], e["pid"]),
        )
        for position, e in enumerate(ranked_order, start=1):
            out["rank"][e["i"]] = position
            out["list_size"][e["i"]] = len(entries)
    out["components"] = components
    return out

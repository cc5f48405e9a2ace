"""Small builders and hypothesis strategies shared by the prioritisation tests."""

from __future__ import annotations

import functools
import json
from datetime import date, timedelta
from typing import Any

import numpy as np
from hypothesis import strategies as st

from prioritisation import FlagMatrix, PtlArrays, RuleBook, RuleSet, load_default_rules
from prioritisation.capacity import WeeklyCapacity

CENSUS = date(2026, 11, 23)
DEFAULT_RULES = load_default_rules()
INCLUSION = ("learning_disability", "autism", "homeless", "multimorbidity", "carer")
AREAS = ("smi", "diabetes", "maternity")
GROUP_OF = {
    "A": "white", "C": "white", "D": "mixed", "H": "asian", "K": "asian", "M": "black",
    "N": "black", "S": "other", "Z": "not_stated", "99": "not_known", "": "",
}  # fmt: skip


def entry(**overrides: Any) -> dict[str, Any]:
    """One PTL row with neutral defaults: P3 at T&O, 100 days' wait, no equity data."""
    row: dict[str, Any] = {
        "pathway_id": "p1",
        "provider_code": "RKB",
        "treatment_function_code": "110",
        "pathway_stage": "admitted",
        "priority_code": "P3",
        "wait_days": 100,
        "imd_decile": 0,
        "barriers": 0,
        "ethnic_category": "",
        "ethnic_group": "",
        "inclusion": "",
        "areas": "",
        "rtt_status": "",
    }
    row.update(overrides)
    return row


def ptl(rows: list[dict[str, Any]], census: date = CENSUS) -> PtlArrays:
    """PtlArrays from row dicts (``wait_days`` is turned into a clock start)."""
    return PtlArrays.from_columns(
        pathway_id=[r["pathway_id"] for r in rows],
        provider_code=[r["provider_code"] for r in rows],
        treatment_function_code=[r["treatment_function_code"] for r in rows],
        pathway_stage=[r["pathway_stage"] for r in rows],
        priority_code=[r["priority_code"] for r in rows],
        rtt_clock_start=np.array(
            [np.datetime64(census - timedelta(days=r["wait_days"])) for r in rows],
            dtype="datetime64[D]",
        ),
        imd_decile=np.array([r["imd_decile"] for r in rows], dtype=np.int8),
        imd_domain_deciles={"barriers": np.array([r["barriers"] for r in rows], dtype=np.int8)},
        ethnic_category=[r["ethnic_category"] for r in rows],
        ethnic_group=[r["ethnic_group"] for r in rows],
        inclusion_groups=FlagMatrix.from_strings([r["inclusion"] for r in rows], INCLUSION),
        clinical_areas=FlagMatrix.from_strings([r["areas"] for r in rows], AREAS),
        rtt_status=[r["rtt_status"] for r in rows],
    )


@functools.cache
def _default_json() -> str:
    return json.dumps(load_default_rules().default.model_dump(mode="json"))


def default_document() -> dict[str, Any]:
    """A fresh, mutable copy of the shipped default rule document."""
    doc: dict[str, Any] = json.loads(_default_json())
    return doc


def specialty_document(code: str, **sections: dict[str, Any]) -> dict[str, Any]:
    """A specialty rule set equal to the default apart from the given section changes."""
    doc = default_document()
    for key in ("bounds", "vocabulary", "rationale"):
        doc.pop(key)
    doc.update(rule_set_id=code, version=f"{code}-test")
    for section, values in sections.items():
        doc[section] = {**doc[section], **values}
    return doc


def book(*specialties: dict[str, Any], default: dict[str, Any] | None = None) -> RuleBook:
    return RuleBook.model_validate(
        {
            "default": default or default_document(),
            "specialties": {d["rule_set_id"]: d for d in specialties},
        }
    )


def zero_uplift_default() -> dict[str, Any]:
    """The default document with every equity uplift set to 0 (factors left switched on)."""
    doc = default_document()
    doc["deprivation"]["decile_uplift_days"] = {str(d): 0.0 for d in range(1, 11)}
    doc["core20"] = {"enabled": True, "uplift_days": 0.0}
    doc["inclusion"]["uplift_days"] = dict.fromkeys(doc["inclusion"]["uplift_days"], 0.0)
    doc["clinical_area"]["enabled"] = True
    doc["clinical_area"]["uplift_days"] = dict.fromkeys(doc["clinical_area"]["uplift_days"], 0.0)
    return doc


ETHNICITY_ON = {
    "enabled": True,
    "group_uplift_days": {"black": 7.0, "asian": 5.0},
    "category_uplift_days": {"K": 10.0},
    "evidence_reference": "Local equity audit 2026/04",
    "approved_by": "Dr A Clinician",
    "review_date": "2027-04-30",
}


def rich_book() -> RuleBook:
    """Default plus specialty rule sets that exercise every factor and option."""
    return book(
        specialty_document("110", deprivation={"imd_measure": "barriers"}),
        specialty_document("130", ethnicity=ETHNICITY_ON, core20={"enabled": True}),
        specialty_document(
            "300", clinical_area={"enabled": True, "combine": "sum"}, inclusion={"combine": "sum"}
        ),
    )


def _scaled(value: float, factor: float) -> float:
    """``value × factor`` rounded down to 0.01 day (so never above ``value × factor``)."""
    return int(value * factor * 100) / 100


@st.composite
def random_priorities(draw: st.DrawFn, base: RuleSet) -> list[dict[str, Any]]:
    """Ranked priorities inside ``base``'s bounds: targets no longer (still increasing and no
    shorter than the base margin), margins no narrower, scales no larger, caps up to 2×."""
    ranked: list[dict[str, Any]] = []
    previous = 0
    shipped = DEFAULT_RULES.default.clinical_priority.ranked
    for rule, shipped_rule in zip(base.clinical_priority.ranked, shipped, strict=True):
        lowest = max(previous + 1, rule.target_margin_days, 1)
        if rule.target_days is None:
            target = draw(st.one_of(st.none(), st.integers(lowest, lowest + 400)))
        else:
            target = draw(st.integers(lowest, rule.target_days))
        margin = rule.target_margin_days + draw(st.integers(0, 3))
        ranked.append(
            {
                **rule.model_dump(mode="json"),
                "target_days": target,
                "target_margin_days": margin if target is None else min(margin, target),
                "uplift_scale": int(rule.uplift_scale * draw(st.floats(0, 1)) * 10_000) / 10_000,
                "cap_days": min(
                    _scaled(rule.cap_days, draw(st.floats(0, 2))),
                    _scaled(shipped_rule.cap_days, 2),
                ),
            }
        )
        previous = target or previous
    return ranked


@st.composite
def random_specialty(
    draw: st.DrawFn, code: str = "110", zero: bool = False, base: RuleSet | None = None
) -> dict[str, Any]:
    """A rule set drawn anywhere inside the bounds of ``base`` (the shipped default unless
    given); ``code`` "default" gives a default document, bounds and vocabulary included.
    ``zero`` sets every equity uplift to 0, in the uplifts themselves or by zero scales."""
    shipped = DEFAULT_RULES.default
    base = base or shipped
    zero_values = zero and draw(st.booleans())
    factor = st.just(0.0) if zero_values else st.floats(0, 2)

    def uplift(value: float, shipped_value: float) -> float:
        """Within 2× the base and 2× the shipped default (bounds never compound)."""
        return min(_scaled(value, draw(factor)), _scaled(shipped_value, 2))

    deciles: dict[str, float] = {}
    previous = float("inf")
    for d in range(1, 11):
        value = uplift(
            base.deprivation.decile_uplift_days[d], shipped.deprivation.decile_uplift_days[d]
        )
        deciles[str(d)] = previous = min(previous, value)
    inclusion = {
        c: uplift(v, shipped.inclusion.uplift_days[c])
        for c, v in base.inclusion.uplift_days.items()
    }
    areas = {
        c: uplift(v, shipped.clinical_area.uplift_days[c])
        for c, v in base.clinical_area.uplift_days.items()
    }
    ranked = draw(random_priorities(base))
    if zero and not zero_values:
        ranked = [{**rule, "uplift_scale": 0.0} for rule in ranked]
    extra_weeks = draw(st.lists(st.sampled_from([18, 26, 40, 90, 130]), max_size=2))
    doc = specialty_document(
        code,
        clinical_priority={"ranked": ranked},
        deprivation={
            "decile_uplift_days": deciles,
            "imd_measure": draw(st.sampled_from(["overall", "barriers"])),
        },
        inclusion={"uplift_days": inclusion, "combine": draw(st.sampled_from(["max", "sum"]))},
        clinical_area={"uplift_days": areas, "enabled": draw(st.booleans())},
        core20={
            "enabled": draw(st.booleans()),
            "uplift_days": uplift(base.core20.uplift_days, shipped.core20.uplift_days),
        },
        guardrails={
            "long_wait_weeks": sorted({*base.guardrails.long_wait_weeks, *extra_weeks}),
            "long_wait_margin_days": base.guardrails.long_wait_margin_days
            + draw(st.integers(0, 14)),
        },
    )
    if code == "default":
        shipped_doc = default_document()
        doc.update({key: shipped_doc[key] for key in ("bounds", "vocabulary", "rationale")})
    return doc


@st.composite
def rule_books(draw: st.DrawFn) -> RuleBook:
    choice = draw(st.sampled_from(["default", "rich", "random", "random_default"]))
    if choice == "default":
        return DEFAULT_RULES
    if choice == "rich":
        return rich_book()
    if choice == "random_default":
        default = draw(random_specialty("default"))
        base = RuleSet.model_validate(default)
        return book(draw(random_specialty("300", base=base)), default=default)
    return book(draw(random_specialty("110")), draw(random_specialty("300")))


@st.composite
def zero_uplift_books(draw: st.DrawFn) -> RuleBook:
    """Random rule books (targets, margins, thresholds, scales, caps) with every equity
    uplift at 0, for the default and two specialties."""
    default = draw(st.one_of(st.just(zero_uplift_default()), random_specialty("default", True)))
    base = RuleSet.model_validate(default)
    specialties = [draw(random_specialty(code, True, base)) for code in ("110", "300")]
    return book(*specialties, default=default)


pathway_ids = st.text(
    alphabet=st.characters(categories=("Lu", "Ll", "Nd")), min_size=1, max_size=14
)


@st.composite
def rows(
    draw: st.DrawFn, min_size: int = 1, max_size: int = 40, crowded: bool | None = None
) -> list[dict[str, Any]]:
    """A small PTL with every kind of entry: all priorities, parked, long waits, flags.

    ``crowded`` PTLs put every entry in one list at P3 or P4 with waits around the targets and
    long-wait thresholds, so protected entries with and without uplift meet; by default either
    kind is drawn."""
    if crowded is None:
        crowded = draw(st.booleans())
    ids = draw(st.lists(pathway_ids, min_size=min_size, max_size=max_size, unique=True))
    tfc = draw(st.sampled_from(["110", "130", "300"]))
    priorities = (
        ["P3", "P4", "P3", "P2"]
        if crowded
        else ["P1a", "P1b", "P2", "P2", "P3", "P3", "P4", "P4", "P5", ""]
    )
    waits = (
        st.one_of(
            st.integers(18, 35),
            st.integers(55, 110),
            st.integers(80, 95),
            st.integers(110, 330),
            st.integers(320, 380),
            st.integers(690, 750),
        )
        if crowded
        else st.one_of(
            st.integers(-20, 900),
            st.sampled_from([0, 1, 3, 21, 28, 29, 69, 90, 91, 329, 364, 365, 729]),
        )
    )
    out = []
    for pid in ids:
        category = draw(st.sampled_from(list(GROUP_OF)))
        out.append(
            entry(
                pathway_id=pid,
                provider_code="RKB" if crowded else draw(st.sampled_from(["RKB", "RRK"])),
                treatment_function_code=(
                    tfc if crowded else draw(st.sampled_from(["110", "130", "300"]))
                ),
                pathway_stage=(
                    "admitted" if crowded else draw(st.sampled_from(["admitted", "non_admitted"]))
                ),
                priority_code=draw(st.sampled_from(priorities)),
                wait_days=draw(waits),
                imd_decile=draw(st.integers(0, 10)),
                barriers=draw(st.integers(0, 10)),
                ethnic_category=category,
                ethnic_group=GROUP_OF[category],
                inclusion=";".join(draw(st.lists(st.sampled_from(INCLUSION), max_size=3))),
                areas=";".join(draw(st.lists(st.sampled_from(AREAS), max_size=2))),
                rtt_status=""
                if crowded
                else draw(st.sampled_from(["", "", "", "10", "20", "31", "32"])),
            )
        )
    return out


@st.composite
def capacities(draw: st.DrawFn, data: list[dict[str, Any]]) -> WeeklyCapacity | None:
    """No capacity, or weekly capacities (0 to 40 a week, fractional too) for some of the
    lists and bands of ``data``."""
    if draw(st.booleans()):
        return None
    keys = sorted(
        {(r["provider_code"], r["treatment_function_code"], r["pathway_stage"]) for r in data}
    )
    bands = ["P1a", "P1b", "P2", "P3", "P4"]
    per_list: dict[tuple[str, str, str], dict[str, float]] = {}
    for key in keys:
        chosen = draw(st.lists(st.sampled_from(bands), unique=True))
        per_list[key] = {
            code: draw(st.one_of(st.integers(0, 40), st.floats(0, 12).map(lambda v: round(v, 3))))
            for code in chosen
        }
    return WeeklyCapacity(per_list)

"""Small builders and hypothesis strategies shared by the prioritisation tests."""

from __future__ import annotations

import functools
import json
from datetime import date, timedelta
from typing import Any

import numpy as np
from hypothesis import strategies as st

from prioritisation import FlagMatrix, PtlArrays, RuleBook, load_default_rules

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


@st.composite
def random_specialty(draw: st.DrawFn, code: str = "110") -> dict[str, Any]:
    """A specialty rule set drawn anywhere inside the default document's bounds."""
    base = DEFAULT_RULES.default
    factor = st.floats(0, 1.5)
    deciles: dict[str, float] = {}
    previous = float("inf")
    for d in range(1, 11):
        value = min(
            previous, int(base.deprivation.decile_uplift_days[d] * draw(factor) * 100) / 100
        )
        deciles[str(d)] = previous = value
    inclusion = {
        c: int(v * draw(factor) * 100) / 100 for c, v in base.inclusion.uplift_days.items()
    }
    areas = {
        c: int(v * draw(factor) * 100) / 100 for c, v in base.clinical_area.uplift_days.items()
    }
    ranked = []
    for rule in base.clinical_priority.ranked:
        ranked.append(
            {
                **rule.model_dump(mode="json"),
                "cap_days": int(rule.cap_days * draw(st.floats(0, 1)) * 100) / 100,
                "target_margin_days": min(
                    rule.target_margin_days + draw(st.integers(0, 3)), rule.target_days or 999
                ),
            }
        )
    return specialty_document(
        code,
        clinical_priority={"ranked": ranked},
        deprivation={
            "decile_uplift_days": deciles,
            "imd_measure": draw(st.sampled_from(["overall", "barriers"])),
        },
        inclusion={"uplift_days": inclusion, "combine": draw(st.sampled_from(["max", "sum"]))},
        clinical_area={"uplift_days": areas, "enabled": draw(st.booleans())},
        core20={"enabled": draw(st.booleans())},
    )


@st.composite
def rule_books(draw: st.DrawFn) -> RuleBook:
    choice = draw(st.sampled_from(["default", "rich", "random"]))
    if choice == "default":
        return DEFAULT_RULES
    if choice == "rich":
        return rich_book()
    return book(draw(random_specialty("110")), draw(random_specialty("300")))


pathway_ids = st.text(
    alphabet=st.characters(categories=("Lu", "Ll", "Nd")), min_size=1, max_size=14
)


@st.composite
def rows(draw: st.DrawFn, min_size: int = 1, max_size: int = 40) -> list[dict[str, Any]]:
    """A small PTL with every kind of entry: all priorities, parked, long waits, flags."""
    ids = draw(st.lists(pathway_ids, min_size=min_size, max_size=max_size, unique=True))
    out = []
    for pid in ids:
        category = draw(st.sampled_from(list(GROUP_OF)))
        out.append(
            entry(
                pathway_id=pid,
                provider_code=draw(st.sampled_from(["RKB", "RRK"])),
                treatment_function_code=draw(st.sampled_from(["110", "130", "300"])),
                pathway_stage=draw(st.sampled_from(["admitted", "non_admitted"])),
                priority_code=draw(
                    st.sampled_from(["P1a", "P1b", "P2", "P2", "P3", "P3", "P4", "P4", "P5", ""])
                ),
                wait_days=draw(
                    st.one_of(
                        st.integers(-20, 900),
                        st.sampled_from([0, 1, 3, 21, 28, 29, 69, 90, 91, 329, 364, 365, 729]),
                    )
                ),
                imd_decile=draw(st.integers(0, 10)),
                barriers=draw(st.integers(0, 10)),
                ethnic_category=category,
                ethnic_group=GROUP_OF[category],
                inclusion=";".join(draw(st.lists(st.sampled_from(INCLUSION), max_size=3))),
                areas=";".join(draw(st.lists(st.sampled_from(AREAS), max_size=2))),
                rtt_status=draw(st.sampled_from(["", "", "", "10", "20", "31", "32"])),
            )
        )
    return out

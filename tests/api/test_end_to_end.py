"""The whole story over HTTP on each database, and the OpenAPI document's examples.

Upload → ranked list → a clinician's rule draft, preview and publication → a new run → an
override → rationales before and after the publication → audit events, chain verification and
tamper detection. Roles are the ones each step belongs to.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from statistics import fmean
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy import Engine, text

import api.routes
import api.schemas
from api.errors import Problem, UploadRejected, ValidationProblem
from app.main import create_app
from app.settings import Settings
from prioritisation.rules import RuleSet
from tests.api.ptl_files import demo_csv
from tests.app.rankings.helpers import upload

RANKED = "/api/v1/ptl/ranked"
RULES = "/api/v1/rules"
AUDIT = "/api/v1/audit"
SPECIALTY = "110"


def _ranked(client: Any, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    """Every page of the ranked list."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {"limit": 50, **params, **({"cursor": cursor} if cursor else {})}
        response = client.get(RANKED, params=query, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def _check_lists(items: list[dict[str, Any]]) -> None:
    """Ranks 1..n per list, components summing to the score, rank_change as documented."""
    lists: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        lists[(item["provider_code"], item["specialty"], item["pathway_stage"])].append(item)
        assert sum(item["components"].values()) == pytest.approx(item["score"], abs=1e-6)
        assert item["rank_change"] == item["conventional_rank"] - item["rank"]
    for members in lists.values():
        assert [i["rank"] for i in members] == list(range(1, len(members) + 1))
        assert {i["list_size"] for i in members} == {len(members)}
        assert sorted(i["conventional_rank"] for i in members) == list(range(1, len(members) + 1))


def _with_uplift(document: dict[str, Any], deciles: dict[str, float]) -> dict[str, Any]:
    uplift = {**document["deprivation"]["decile_uplift_days"], **deciles}
    return {**document, "deprivation": {**document["deprivation"], "decile_uplift_days": uplift}}


def _audit(client: Any, auth: Any, **params: Any) -> list[dict[str, Any]]:
    response = client.get(AUDIT, params=params, headers=auth("auditor", subject="audit.team"))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _tamper(engine: Engine, event_id: int) -> None:
    """Alter one stored audit record behind the append-only triggers' back."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SET session_replication_role = replica"))
        else:
            connection.execute(text("DROP TRIGGER audit_events_no_update"))
        connection.execute(
            text("UPDATE audit_events SET actor = 'someone.else' WHERE id = :id"),
            {"id": event_id},
        )


def _quintile(decile: int | None) -> str:
    return "unknown" if decile is None else str((decile + 1) // 2)


def test_the_whole_story_over_http(client, auth, engine):
    scheduler = auth("scheduler", subject="pas.feed")
    clinician = auth("clinician", subject="dr.okafor")
    auditor = auth("auditor", subject="audit.team")

    # 1. A scheduler uploads the PTL; the upload ranks it.
    batch = upload(client, auth, demo_csv(400, seed=31))
    first = _ranked(client, scheduler)
    _check_lists(first)
    upload_run = first[0]["run_id"]
    assert {i["run_id"] for i in first} == {upload_run}
    assert (
        client.get(f"/api/v1/rankings/{upload_run}", headers=auditor).json()["upload_batch_id"]
        == (batch["id"])
    )
    assert all("*" not in i["nhs_number"] and len(i["nhs_number"]) == 10 for i in first)
    for role in ("auditor", "clinician"):
        masked = _ranked(client, auth(role))
        assert [i["pathway_id"] for i in masked] == [i["pathway_id"] for i in first]
        assert all("*" in i["nhs_number"] for i in masked)

    # 2. A clinician drafts Trauma and Orthopaedic rules with a larger deprivation uplift.
    created = client.post(f"{RULES}/{SPECIALTY}/drafts", json={}, headers=clinician)
    assert created.status_code == 201, created.text
    draft = created.json()
    edited = client.put(
        f"{RULES}/{SPECIALTY}/drafts/{draft['id']}",
        json={"document": _with_uplift(draft["document"], {"1": 31.5, "2": 21.0})},
        headers={**clinician, "If-Match": created.headers["ETag"]},
    )
    assert edited.status_code == 200, edited.text
    preview = client.post(
        f"{RULES}/{SPECIALTY}/drafts/{draft['id']}/preview",
        params={"provider": "RZZ", "weeks": 4},
        headers=clinician,
    )
    assert preview.status_code == 200, preview.text
    said = preview.json()
    assert said["overall"]["moved"] > 0
    assert {g["group"] for g in said["by_imd_quintile"]} >= {"1", "5"}
    assert {g["group"] for g in said["by_ethnic_group"]} >= {"white"}
    assert said["guardrails"]["protected_moved_back"] == 0

    before_publication = datetime.now(UTC)
    published = client.post(
        f"{RULES}/{SPECIALTY}/drafts/{draft['id']}/publish",
        json={"reason": "Decile 1 and 2 uplifts raised after the equity audit"},
        headers={**clinician, "If-Match": edited.headers["ETag"]},
    )
    assert published.status_code == 200, published.text
    version_id = published.json()["id"]

    # 3. A new run applies the published version; ranks move as the preview said.
    rerun = client.post("/api/v1/rankings", json={"provider": "RZZ"}, headers=scheduler)
    assert rerun.status_code == 201, rerun.text
    new_run = rerun.json()
    old_versions = client.get(f"/api/v1/rankings/{upload_run}", headers=auditor).json()
    assert old_versions["rule_versions"].get(SPECIALTY) is None
    assert new_run["rule_versions"][SPECIALTY] == version_id
    after_publication = datetime.now(UTC)
    second = _ranked(client, scheduler)
    _check_lists(second)
    assert {i["run_id"] for i in second} == {new_run["id"]}
    old_rank = {i["pathway_id"]: i for i in first}
    changed = [i for i in second if i["rank"] != old_rank[i["pathway_id"]]["rank"]]
    assert changed and {i["specialty"] for i in changed} == {SPECIALTY}
    assert len(changed) == said["overall"]["moved"]
    for group in said["by_imd_quintile"]:
        moves = [
            i["rank"] - old_rank[i["pathway_id"]]["rank"]
            for i in second
            if i["specialty"] == SPECIALTY and _quintile(i["imd_decile"]) == group["group"]
        ]
        assert len(moves) == group["entries"]
        assert fmean(moves) == pytest.approx(group["mean_rank_change"], abs=1e-3)

    # 4. An override with reason and expiry, reranked at once, shows in the list.
    # Pinned ahead: an entry with another of its priority before it in its list must move up.
    band_starts = {}
    for item in second:
        band_starts.setdefault(
            (item["specialty"], item["pathway_stage"], item["priority_code"]), item
        )
    target = next(
        i
        for i in reversed(second)
        if i["specialty"] == SPECIALTY
        and band_starts[(i["specialty"], i["pathway_stage"], i["priority_code"])] is not i
    )
    expires = (datetime.now(UTC) + timedelta(days=14)).isoformat()
    override = client.post(
        f"/api/v1/ptl/entries/{target['pathway_id']}/overrides",
        params={"provider": "RZZ", "rerank": "true"},
        json={"kind": "pin_ahead", "reason": "Pain uncontrolled at review", "expires_at": expires},
        headers=clinician,
    )
    assert override.status_code == 201, override.text
    shown = _ranked(client, scheduler, specialty=SPECIALTY, stage=target["pathway_stage"])
    row = next(i for i in shown if i["pathway_id"] == target["pathway_id"])
    assert row["run_id"] == override.json()["ranking_run_id"]
    assert row["override"]["kind"] == "pin_ahead" and row["override"]["status"] == "applied"
    assert row["override"]["reason"] == "Pain uncontrolled at review"
    assert datetime.fromisoformat(row["override"]["expires_at"]) == datetime.fromisoformat(expires)
    assert row["rank"] < target["rank"]
    why = client.get(
        f"/api/v1/ptl/entries/{target['pathway_id']}/rationale",
        params={"provider": "RZZ"},
        headers=clinician,
    ).json()
    assert why["override"]["kind"] == "pin_ahead" and why["override"]["status"] == "applied"
    assert why["rank"] == row["rank"] and "clinical override" in why["sentence"]

    # 5. An auditor asks why one entry stood where it stood, before and after publication.
    deprived = next(
        i
        for i in first
        if i["specialty"] == SPECIALTY and i["imd_decile"] == 1 and i["priority_code"] == "P4"
    )
    url = f"/api/v1/ptl/entries/{deprived['pathway_id']}/rationale"
    answers = {}
    for label, moment in (("before", before_publication), ("after", after_publication)):
        response = client.get(
            url, params={"provider": "RZZ", "at": moment.isoformat()}, headers=auditor
        )
        assert response.status_code == 200, response.text
        answers[label] = response.json()
    before, after = answers["before"], answers["after"]
    assert before["run"]["id"] == upload_run and after["run"]["id"] == new_run["id"]
    assert [(r["key"], r["version_id"]) for r in before["rules"]] == [("default", None)]
    assert [(r["key"], r["version_id"]) for r in after["rules"]] == [
        (SPECIALTY, version_id),
        ("default", None),
    ]
    assert after["rules"][0]["document"]["deprivation"]["decile_uplift_days"]["1"] == 31.5
    listed_after = next(i for i in second if i["pathway_id"] == deprived["pathway_id"])
    for answer, listed in ((before, deprived), (after, listed_after)):
        assert answer["components"] == listed["components"]
        assert (answer["rank"], answer["conventional_rank"]) == (
            listed["rank"],
            listed["conventional_rank"],
        )
        assert (
            answer["sentence"].startswith("ranked ")
            and "Trauma and Orthopaedic" in (answer["sentence"])
        )
        assert "nhs_number" not in answer
    assert after["components"]["deprivation"] > before["components"]["deprivation"]

    # 6. The audit trail: filtered by kind and pathway, verified, then tampered with.
    reads = _audit(
        client, auth, kind="rationale.accessed", pathway=deprived["pathway_id"], actor="audit.team"
    )
    assert [(e["actor"], e["details"]["run_id"]) for e in reads] == [
        ("audit.team", new_run["id"]),
        ("audit.team", upload_run),
    ]
    [made] = _audit(client, auth, kind="override.created", pathway=target["pathway_id"])
    assert (
        made["actor"] == "dr.okafor" and made["details"]["reason"] == "Pain uncontrolled at review"
    )
    [rule] = _audit(client, auth, kind="rules.published", specialty=SPECIALTY)
    assert rule["subject_id"] == str(version_id)
    assert {e["subject_id"] for e in _audit(client, auth, kind="ranking.run")} >= {
        str(upload_run),
        str(new_run["id"]),
    }
    sound = client.get(f"{AUDIT}/verify", headers=auditor).json()
    assert sound["valid"] is True and sound["first_broken_id"] is None
    _tamper(engine, rule["id"])
    broken = client.get(f"{AUDIT}/verify", headers=auditor).json()
    assert broken == {
        "valid": False,
        "events_checked": rule["id"] - 1,
        "first_broken_id": rule["id"],
        "reason": "record content does not match its hash",
        "anchored_event_id": None,
        "anchored_at": None,
    }


# -- The OpenAPI document -------------------------------------------------------------------


def _openapi_app() -> Any:
    return create_app(Settings(environment="test", database_url="sqlite://", secret_key="o" * 40))


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _given(node: dict[str, Any]) -> bool:
    return "example" in node or "examples" in node


def _shows_example(spec: dict[str, Any], media: dict[str, Any], *, fields: bool) -> bool:
    """An example for the whole payload (media type or schema; a page's items), or with
    ``fields`` examples on the schema's own fields (which Swagger UI composes)."""
    if _given(media):
        return True
    schema = _resolve(spec, media["schema"])
    if _given(schema):
        return True
    properties = schema.get("properties", {})
    items = properties.get("items", {})
    if items.get("type") == "array" and set(properties) <= {"items", "next_cursor"}:
        return _shows_example(spec, {"schema": items["items"]}, fields=fields)
    return fields and any(
        _given(field) or _given(_resolve(spec, field)) for field in properties.values()
    )


def test_every_route_has_examples_for_its_json_body_and_success_answer():
    spec = _openapi_app().openapi()
    missing = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None and not _shows_example(spec, body, fields=False):
                missing.append(f"{method.upper()} {path} request body")
            for code, answer in operation["responses"].items():
                media = answer.get("content", {}).get("application/json")
                shown = media is None or _shows_example(spec, media, fields=True)
                if code.startswith("2") and not shown:
                    missing.append(f"{method.upper()} {path} {code}")
                if code.startswith("2") and not answer.get("description"):
                    missing.append(f"{method.upper()} {path} {code} description")
    assert missing == []


def _api_models() -> dict[str, type[BaseModel]]:
    """Every pydantic model of the API's schemas and routes, by name."""
    found: dict[str, type[BaseModel]] = {}
    found["Problem"], found["ValidationProblem"] = Problem, ValidationProblem
    found["UploadRejected"] = UploadRejected
    for package in (api.schemas, api.routes):
        for info in pkgutil.iter_modules(package.__path__, f"{package.__name__}."):
            for value in vars(importlib.import_module(info.name)).values():
                if isinstance(value, type) and issubclass(value, BaseModel):
                    found.setdefault(value.__name__, value)
    return found


def test_whole_payload_examples_are_valid():
    spec = _openapi_app().openapi()
    models = _api_models()
    checked = []
    for name in spec["components"]["schemas"]:
        if name not in models:
            continue  # generic pages and FastAPI's own models
        # From the model: the OpenAPI document drops null values from examples.
        schema = models[name].model_json_schema()
        assert "example" not in schema, f"{name} uses `example`: OpenAPI 3.1 wants `examples`"
        examples = schema.get("examples", [])
        for example in examples:
            models[name].model_validate(example)
            checked.append(name)
    assert {"ChainVerification", "DraftUpdate", "PreviewOut", "Health"} <= set(checked)
    document = models["DraftUpdate"].model_json_schema()["examples"][0]["document"]
    assert RuleSet.model_validate(document).rule_set_id == SPECIALTY

"""The OpenAPI document: short operation ids, and every error declared as problem details.

Routes declare the error statuses they answer themselves (``api.errors.responses``); this
module adds the ones every route of a kind can answer (401 under ``/api/v1``, 400/413/422 for
a body, 422 for parameters), serves every error as ``application/problem+json`` with the
matching schema, and documents the ``Location`` header of every 201.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel

from api.errors import PROBLEM_JSON, Problem, UploadRejected, ValidationProblem
from api.schemas.ptl import EntriesIn

_REF = "#/components/schemas/{model}"
_FASTAPI_VALIDATION = ("HTTPValidationError", "ValidationError")
_DEFAULT_DESCRIPTIONS = {
    400: "Bad request (e.g. a body that cannot be parsed)",
    401: "Missing or invalid bearer token",
    413: "Payload too large",
    422: "Invalid input",
    503: "No database connection came free in time; retry after `Retry-After`",
}
_RETRY_AFTER = {
    "description": "Seconds to wait before retrying.",
    "schema": {"type": "integer"},
}
_LOCATION = {
    "description": "Where the created resource can be read.",
    "required": True,
    "schema": {"type": "string"},
}


def operation_id(route: APIRoute) -> str:
    """``list_ranked_entries`` → ``listRankedEntries``: the endpoint's name, stable across
    releases (renaming an endpoint function changes its operation id)."""
    first, *rest = route.name.split("_")
    return first + "".join(word.capitalize() for word in rest)


def _add_models(components: dict[str, Any], *models: type[BaseModel]) -> None:
    for model in models:
        schema = model.model_json_schema(ref_template=_REF)
        for name, definition in schema.pop("$defs", {}).items():
            components.setdefault(name, definition)
        components.setdefault(model.__name__, schema)


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": _REF.format(model=model.__name__)}


def _problem_schema(response: dict[str, Any], code: int) -> dict[str, Any]:
    content = response.get("content", {})
    schema = next(
        (media["schema"] for media in content.values() if "schema" in media),
        None,
    )
    if schema is None or any(
        schema.get("$ref", "").endswith(f"/{name}") for name in _FASTAPI_VALIDATION
    ):
        return _ref(ValidationProblem if code == 422 else Problem)
    return dict(schema)


def _declare_problems(path: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    wanted: set[int] = set()
    if path.startswith("/api/"):
        wanted.update((401, 503))
    if "requestBody" in operation:
        wanted.update((400, 413, 422))
    if operation.get("parameters"):
        wanted.add(422)
    for code in sorted(wanted):
        responses.setdefault(str(code), {"description": _DEFAULT_DESCRIPTIONS[code]})
    for key, response in responses.items():
        if key.isdigit() and int(key) >= 400:
            response["content"] = {PROBLEM_JSON: {"schema": _problem_schema(response, int(key))}}
    for key in ("429", "503"):
        if key in responses:
            responses[key].setdefault("headers", {})["Retry-After"] = _RETRY_AFTER
    created = responses.get("201")
    if created is not None:
        created.setdefault("headers", {})["Location"] = _LOCATION


def build_openapi(app: FastAPI) -> dict[str, Any]:
    """The document served at ``/openapi.json`` (built once)."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    _add_models(components, Problem, ValidationProblem, UploadRejected, EntriesIn)
    for path, item in schema.get("paths", {}).items():
        for operation in item.values():
            _declare_problems(path, operation)
    for name in _FASTAPI_VALIDATION:
        components.pop(name, None)
    app.openapi_schema = schema
    return schema


def install_openapi(app: FastAPI) -> None:
    """Serve :func:`build_openapi` as the app's OpenAPI document."""
    app.openapi = lambda: build_openapi(app)  # type: ignore[method-assign]

"""Property-based fuzzing of the whole API from its OpenAPI document (schemathesis).

Every operation gets generated requests, valid and invalid, sent to the app in-process over
SQLite with a ranked demo list; the run fails on any 5xx and on any answer that does not match
what the document declares (status, content type, headers, body schema). Bounded and
deterministic: a fixed number of examples per operation, derandomised. Run by
``scripts/test.sh`` as its own step (``-m fuzz``); ``EQUIWAIT_FUZZ_EXAMPLES`` sets the count.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, checks

from app.main import create_app
from app.security import Role, create_token
from app.settings import Settings
from tests.api.ptl_files import demo_csv
from tests.conftest import TEST_SECRET

pytestmark = pytest.mark.fuzz
EXAMPLES = int(os.environ.get("EQUIWAIT_FUZZ_EXAMPLES", "25"))
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]
ADMIN = create_token("fuzz", list(Role), TEST_SECRET, timedelta(hours=2))


@pytest.fixture(scope="session")
def fuzzed_app(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from fastapi.testclient import TestClient

    folder = tmp_path_factory.mktemp("fuzz")
    shutil.copyfile(sqlite_template, folder / "fuzz.db")
    app = create_app(
        Settings(
            environment="test",
            database_url=f"sqlite:///{folder / 'fuzz.db'}",
            secret_key=TEST_SECRET,
            audit_anchor_file=folder / "anchors.jsonl",
        )
    )
    with TestClient(app) as client:
        upload = client.post(
            "/api/v1/ptl/uploads",
            files={"file": ("ptl.csv", demo_csv(200, seed=5), "text/csv")},
            headers={"Authorization": f"Bearer {ADMIN}"},
        )
        assert upload.status_code == 201, upload.text
        yield app


def _fuzz(
    operation: schemathesis.APIOperation, mode: GenerationMode, seen: Counter[int]
) -> str | None:
    """Run ``EXAMPLES`` generated cases of one operation; the first failure, shrunk, or None."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    def run(case: schemathesis.Case) -> None:
        response = case.call_and_validate(
            headers={"Authorization": f"Bearer {ADMIN}"}, checks=CHECKS
        )
        seen[response.status_code] += 1

    try:
        run()
    except Unsatisfiable:
        return None  # nothing to make invalid (an operation without inputs)
    except (Exception, BaseExceptionGroup) as exc:  # every failure is reported; go on
        return f"{operation.label} ({mode.value}): {type(exc).__name__}: {exc}"
    return None


def test_every_operation_answers_as_documented(fuzzed_app: object) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app)
    failures: list[str] = []
    seen: Counter[int] = Counter()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 40
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failure = _fuzz(operation, mode, seen)
            if failure is not None:
                failures.append(failure)
    assert not failures, "\n\n".join(failures)
    # The run really exercised the service: successes, refusals of every common kind.
    assert {200, 201, 400, 404, 422} <= set(seen), seen
    assert all(code < 500 for code in seen)

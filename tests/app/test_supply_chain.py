"""The lock files drive installation: they pin every dependency of pyproject.toml at its
version, with hashes, and the project's own packages run from a regular (non-editable)
install."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from app.migrations import PROJECT_ROOT, project_root

ROOT = Path(__file__).resolve().parents[2]
_PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;\\]+)")


def _locked(name: str) -> dict[str, str]:
    """``package -> version`` of a lock file, every entry checked to carry a hash."""
    text = (ROOT / name).read_text()
    pins: dict[str, str] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        match = _PIN.match(block)
        if match is None:
            continue
        assert "--hash=sha256:" in block, f"{name}: {match.group(1)} has no hash"
        pins[_canonical(match.group(1))] = match.group(2)
    return pins


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared(requirements: list[str]) -> dict[str, str]:
    found = {}
    for requirement in requirements:
        match = _PIN.match(requirement)
        assert match is not None, f"not pinned with ==: {requirement}"
        found[_canonical(match.group(1))] = match.group(2)
    return found


def test_the_lock_files_pin_every_declared_dependency_with_hashes():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = _declared(project["dependencies"])
    development = _declared(project["optional-dependencies"]["dev"])
    runtime_lock, development_lock = _locked("requirements.lock"), _locked("requirements-dev.lock")
    stale = {n: v for n, v in runtime.items() if runtime_lock.get(n) != v}
    assert stale == {}, "run `make lock`: requirements.lock differs from pyproject.toml"
    stale = {n: v for n, v in {**runtime, **development}.items() if development_lock.get(n) != v}
    assert stale == {}, "run `make lock`: requirements-dev.lock differs from pyproject.toml"
    # Packages only the tests use stay out of the service's (and the image's) dependencies.
    assert "nhs-number" not in runtime_lock
    assert "nhs-number" in development_lock


def test_every_install_uses_the_lock_files_with_hashes():
    makefile = (ROOT / "Makefile").read_text()
    assert "--require-hashes -r requirements-dev.lock" in makefile
    assert "--no-deps -e ." in makefile
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "--require-hashes -r requirements.lock" in dockerfile
    assert "pip install --no-deps ." in dockerfile and " -e " not in dockerfile
    assert re.search(r"^USER equiwait$", dockerfile, re.M)
    assert "make audit" in (ROOT / ".ci/run").read_text()


def test_the_service_code_does_not_import_the_test_only_package():
    for folder in ("app", "api", "models", "prioritisation", "web"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text()
            assert not re.search(r"^\s*(from|import) nhs_number\b", text, re.M), path


def test_migrations_are_found_from_a_regular_install(tmp_path):
    """Installed into site-packages, the package finds alembic.ini and migrations/ in the
    working directory (the container's /srv/equiwait)."""
    site = tmp_path / "site-packages"
    site.mkdir()
    assert project_root(site, PROJECT_ROOT) == PROJECT_ROOT
    assert project_root(PROJECT_ROOT, site) == PROJECT_ROOT

import gzip
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.security import Role, decode_token
from app.settings import get_settings

SECRET = "cli-secret-" + "y" * 40


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.setenv("EQUIWAIT_ENVIRONMENT", "production")
    monkeypatch.setenv("EQUIWAIT_SECRET_KEY", SECRET)
    monkeypatch.setenv("EQUIWAIT_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_token_prints_only_a_verifiable_token(env):
    result = CliRunner().invoke(cli, ["token", "--role", "auditor", "--subject", "a.b"])
    assert result.exit_code == 0
    token = result.stdout.strip()
    assert "\n" not in token
    principal = decode_token(token, SECRET)
    assert principal.subject == "a.b"
    assert principal.roles == {Role.AUDITOR}


def test_token_rejects_an_unknown_role(env):
    result = CliRunner().invoke(cli, ["token", "--role", "king", "--subject", "a"])
    assert result.exit_code != 0


def test_missing_secret_in_production_fails_clearly(env, monkeypatch):
    monkeypatch.delenv("EQUIWAIT_SECRET_KEY")
    get_settings.cache_clear()
    result = CliRunner().invoke(cli, ["token", "--role", "admin", "--subject", "a"])
    assert result.exit_code == 2
    assert "EQUIWAIT_SECRET_KEY" in result.stderr


def test_migrate_then_load_imd_refuses_a_second_copy(env):
    runner = CliRunner()
    migrated = runner.invoke(cli, ["migrate"])
    assert migrated.exit_code == 0, migrated.stderr
    assert "IMD edition iod2019: 32844 LSOAs" in migrated.stderr
    again = runner.invoke(cli, ["load-imd"])
    assert again.exit_code == 1
    assert "already loaded" in again.stderr


def test_load_imd_reports_a_broken_file(env):
    bad = Path(env) / "bad.csv.gz"
    bad.write_bytes(gzip.compress(b"LSOA code (2011),Something else\nE01000001,1\n"))
    runner = CliRunner()
    assert runner.invoke(cli, ["migrate", "--skip-imd"]).exit_code == 0
    result = runner.invoke(cli, ["load-imd", str(bad), "--edition", "iod2025"])
    assert result.exit_code == 1
    assert "missing the column" in result.stderr


def test_generate_demo_is_deterministic(env):
    runner = CliRunner()
    first, second = Path(env) / "a.csv", Path(env) / "b.csv"
    args = ["generate-demo", "--rows", "500", "--seed", "5", "--census-date", "2026-11-23"]
    assert runner.invoke(cli, [*args, "-o", str(first)]).exit_code == 0
    assert runner.invoke(cli, [*args, "-o", str(second)]).exit_code == 0
    assert first.read_bytes() == second.read_bytes()
    assert len(first.read_text().splitlines()) == 501


def test_development_token_is_accepted_by_the_development_server(
    monkeypatch, tmp_path, database_url
):
    """README: `EQUIWAIT_ENVIRONMENT=development equiwait token ...` against `make run`."""
    from fastapi.testclient import TestClient

    from app.main import create_app

    monkeypatch.setenv("EQUIWAIT_ENVIRONMENT", "development")
    monkeypatch.delenv("EQUIWAIT_SECRET_KEY", raising=False)
    monkeypatch.setenv("EQUIWAIT_DEVELOPMENT_SECRET_FILE", str(tmp_path / "secret_key"))
    monkeypatch.setenv("EQUIWAIT_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        printed = CliRunner().invoke(cli, ["token", "--role", "scheduler", "--subject", "pas.feed"])
        assert printed.exit_code == 0, printed.stderr
        token = printed.stdout.strip()
        get_settings.cache_clear()
        with TestClient(create_app()) as client:
            headers = {"Authorization": f"Bearer {token}"}
            response = client.get("/api/v1/ptl/entries", params={"limit": 5}, headers=headers)
            forged = client.get(
                "/api/v1/ptl/entries", headers={"Authorization": f"Bearer {token}x"}
            )
    finally:
        get_settings.cache_clear()
    assert response.status_code == 200, response.text
    assert forged.status_code == 401


def test_migrate_loads_a_trusts_reference_lists_or_fails_clearly(env, monkeypatch):
    folder = Path(env) / "reference"
    folder.mkdir()
    (folder / "clinical_areas.extra.csv").write_text(
        "code,name,population\noral_cancer,Oral cancer (local),adult\n"
    )
    monkeypatch.setenv("EQUIWAIT_REFERENCE_DATA_DIR", str(folder))
    get_settings.cache_clear()
    runner = CliRunner()
    migrated = runner.invoke(cli, ["migrate", "--skip-imd"])
    assert migrated.exit_code == 0, migrated.stderr
    assert "reference table clinical_areas: 13 rows" in migrated.stderr
    (folder / "clinical_areas.extra.csv").write_text("code,name\noral_cancer,Oral cancer\n")
    refused = runner.invoke(cli, ["migrate", "--skip-imd"])
    assert refused.exit_code == 1
    assert "clinical_areas.extra.csv: missing column(s) population" in refused.stderr


def test_audit_anchor_then_verify_finds_a_cut_off_tail(env, monkeypatch):
    import sqlite3

    anchors = Path(env) / "anchors.jsonl"
    monkeypatch.setenv("EQUIWAIT_AUDIT_ANCHOR_FILE", str(anchors))
    get_settings.cache_clear()
    runner = CliRunner()
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    anchored = runner.invoke(cli, ["audit-anchor"])
    assert anchored.exit_code == 0, anchored.stderr
    assert "anchored audit record 1" in anchored.stderr
    assert len(anchors.read_text().splitlines()) == 1
    sound = runner.invoke(cli, ["audit-verify"])
    assert sound.exit_code == 0, sound.stderr
    assert "audit chain sound: 1 records, anchored head 1" in sound.stderr
    with sqlite3.connect(Path(env) / "cli.db") as connection:
        connection.execute("DROP TRIGGER audit_events_no_delete")
        connection.execute("DELETE FROM audit_events")
    broken = runner.invoke(cli, ["audit-verify"])
    assert broken.exit_code == 1
    assert "the chain ends before its anchored head" in broken.stderr

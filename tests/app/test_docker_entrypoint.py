"""The image's entry command (scripts/docker-entrypoint.sh) run locally: migrate, then serve."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = ROOT / "scripts" / "docker-entrypoint.sh"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (no tables) of each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/fresh.db"
        return
    admin_url = os.environ.get("EQUIWAIT_TEST_POSTGRES_URL")
    if not admin_url:
        pytest.skip("EQUIWAIT_TEST_POSTGRES_URL is not set")
    name = f"equiwait_entrypoint_{os.getpid()}"
    admin = create_engine(
        make_url(admin_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _environment(database_url: str, port: int) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("EQUIWAIT_")}
    return {
        **keep,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "EQUIWAIT_ENVIRONMENT": "production",
        "EQUIWAIT_SECRET_KEY": "entrypoint-" + "z" * 40,
        "EQUIWAIT_DATABASE_URL": database_url,
        "EQUIWAIT_HOST": "127.0.0.1",
        "EQUIWAIT_PORT": str(port),
        "EQUIWAIT_WORKERS": "1",
    }


def test_entrypoint_migrates_a_fresh_database_then_serves_ready(
    tmp_path: Path, empty_database: str
) -> None:
    port = _free_port()
    log = (tmp_path / "entrypoint.log").open("w+b")
    process = subprocess.Popen(
        ["bash", str(ENTRYPOINT)],
        cwd=tmp_path,
        env=_environment(empty_database, port),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 150
        ready = None
        while time.monotonic() < deadline and process.poll() is None:
            ready = _status(f"http://127.0.0.1:{port}/readyz")
            if ready == 200:
                break
            time.sleep(0.5)
        log.seek(0)
        output = log.read().decode(errors="replace")
        assert ready == 200, output
        assert _status(f"http://127.0.0.1:{port}/healthz") == 200
        assert "database migrated to head" in output
        assert "IMD edition iod2019: 32844 LSOAs" in output
        assert _status(f"http://127.0.0.1:{port}/api/v1/ptl/entries") == 401
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()


def test_entrypoint_stops_when_migration_fails(tmp_path: Path) -> None:
    env = _environment(f"sqlite:///{tmp_path}/fresh.db", _free_port())
    env["EQUIWAIT_SECRET_KEY"] = "short"
    result = subprocess.run(
        ["bash", str(ENTRYPOINT)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "EQUIWAIT_SECRET_KEY" in result.stderr

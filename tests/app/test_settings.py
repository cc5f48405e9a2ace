import pytest
from pydantic import ValidationError

from app.settings import Settings


def test_production_refuses_to_start_without_a_secret(monkeypatch):
    monkeypatch.delenv("EQUIWAIT_SECRET_KEY", raising=False)
    with pytest.raises(ValidationError, match="EQUIWAIT_SECRET_KEY must be set"):
        Settings(environment="production", _env_file=None)


def test_production_refuses_a_short_secret():
    with pytest.raises(ValidationError, match="at least 32 characters"):
        Settings(environment="production", secret_key="short", _env_file=None)


def test_development_generates_and_keeps_a_local_secret(tmp_path, monkeypatch):
    monkeypatch.delenv("EQUIWAIT_SECRET_KEY", raising=False)
    path = tmp_path / "secret"
    first = Settings(environment="development", development_secret_file=path, _env_file=None)
    second = Settings(environment="development", development_secret_file=path, _env_file=None)
    assert first.secret == second.secret
    assert len(first.secret) > 32
    assert oct(path.stat().st_mode)[-3:] == "600"


def test_settings_read_the_equiwait_prefix(monkeypatch):
    monkeypatch.setenv("EQUIWAIT_DATABASE_URL", "sqlite:///elsewhere.db")
    monkeypatch.setenv("EQUIWAIT_SECRET_KEY", "s" * 40)
    monkeypatch.setenv("EQUIWAIT_ENVIRONMENT", "production")
    settings = Settings(_env_file=None)
    assert settings.database_url == "sqlite:///elsewhere.db"
    assert settings.secret == "s" * 40


def test_reference_data_dir_must_be_an_existing_folder(tmp_path):
    settings = Settings(environment="test", reference_data_dir=tmp_path, _env_file=None)
    assert settings.reference_data_dir == tmp_path
    with pytest.raises(ValidationError, match="EQUIWAIT_REFERENCE_DATA_DIR is not a folder"):
        Settings(environment="test", reference_data_dir=tmp_path / "missing", _env_file=None)

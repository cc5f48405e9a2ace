"""Run Alembic migrations programmatically and report whether the schema is at head."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine


def project_root(installed_at: Path, working_dir: Path) -> Path:
    """The folder holding ``alembic.ini`` and ``migrations/``: the checkout the package is in
    (an editable install) or, for a regular install such as the container's, the working
    directory."""
    for folder in (installed_at, working_dir):
        if (folder / "alembic.ini").is_file() and (folder / "migrations").is_dir():
            return folder
    return installed_at


PROJECT_ROOT = project_root(Path(__file__).resolve().parent.parent, Path.cwd())


def alembic_config(url: str) -> Config:
    """Alembic config pointing at the project's migrations and ``url``."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_to_head(engine: Engine) -> None:
    """Apply every pending migration (the only way the schema is created or changed)."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def head_revisions() -> frozenset[str]:
    """The newest revision(s) among the project's migrations."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return frozenset(script.get_heads())


def current_revisions(engine: Engine) -> frozenset[str]:
    """The revision(s) the database is at (empty when it was never migrated)."""
    with engine.connect() as connection:
        return frozenset(MigrationContext.configure(connection).get_current_heads())

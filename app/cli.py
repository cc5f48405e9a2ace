"""The ``equiwait`` command: migrate, serve, token, load-imd, generate-demo, snapshot-equity,
audit-anchor, audit-verify."""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from app.security import Role
from app.settings import Settings, get_settings

cli = typer.Typer(
    name="equiwait",
    help="Equiwait: waiting-list equity prioritisation for NHS elective care.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code)


def _settings() -> Settings:

    try:
        return get_settings()
    except ValidationError as exc:
        messages = "; ".join(str(err["msg"]) for err in exc.errors())
        raise _fail(f"invalid settings: {messages}", 2) from exc


@cli.command()
def migrate(
    skip_imd: Annotated[
        bool, typer.Option("--skip-imd", help="Do not load the shipped IoD 2019 lookup.")
    ] = False,
) -> None:
    """Apply database migrations, load reference lists and (once) the default IMD lookup."""
    from app.bootstrap import prepare_database
    from app.database import build_engine
    from app.ingest.reference import ReferenceDataError

    settings = _settings()
    engine = build_engine(settings.database_url)
    try:
        report = prepare_database(
            engine,
            load_default_imd=not skip_imd,
            show_progress=True,
            reference_data_dir=settings.reference_data_dir,
        )
    except ReferenceDataError as exc:
        raise _fail(str(exc)) from exc
    except SQLAlchemyError as exc:
        raise _fail(f"database error: {exc.__class__.__name__}: {exc}") from exc
    finally:
        engine.dispose()
    typer.echo(report, err=True)


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes (default: EQUIWAIT_WORKERS).")
    ] = None,
) -> None:
    """Serve the API (``app.main:app``) with uvicorn."""
    import uvicorn

    settings = _settings()
    workers = workers or settings.workers
    uvicorn.run(
        "app.main:app",
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        server_header=False,
        # The app configures logging (JSON lines, app/logs.py) in each worker.
        log_config=None,
    )


@cli.command()
def token(
    role: Annotated[list[Role], typer.Option("--role", help="Role to grant (repeatable).")],
    subject: Annotated[str, typer.Option("--subject", help="Who the token is for.")],
    ttl_minutes: Annotated[
        int | None, typer.Option("--ttl-minutes", help="Lifetime (default from settings).")
    ] = None,
) -> None:
    """Print a signed bearer token (the token alone on stdout)."""
    from app.security import create_token

    settings = _settings()
    ttl = timedelta(minutes=ttl_minutes or settings.token_ttl_minutes)
    try:
        value = create_token(subject, list(role), settings.secret, ttl)
    except ValueError as exc:
        raise _fail(str(exc), 2) from exc
    sys.stdout.write(value + "\n")


@cli.command("load-imd")
def load_imd(
    file: Annotated[
        Path | None,
        typer.Argument(help="Official IoD 'scores, ranks and deciles' CSV (.csv or .csv.gz)."),
    ] = None,
    edition: Annotated[
        str, typer.Option(help="Edition code, e.g. iod2019 (2011 LSOAs) or iod2025 (2021 LSOAs).")
    ] = "iod2019",
    replace: Annotated[bool, typer.Option(help="Replace an edition already loaded.")] = False,
) -> None:
    """Load an English Indices of Deprivation lookup (default: the shipped IoD 2019 file)."""
    from app.database import build_engine, session_scope
    from app.imd_loader import ImdLoadError, load_imd_file
    from app.reference_data import DEFAULT_IMD_FILE

    settings = _settings()
    path = file or DEFAULT_IMD_FILE
    if not path.exists():
        raise _fail(f"file not found: {path}")
    engine = build_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            count = load_imd_file(session, path, edition, replace=replace, show_progress=True)
            if edition == settings.imd_edition:
                # Deciles in force changed: every list may reorder (re-ranked in the background).
                from app.rankings.jobs import queue_for_reference_change

                queue_for_reference_change(session, actor="equiwait.load-imd")
    except ImdLoadError as exc:
        raise _fail(str(exc)) from exc
    finally:
        engine.dispose()
    typer.echo(f"loaded {count:,} LSOAs into IMD edition {edition}", err=True)


@cli.command("generate-demo")
def generate_demo(
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV file to write.")] = Path(
        "var/demo_ptl.csv"
    ),
    rows: Annotated[int, typer.Option(min=1, help="Number of PTL entries.")] = 100_000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same file).")] = 20261123,
    provider: Annotated[str, typer.Option(help="Provider ODS code.")] = "RZZ",
    census_date: Annotated[
        str | None, typer.Option(help="Census date YYYY-MM-DD (default today).")
    ] = None,
    bad_output: Annotated[
        Path | None, typer.Option(help="Also write the deliberately messy test file here.")
    ] = None,
) -> None:
    """Write a deterministic synthetic PTL (999-range NHS numbers, real LSOA codes)."""
    from tqdm import tqdm

    from app.demo import generate_ptl, write_bad_csv, write_ptl_csv

    try:
        census = date.fromisoformat(census_date) if census_date else date.today()
    except ValueError as exc:
        raise _fail(f"--census-date must be YYYY-MM-DD: {census_date}", 2) from exc
    output.parent.mkdir(parents=True, exist_ok=True)
    columns = generate_ptl(rows, seed=seed, census_date=census, provider_code=provider)
    with tqdm(total=rows, unit="rows", desc="writing", file=sys.stderr) as bar:
        last = 0

        def progress(written: int) -> None:
            nonlocal last
            bar.update(written - last)
            last = written

        write_ptl_csv(output, columns, progress=progress)
    typer.echo(f"wrote {rows:,} synthetic entries to {output}", err=True)
    if bad_output is not None:
        bad_output.parent.mkdir(parents=True, exist_ok=True)
        write_bad_csv(bad_output, seed=seed, census_date=census, provider_code=provider)
        typer.echo(f"wrote messy test rows to {bad_output}", err=True)


def main() -> None:
    """Console entry point."""
    cli()


@cli.command()
def worker(
    concurrency: Annotated[int, typer.Option(min=1, help="Jobs run at once.")] = 1,
) -> None:
    """Take background jobs until stopped (PostgreSQL: procrastinate's queue, from any machine
    sharing the database; SQLite: this machine's jobs table)."""
    from app.database import build_engine
    from app.jobs import run_worker

    settings = _settings()
    engine = build_engine(settings.database_url)
    try:
        run_worker(engine, settings, concurrency=concurrency)
    finally:
        engine.dispose()


@cli.command()
def tick() -> None:
    """Run the scheduled work now: recovery sweep, override expiry, future effective times,
    weekly equity snapshots (for an external scheduler; see EQUIWAIT_SCHEDULER)."""
    import json

    from app.database import build_engine
    from app.scheduler import tick as run_tick

    settings = _settings()
    engine = build_engine(settings.database_url)
    try:
        done = run_tick(engine, settings)
    except SQLAlchemyError as exc:
        raise _fail(f"database error: {exc.__class__.__name__}: {exc}") from exc
    finally:
        engine.dispose()
    typer.echo(json.dumps(done, sort_keys=True))


@cli.command("backfill-trend")
def backfill_trend_command(
    provider: Annotated[str, typer.Option(help="Provider ODS code.")],
    since: Annotated[str, typer.Option("--from", help="First census date YYYY-MM-DD.")],
    until: Annotated[
        str | None, typer.Option("--to", help="Last census date YYYY-MM-DD (default today).")
    ] = None,
    actor: Annotated[str, typer.Option(help="Recorded as the snapshots' creator.")] = "cli",
) -> None:
    """Store the equity snapshot of every ISO week missing from the trend, computed from the
    entries open on that week's Monday (marked backfilled)."""
    from app.database import build_engine
    from app.reports import ProviderNotFound
    from app.reports.jobs import backfill_trend

    settings = _settings()
    try:
        first = date.fromisoformat(since)
        last = date.fromisoformat(until) if until else date.today()
    except ValueError as exc:
        raise _fail("--from and --to must be YYYY-MM-DD", 2) from exc
    if first > last or last > date.today():
        raise _fail("--from must not be after --to, and --to not in the future", 2)
    engine = build_engine(settings.database_url)
    try:
        weeks = backfill_trend(
            engine, provider.strip().upper(), since=first, until=last, actor=actor
        )
    except ProviderNotFound as exc:
        raise _fail(str(exc)) from exc
    finally:
        engine.dispose()
    typer.echo(f"back-filled {len(weeks)} week(s): {', '.join(weeks) or 'none missing'}", err=True)


@cli.command("snapshot-equity")
def snapshot_equity(
    provider: Annotated[str, typer.Option(help="Provider ODS code.")],
    census_date: Annotated[
        str | None, typer.Option(help="Census date YYYY-MM-DD (default today).")
    ] = None,
    actor: Annotated[str, typer.Option(help="Recorded as the snapshot's creator.")] = "cli",
) -> None:
    """Store this ISO week's equity report snapshot (the first one of a week wins)."""
    from app.database import build_engine, session_scope
    from app.reports import ProviderNotFound, iso_week, record_weekly_snapshot

    settings = _settings()
    try:
        census = date.fromisoformat(census_date) if census_date else date.today()
    except ValueError as exc:
        raise _fail(f"--census-date must be YYYY-MM-DD: {census_date}", 2) from exc
    code = provider.strip().upper()
    year, week = iso_week(census)
    engine = build_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            snapshot = record_weekly_snapshot(session, code, actor=actor, census_date=census)
    except ProviderNotFound as exc:
        raise _fail(str(exc)) from exc
    except SQLAlchemyError as exc:
        raise _fail(f"database error: {exc.__class__.__name__}: {exc}") from exc
    finally:
        engine.dispose()
    if snapshot is None:
        typer.echo(
            f"{code} already has a snapshot for {year}-W{week:02d}; nothing stored", err=True
        )
    else:
        typer.echo(
            f"stored equity snapshot {year}-W{week:02d} for {code} (census {census})", err=True
        )


@cli.command("audit-anchor")
def audit_anchor() -> None:
    """Sign the audit chain's head and append it to EQUIWAIT_AUDIT_ANCHOR_FILE (and the log)."""
    from app.audit_anchor import write_anchor
    from app.audit_keys import AuditKeys
    from app.database import build_engine, session_scope

    settings = _settings()
    engine = build_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            anchor = write_anchor(
                session, AuditKeys.from_settings(settings), settings.audit_anchor_file
            )
    except SQLAlchemyError as exc:
        raise _fail(f"database error: {exc.__class__.__name__}: {exc}") from exc
    except OSError as exc:
        raise _fail(f"cannot write {settings.audit_anchor_file}: {exc}") from exc
    finally:
        engine.dispose()
    if anchor is None:
        typer.echo("the audit log is empty; nothing to anchor", err=True)
        return
    typer.echo(
        f"anchored audit record {anchor.event_id} ({anchor.hash[:12]}…) "
        f"in {settings.audit_anchor_file}",
        err=True,
    )


@cli.command("audit-verify")
def audit_verify() -> None:
    """Re-walk the audit chain against the latest anchor; exit 1 when it is broken."""
    from app.audit_anchor import verify_against_latest_anchor
    from app.audit_keys import AuditKeys
    from app.database import build_engine, session_scope

    settings = _settings()
    engine = build_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            report = verify_against_latest_anchor(
                session, AuditKeys.from_settings(settings), settings.audit_anchor_file
            )
    except SQLAlchemyError as exc:
        raise _fail(f"database error: {exc.__class__.__name__}: {exc}") from exc
    finally:
        engine.dispose()
    anchored = f", anchored head {report.anchored_event_id}" if report.anchored_event_id else ""
    if not report.valid:
        raise _fail(
            f"audit chain broken at record {report.first_broken_id}: {report.reason} "
            f"({report.events_checked} records confirmed{anchored})"
        )
    typer.echo(f"audit chain sound: {report.events_checked} records{anchored}", err=True)

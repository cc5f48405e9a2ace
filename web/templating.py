"""Jinja2 with the NHS.UK frontend macros: one environment, one ``render`` for every page.

Why ``ChainableUndefined``: the NHS.UK macros read nested optional parameters
(``params.hint.text``) and expect missing ones to be empty, as Nunjucks does.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChainableUndefined, ChoiceLoader, Environment, FileSystemLoader, PackageLoader

from app.security import ROLE_NAMES, Role

WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"
TEMPLATES_DIR = WEB_DIR / "templates"
LOCAL_TIME = ZoneInfo("Europe/London")
"""Times are stored in UTC and shown in UK time, as people in a trust read them."""


@lru_cache(maxsize=256)
def _fingerprint(path: str) -> str:
    file = STATIC_DIR / path
    return hashlib.sha256(file.read_bytes()).hexdigest()[:12] if file.is_file() else "missing"


def static_url(path: str) -> str:
    """``/static/<path>?v=<content hash>``, so browsers may cache assets for a long time."""
    return f"/static/{path}?v={_fingerprint(path)}"


def local_time(value: datetime | None, fmt: str = "%-d %B %Y at %H:%M") -> str:
    """A UTC timestamp in UK time (``23 November 2026 at 09:15``)."""
    if value is None:
        return "–"
    return value.astimezone(LOCAL_TIME).strftime(fmt)


def long_date(value: date | None) -> str:
    return "–" if value is None else value.strftime("%-d %B %Y")


def number(value: float | int | None, places: int = 0) -> str:
    """``12,345`` or ``12.5`` (an en dash for nothing)."""
    if value is None:
        return "–"
    if isinstance(value, int) or places == 0:
        return f"{round(value):,}"
    return f"{value:,.{places}f}"


def days(value: float | None) -> str:
    """Days as people say them: ``21 days``, ``1 day``, ``7.5 days``."""
    if value is None:
        return "–"
    shown = f"{value:g}" if value != int(value) else f"{int(value)}"
    return f"{shown} day" if value == 1 else f"{shown} days"


def signed(value: float | int | None, places: int = 1) -> str:
    if value is None:
        return "–"
    return f"{value:+,.{places}f}" if places else f"{round(value):+,}"


def sentence(value: str) -> str:
    """First letter in capitals, the rest as written (``capitalize`` would lower it)."""
    return value[:1].upper() + value[1:] if value else value


def role_name(value: str) -> str:
    try:
        return ROLE_NAMES[Role(value)]
    except ValueError:
        return value


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader(
            [FileSystemLoader(TEMPLATES_DIR), PackageLoader("nhsuk_frontend_jinja")]
        ),
        undefined=ChainableUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["static_url"] = static_url
    env.filters.update(
        local_time=local_time,
        long_date=long_date,
        number=number,
        days=days,
        signed=signed,
        role_name=role_name,
        sentence=sentence,
    )
    return env


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """The page ``template`` with the signed-in person (if any) and the navigation."""
    from web.navigation import page_context

    values = {**page_context(request), **(context or {})}
    html = environment().get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code, headers=headers)

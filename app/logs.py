"""JSON log lines, one object per line, each carrying the request id it was written for.

Every logger of the process (the service's, uvicorn's error and access logs, SQLAlchemy,
procrastinate) goes through one handler on the root logger, rendered by structlog as JSON:
``{"timestamp", "level", "logger", "event", "request_id", …}``. ``request_id`` comes from the
``X-Request-ID`` of the request being served (asgi-correlation-id: the client's, when it is a
UUID, or one generated), and is echoed in the answer, so a service desk can match a complaint
to its lines. Lines outside a request (start-up, background jobs) have ``request_id: null``.

The access log names the path without its query string: filters, search terms and cursors stay
out of the logs. Patient identifiers are never passed to a logger (see tests/app/test_logs.py).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog
from asgi_correlation_id import correlation_id

#: Loggers that install handlers of their own; they are made to use the root's instead.
_OWN_HANDLERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "procrastinate")


def _add_request_id(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    event.setdefault("request_id", correlation_id.get())
    return event


class _PathWithoutQuery(logging.Filter):
    """uvicorn.access formats ``client, method, full path, HTTP version, status``: drop the
    query string from the path."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (args[0], args[1], args[2].split("?", 1)[0], args[3], args[4])
        return True


def _shared() -> list[Any]:
    return [
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_request_id,
    ]


def json_formatter() -> structlog.stdlib.ProcessorFormatter:
    """The formatter of every log line (also used by the tests)."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(sort_keys=True),
        ],
    )


def configure_logging(level: str = "INFO") -> None:
    """Send every logger of the process to stderr as JSON lines (idempotent)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_equiwait", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(json_formatter())
    handler._equiwait = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in _OWN_HANDLERS:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, _PathWithoutQuery) for f in access.filters):
        access.addFilter(_PathWithoutQuery())
    structlog.configure(
        processors=[*_shared(), structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )

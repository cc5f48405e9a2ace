"""A flat diff of two JSON documents: one ``{path, before, after}`` per changed leaf."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_MISSING: Any = object()


@dataclass(frozen=True, slots=True)
class Change:
    """One changed leaf; ``before``/``after`` is None where the path did not exist."""

    path: str
    before: Any
    after: Any

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "before": self.before, "after": self.after}


def _children(value: Any) -> dict[str, Any] | None:
    """A container's children keyed by path segment (None for a leaf or an empty container)."""
    if isinstance(value, dict) and value:
        return {str(k): v for k, v in value.items()}
    if isinstance(value, list) and value:
        return {str(i): v for i, v in enumerate(value)}
    return None


def _walk(path: str, before: Any, after: Any, out: list[Change]) -> None:
    old, new = _children(before), _children(after)
    both_containers = (
        old is not None and new is not None and isinstance(before, list) == isinstance(after, list)
    )
    if both_containers:
        assert old is not None and new is not None
        for key in [*old, *(k for k in new if k not in old)]:
            child = f"{path}.{key}" if path else key
            _walk(child, old.get(key, _MISSING), new.get(key, _MISSING), out)
    elif old is not None and after is _MISSING:
        for key, value in old.items():
            _walk(f"{path}.{key}" if path else key, value, _MISSING, out)
    elif new is not None and before is _MISSING:
        for key, value in new.items():
            _walk(f"{path}.{key}" if path else key, _MISSING, value, out)
    elif before != after or isinstance(before, bool) != isinstance(after, bool):
        out.append(
            Change(
                path or "(document)",
                None if before is _MISSING else before,
                None if after is _MISSING else after,
            )
        )


def diff_documents(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """Every leaf that differs, in document order (keys new in ``after`` last)."""
    changes: list[Change] = []
    _walk("", before, after, changes)
    return changes

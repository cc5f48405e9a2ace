"""Vectorised helpers over fixed-width string arrays: shape checks without a per-row loop.

Columns are held as ASCII bytes (``S``) whenever possible: a quarter of the memory of ``U`` and
every value the format accepts is ASCII. A column with any other character arrives as ``U``;
:func:`to_ascii` turns it into bytes and says which cells could not be.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import numpy as np
import numpy.typing as npt

BoolArray = npt.NDArray[np.bool_]
IndexArray = npt.NDArray[np.intp]
#: A fixed-width string column: ``S`` (ASCII bytes) or ``U`` (unicode).
StrArray = npt.NDArray[Any]

_DIGITS: Final = b"0123456789"
_UPPER: Final = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#: Pattern letters understood by :func:`matches_pattern`.
_PATTERN_CLASSES: Final[dict[str, bytes]] = {
    "9": _DIGITS,
    "A": _UPPER,
    "X": _DIGITS + _UPPER,
}


def char_codes(values: StrArray) -> npt.NDArray[np.uint8] | npt.NDArray[np.uint32]:
    """The characters of each value as an (n, width) integer matrix, zero-padded."""
    width = max(values.dtype.itemsize // (4 if values.dtype.kind == "U" else 1), 1)
    if values.dtype.kind == "U":
        return np.ascontiguousarray(values).view(np.uint32).reshape(len(values), width)
    return np.ascontiguousarray(values).view(np.uint8).reshape(len(values), width)


def to_ascii(values: StrArray) -> tuple[StrArray, BoolArray]:
    """Bytes for every value plus a mask of values holding non-ASCII characters (blanked)."""
    if values.dtype.kind == "S":
        return values, np.zeros(len(values), dtype=np.bool_)
    codes = char_codes(values)
    bad: BoolArray = np.asarray((codes >= 128).any(axis=1), dtype=np.bool_)
    narrow = np.where(bad[:, None], 0, codes).astype(np.uint8)
    width = codes.shape[1]
    return np.ascontiguousarray(narrow).view(f"S{width}").reshape(len(values)), bad


def strip(values: StrArray) -> StrArray:
    """Values without surrounding whitespace."""
    return np.strings.strip(values)


def upper(values: StrArray) -> StrArray:
    """ASCII upper case, as byte arithmetic (``np.strings.upper`` loops in Python for bytes)."""
    codes = char_codes(values)
    lower_case = (codes >= ord("a")) & (codes <= ord("z"))
    shifted = np.where(lower_case, codes - 32, codes).astype(codes.dtype)
    return np.ascontiguousarray(shifted).view(values.dtype).reshape(len(values))


def is_empty(values: StrArray) -> BoolArray:
    return np.asarray(np.strings.str_len(values) == 0, dtype=np.bool_)


def charset_mask(values: StrArray, allowed: bytes, min_len: int, max_len: int) -> BoolArray:
    """True where a value has ``min_len``..``max_len`` characters, all from ``allowed``."""
    lengths = np.strings.str_len(values)
    codes = char_codes(values)
    inside = np.arange(codes.shape[1]) < lengths[:, None]
    good = (_table(allowed)[codes] | ~inside).all(axis=1)
    return np.asarray(good & (lengths >= min_len) & (lengths <= max_len), dtype=np.bool_)


def matches_pattern(values: StrArray, pattern: str) -> BoolArray:
    """True where an ASCII value has exactly the shape of ``pattern``.

    ``9`` is a digit, ``A`` an upper-case letter, ``X`` either; anything else is literal.
    """
    width = len(pattern)
    ok: BoolArray = np.asarray(np.strings.str_len(values) == width, dtype=np.bool_)
    codes = char_codes(np.asarray(values, dtype=f"S{width}"))
    for position, symbol in enumerate(pattern):
        ok &= _table(_PATTERN_CLASSES.get(symbol, symbol.encode("ascii")))[codes[:, position]]
    return ok


def _table(allowed: bytes) -> BoolArray:
    """A 256-entry membership table: indexing it with byte codes tests a whole column at once."""
    table = np.zeros(256, dtype=np.bool_)
    table[np.frombuffer(allowed, dtype=np.uint8)] = True
    return table


def map_codes(values: StrArray, mapping: Mapping[str, str]) -> tuple[StrArray, BoolArray]:
    """Translate each value through ``mapping``; returns (translated or b"", found mask)."""
    keys = sorted(mapping)
    key_array = np.array([key.encode("ascii") for key in keys], dtype=np.bytes_)
    out_array = np.array([mapping[key].encode("ascii") for key in keys], dtype=np.bytes_)
    if not keys:
        return np.zeros(len(values), dtype="S1"), np.zeros(len(values), dtype=np.bool_)
    position = np.searchsorted(key_array, values).clip(0, len(keys) - 1)
    found = key_array[position] == values
    return np.where(found, out_array[position], b""), found


def decode(value: bytes | str) -> str:
    """One cell as text for a message; undecodable bytes are shown as ``\\xNN`` escapes."""
    if isinstance(value, bytes):
        return value.decode("ascii", "backslashreplace")
    try:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate that did not come from undecodable bytes
        return value.encode("utf-8", "backslashreplace").decode("utf-8")


def shorten(text: str, limit: int = 80) -> str:
    """Keep messages readable when a cell is long."""
    return text if len(text) <= limit else text[: limit - 1] + "…"

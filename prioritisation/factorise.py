"""Turn string columns into small integers that sort the same way, fast.

Why: sorting or comparing a million numpy strings costs hundreds of milliseconds, integers a
few. Fixed-width unicode strings are packed, order-preservingly, into 64-bit words (only the
range of characters actually present is encoded, so ten-character alphanumeric ids fit one
word); np.unique on those words gives dense codes in the same order as the strings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from prioritisation.inputs import StrArray

IntArray = NDArray[np.int64]
_WORD_BITS = 63


@dataclass(frozen=True, slots=True)
class _Packing:
    width: int
    bits: int
    offset: int
    per_word: int

    def decode(self, word: int) -> str:
        """The string a single packed word came from (single-word packings only)."""
        mask = (1 << self.bits) - 1
        chars = [(word >> (self.bits * (self.per_word - 1 - j))) & mask for j in range(self.width)]
        return "".join(chr(c + self.offset) for c in chars if c)


def order_words(values: StrArray) -> list[NDArray[np.uint64]]:
    """uint64 words whose lexicographic order (first word most significant) is string order.

    Strings compare by code point with shorter strings first on a common prefix, exactly as
    numpy and Python compare them: padding packs as 0, below every encoded character.
    """
    return _order_words(values)[0]


def _order_words(values: StrArray) -> tuple[list[NDArray[np.uint64]], _Packing]:
    n = len(values)
    width = max(values.dtype.itemsize // 4, 1)
    if n == 0:
        return [np.zeros(0, np.uint64)], _Packing(width, 1, 0, width)
    chars = np.ascontiguousarray(values).view(np.uint32).reshape(n, width)
    highest = int(chars.max())
    bits = max(highest.bit_length(), 1)
    lookup: NDArray[np.uint64] | None = None
    offset = 0
    if bits * width > _WORD_BITS:
        # Encode only the characters' actual range: 0 stays padding, lowest becomes 1.
        lowest = int(np.min(chars, initial=highest, where=chars > 0))
        offset = lowest - 1
        bits = (highest - offset).bit_length()
        if highest < 1 << 16:
            lookup = np.zeros(highest + 1, np.uint64)
            lookup[lowest:] = np.arange(1, highest - offset + 1, dtype=np.uint64)
    per_word = max(_WORD_BITS // bits, 1)
    shift = np.uint64(bits)
    words: list[NDArray[np.uint64]] = []
    for start in range(0, width, per_word):
        word = np.zeros(n, np.uint64)
        for j in range(start, start + per_word):
            word <<= shift
            if j >= width:
                continue
            col = chars[:, j]
            if lookup is not None:
                word |= lookup[col]
            elif offset:
                word |= np.maximum(col.astype(np.int64) - offset, 0).astype(np.uint64)
            else:
                word |= col
        words.append(word)
    return words, _Packing(width, bits, offset, per_word)


_MULTIPLIERS = tuple(
    int(m) | 1 for m in np.random.default_rng(20261123).integers(1, 2**63, 64, dtype=np.uint64)
)
_SMALL = 4096


def _small_code_lookup(words: NDArray[np.uint64], uniques: NDArray[np.uint64]) -> IntArray | None:
    """Codes via a collision-free multiplicative hash of the few distinct words, or None.

    For a handful of distinct values this is three passes over the data (multiply, shift,
    gather) instead of a sort: the hash is checked to be injective on the distinct words.
    """
    values = [int(u) for u in uniques.tolist()]
    for bits in range(max((4 * len(values)).bit_length(), 1), 17):
        shift = 64 - bits
        for multiplier in _MULTIPLIERS:
            slots = {(v * multiplier) % (1 << 64) >> shift for v in values}
            if len(slots) == len(values):
                lookup = np.zeros(1 << bits, np.int64)
                for code, v in enumerate(values):
                    lookup[((v * multiplier) % (1 << 64)) >> shift] = code
                hashed = words * np.uint64(multiplier)
                hashed >>= np.uint64(shift)
                codes: IntArray = lookup[hashed]
                return codes
    return None


def factorise(values: StrArray) -> tuple[IntArray, StrArray]:
    """Dense codes 0..k-1 in string order, and the k distinct strings in that order."""
    n = len(values)
    if n == 0:
        return np.zeros(0, np.int64), values[:0]
    words, packing = _order_words(values)
    if len(words) == 1:
        ordered = np.sort(words[0])
        change = np.empty(n, np.bool_)
        change[0] = True
        np.not_equal(ordered[1:], ordered[:-1], out=change[1:])
        uniques = ordered[change]
        if len(uniques) <= _SMALL:
            codes = _small_code_lookup(words[0], uniques)
            if codes is not None:
                strings = [packing.decode(int(w)) for w in uniques.tolist()]
                return codes, np.array(strings, dtype=values.dtype)
    codes = dense_rank(values, words)
    first = np.zeros(int(codes.max()) + 1, np.int64)
    first[codes[::-1]] = np.arange(n - 1, -1, -1)
    return codes, values[first]


def factorise_known(values: StrArray, vocabulary: tuple[str, ...]) -> tuple[IntArray, StrArray]:
    """Like :func:`factorise` for a column validated against a tiny sorted vocabulary
    (e.g. pathway stage): one comparison per value instead of packing every character."""
    codes = np.zeros(len(values), np.int64)
    matched = 0
    for code, name in enumerate(vocabulary):
        hit = values == name
        matched += int(np.count_nonzero(hit))
        if code:
            codes[hit] = code
    if matched != len(values):
        return factorise(values)
    present = np.bincount(codes, minlength=len(vocabulary)) > 0
    remap = np.cumsum(present) - 1
    kept = [v for v, p in zip(vocabulary, present.tolist(), strict=True) if p]
    return remap[codes], np.array(kept, dtype=str)


def factorise_ints(values: IntArray) -> tuple[IntArray, IntArray]:
    """Dense codes 0..k-1 in numeric order for non-negative integers, and the k values."""
    n = len(values)
    if n == 0:
        return np.zeros(0, np.int64), values[:0]
    ordered = np.sort(values)
    change = np.empty(n, np.bool_)
    change[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=change[1:])
    uniques = ordered[change]
    if len(uniques) <= _SMALL:
        codes = _small_code_lookup(values.astype(np.uint64), uniques.astype(np.uint64))
        if codes is not None:
            return codes, uniques
    return np.searchsorted(uniques, values).astype(np.int64), uniques


def dense_rank(values: StrArray, words: list[NDArray[np.uint64]] | None = None) -> IntArray:
    """Rank 0..k-1 of each string in string order, equal strings sharing a rank."""
    n = len(values)
    if words is None:
        words = order_words(values)
    order = np.argsort(words[0]) if len(words) == 1 else np.lexsort(words[::-1])
    new = np.zeros(n, np.bool_)
    if n:
        new[0] = True
    for word in words:
        ordered = word[order]
        new[1:] |= ordered[1:] != ordered[:-1]
    ranks = np.empty(n, np.int64)
    ranks[order] = np.cumsum(new) - 1
    return ranks

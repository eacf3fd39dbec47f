"""Splitting a text into deltas of about N characters without splitting an emoji or a grapheme."""

from __future__ import annotations

import re
import unicodedata

# Characters that belong to the one before them (zero width joiner, keycap, variation selectors,
# skin tones, tag characters): a delta never ends right before one.
_NO_SPLIT_BEFORE = re.compile(
    "[\u200d\u20e3\ufe00-\ufe0f\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f\U000e0100-\U000e01ef]"
)


def _is_regional(ch: str) -> bool:
    return "\U0001f1e6" <= ch <= "\U0001f1ff"


def _boundary_ok(text: str, j: int) -> bool:
    """Whether a delta may end before ``text[j]`` without splitting an emoji or grapheme."""
    prev, ch = text[j - 1], text[j]
    if prev == "\u200d" or (prev == "\r" and ch == "\n"):
        return False
    if _NO_SPLIT_BEFORE.match(ch) or unicodedata.combining(ch):
        return False
    return not (_is_regional(prev) and _is_regional(ch))


def split_deltas(text: str, size: int, limit: int | None = None) -> list[str]:
    """Split ``text`` into pieces of about ``size`` characters (at most ``limit`` pieces)."""
    size = max(1, size)
    out: list[str] = []
    i, n = 0, len(text)
    while i < n and (limit is None or len(out) < limit):
        j = min(i + size, n)
        while j < n and not _boundary_ok(text, j):
            j += 1
        out.append(text[i:j])
        i = j
    return out

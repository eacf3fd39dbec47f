"""Where streamed Markdown may be cut into separately rendered pieces without changing it.

A UI that re-renders the whole answer on every delta does work that grows with the square of
the answer's length. Cutting the stream at completed blocks lets it freeze what is done and
re-render only the open block. A cut is made only where rendering the two sides apart gives
the same result as rendering them together: after a blank line outside a fenced code block,
and before a block that cannot continue what came before (not indented, not a list item, not
a footnote or link definition). The decision needs only the first character of the next
block, so no text is ever held back waiting for it.
"""

from __future__ import annotations

__all__ = ["BLOCK_END", "BlockSplitter"]

BLOCK_END = None
"""Marks, in :meth:`BlockSplitter.feed`'s output, that everything before it is a finished block."""

# First characters of a line that may continue the block before the blank line: indented code
# or list continuations, list items (bullets, ordered lists), thematic breaks that could be
# setext underlines, footnote and link reference definitions, tables' leading pipes are safe.
_MAY_CONTINUE = frozenset(" \t-*+0123456789[=")
_FENCE_CHARS = "`~"


def _fence(line: str) -> str | None:
    """The fence a line opens or closes (e.g. ```` ``` ````), or None."""
    stripped = line.lstrip(" ")
    if len(line) - len(stripped) > 3 or not stripped or stripped[0] not in _FENCE_CHARS:
        return None
    char = stripped[0]
    run = len(stripped) - len(stripped.lstrip(char))
    if run < 3 or (char == "`" and "`" in stripped[run:]):
        return None
    return char * run


class BlockSplitter:
    """Feeds streamed Markdown through, marking where a finished block may be frozen."""

    def __init__(self) -> None:
        self._line: list[str] = []  # the current line so far
        self._open_fence: str | None = None
        self._blank_after_block = False  # a blank line closed a block outside any fence
        self._line_has_text = False

    def feed(self, text: str) -> list[str | None]:
        """``text`` cut into pieces, with :data:`BLOCK_END` where a finished block ends."""
        out: list[str | None] = []
        start = 0
        position = 0
        length = len(text)
        while position < length:
            if self._blank_after_block and not self._line:
                # At the first character of the line after a blank one: cut here if the new
                # line starts a block that cannot belong to the one before.
                char = text[position]
                if char not in "\r\n":
                    if char not in _MAY_CONTINUE:
                        if position > start:
                            out.append(text[start:position])
                        out.append(BLOCK_END)
                        start = position
                    self._blank_after_block = False
            newline = text.find("\n", position)
            if newline < 0:
                self._line.append(text[position:])
                break
            self._line.append(text[position:newline])
            self._end_line("".join(self._line))
            self._line = []
            position = newline + 1
        if start < length:
            out.append(text[start:])
        return out

    def _end_line(self, line: str) -> None:
        line = line.rstrip("\r")
        if self._open_fence is not None:
            closing = _fence(line)
            if (
                closing is not None
                and closing[0] == self._open_fence[0]
                and len(closing) >= len(self._open_fence)
                and not line.strip().lstrip(closing[0])
            ):
                self._open_fence = None
            return
        if not line.strip():
            self._blank_after_block = self._blank_after_block or self._line_has_text
            self._line_has_text = False
            return
        self._blank_after_block = False
        self._line_has_text = True
        self._open_fence = _fence(line)

"""Where streamed Markdown may be cut into separately rendered pieces without changing it.

A UI that re-renders the whole answer on every delta does work that grows with the square of
the answer's length. Cutting the stream at completed blocks lets it freeze what is done and
re-render only the open block. A cut is made only where rendering the two sides apart gives
the same result as rendering them together: after a blank line outside a fenced code block,
and before a block that cannot continue what came before (not indented, not a list item, not
a footnote or link definition). The decision needs only the first character of the next
block, so no text is ever held back waiting for it.

Two things cannot be decided while streaming, and are handled conservatively: after a line that
may open a block containing blank lines (HTML such as ``<!--`` or ``<pre>``, ``$$`` math) no
more cuts are made; and a link reference or footnote definition (``[id]: …``) can change blocks
already frozen, so :func:`needs_whole_render` tells the caller to render such an answer whole
once it is complete.
"""

from __future__ import annotations

import re

__all__ = ["BLOCK_END", "BlockSplitter", "needs_whole_render"]

BLOCK_END = None
"""Marks, in :meth:`BlockSplitter.feed`'s output, that everything before it is a finished block."""

# First characters of a line after a blank one that may continue the block before it: indented
# code or a list item's continuation (space, tab), list items (bullets, ordered lists: only
# after a block that holds a list, see _LIST_MARKS), and footnote or link reference definitions.
_MAY_CONTINUE = frozenset(" \t-*+0123456789[")
_LIST_MARKS = frozenset("-*+0123456789")
_LIST_ITEM = re.compile(r" {0,3}(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)")
_FENCE_CHARS = "`~"
# Lines that may open a block with blank lines inside it: HTML blocks and $$ math.
_OPENS_LOOSE_BLOCK = re.compile(r" {0,3}(?:<|\$\$)")
_DEFINITION = re.compile(r"^ {0,3}\[[^\]\n]+\]:", re.MULTILINE)


def needs_whole_render(text: str) -> bool:
    """True when ``text`` rendered in frozen blocks may differ from ``text`` rendered whole: it
    defines link references or footnotes, which apply to the whole document."""
    return _DEFINITION.search(text) is not None


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
        self._cutting = True  # False once a line may have opened a block with blank lines
        # A list item can only continue a block that holds a list: after a paragraph, a
        # heading or a closed code block, a line starting with "-" or "1." starts a new block.
        self._block_has_list = False

    def feed(self, text: str) -> list[str | None]:
        """``text`` cut into pieces, with :data:`BLOCK_END` where a finished block ends."""
        if not self._cutting:
            return [text] if text else []
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
                    continues = char in _MAY_CONTINUE and (
                        char not in _LIST_MARKS or self._block_has_list
                    )
                    if not continues:
                        if position > start:
                            out.append(text[start:position])
                        out.append(BLOCK_END)
                        start = position
                        self._block_has_list = False
                    self._blank_after_block = False
            newline = text.find("\n", position)
            if newline < 0:
                self._line.append(text[position:])
                break
            self._line.append(text[position:newline])
            self._end_line("".join(self._line))
            self._line = []
            position = newline + 1
            if not self._cutting:
                break
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
        self._block_has_list = self._block_has_list or _LIST_ITEM.match(line) is not None
        self._open_fence = _fence(line)
        if self._open_fence is None and _OPENS_LOOSE_BLOCK.match(line):
            # "$$x$$" on one line is a formula inside a paragraph: a "$$" math block's opening
            # line holds no other "$" (as a code fence's holds no other backtick).
            math = line.lstrip(" ")
            if not (math.startswith("$$") and "$" in math[2:]):
                self._cutting = False

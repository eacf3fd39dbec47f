"""Where one long Markdown block may be cut into pieces that a UI shows as separate elements.

:class:`BlockSplitter` freezes finished blocks, but a block can itself be long: one paragraph, a
code block, a list or a table of thousands of lines. A UI that re-sends the open block on every
frame then does work that grows with the square of that block's length. :class:`PieceCutter`
cuts the open block every ``piece_bytes`` bytes (UTF-8, as they travel) or so, at a point where
each piece, rendered on its own and styled by its :class:`PieceKind`, reads as part of the
one block:

- ``PARAGRAPH``: after a space (the next piece starts with ``&#32;``, so the space survives
  Markdown's stripping of leading spaces) or between two CJK characters, and only where no
  inline markup (code span, emphasis, link, autolink, formula) is open. The UI shows the pieces'
  paragraphs inline, one after the other.
- ``CODE``: at a line start inside a fenced code block, not where the fence may close and not
  inside a multi-line string or comment; the next piece reopens the fence with the same line.
- ``LIST``: before a top-level item; in an ordered list the next piece's first item carries its
  real number, so a list numbered ``1.`` throughout still counts on.
- ``TABLE``: before a row; the next piece repeats the header and delimiter rows (the UI hides
  the repeated header and lays the rows out as one table).

Anything else is never cut: headings, quotes, HTML, math, indented code, and a block whose
structure changes after its first line (a paragraph followed by a list, say). The pieces differ
from the block's text only by those prefixes, and only while it streams: :meth:`end_block`
returns the whole text of a block that was cut, for the UI to show it as one element.

Deciding needs only text already received: a cut is made before a line only when the start of
that line arrived with it, so no text is ever held back.
"""

from __future__ import annotations

import enum
import re

from ._blocks import _fence

__all__ = ["PIECE_BYTES", "PieceCutter", "PieceKind"]

PIECE_BYTES = 512
"""A piece is cut at the first safe point after it holds this many bytes of the block's text
(UTF-8: a UI re-sends the open piece as bytes, and a Chinese character is three of them)."""


class PieceKind(enum.Enum):
    """What a block cut into pieces is, so a UI can hide the seams between them."""

    PARAGRAPH = "paragraph"
    CODE = "code"
    LIST = "list"
    TABLE = "table"


# What feed() returns: text to show, and the kind of the block where a piece ends.
_Shown = list[str | PieceKind]

# The block is not known yet, or may no longer be cut.
_UNKNOWN = "unknown"
_NEVER = "never"

_BULLET = re.compile(r"( {0,3})([-*+])(?: |\t|$)")
_ORDERED = re.compile(r"( {0,3})(\d{1,9})([.)])(?: |\t|$)")
_DELIMITER_ROW = re.compile(r" {0,3}\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*")
# Line starts that end a paragraph or a table (or were never one): ATX headings, quotes, HTML,
# formulas, fences, thematic breaks and setext underlines, list items, indented code.
_INTERRUPTS = re.compile(
    r"(?: {0,3}(?:#|>|<|\$\$|```|~~~|[-*+](?: |\t|$)|\d{1,9}[.)](?: |\t|$)|[_*-]{3,}\s*$"
    r"|=+\s*$|-+\s*$))"
    r"| {4}|\t"
)
_CJK = (
    "\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3190-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
)
# Where a paragraph may be cut: after a space or tab and before a non-space, or between CJK.
_PARAGRAPH_CUT = re.compile(rf"(?<=[ \t])(?=[^\s])|(?<=[{_CJK}])(?=[{_CJK}])")
# The start of a line long enough to tell a closing fence or a list item from anything else.
_HEAD_CHARS = 14


# The characters of inline markup, and the runs they come in: a backslash escape, a run of
# backticks, "*", "_" or "~", one bracket, parenthesis, angle bracket or dollar.
_MARKUP = re.compile(r"\\.|`+|\*+|_+|~+|[\[\]()<>$]", re.DOTALL)
_RUN_CHARS = "`*_~\\"
_WORD = re.compile(r"\w")


class _Inline:
    """What inline markup is open in a paragraph piece so far: open markup blocks a cut.

    A small reader of CommonMark's inline syntax, strict enough to be safe and simple enough to
    run on every frame: a backslash escapes the next character; inside a code span nothing else
    counts, and the span closes only with a run of as many backticks; a run of ``*``, ``_`` or
    ``~`` that can open (not followed by a space) is pushed, one that can close (not after a
    space) pops a run of its character; a ``_`` inside a word (``snake_case``) and a run between
    spaces (``2 * 3``) are nothing; brackets, parentheses and angle brackets (``<`` before a
    letter) must be balanced, dollars paired. A run at the end of the text so far waits for the
    next character (it may go on, or end a word).
    """

    __slots__ = ("before", "code", "dollars", "nesting", "pending", "stack")

    def __init__(self) -> None:
        self.stack: list[str] = []  # the open emphasis and strike-through runs' characters
        self.code = 0  # the length of the open code span's backtick run, 0 outside one
        self.nesting = [0, 0, 0]  # open brackets, parentheses, angle brackets
        self.dollars = 0
        self.before = ""  # the character before the pending text
        self.pending = ""  # a trailing run of markup characters, not read yet

    def copy(self) -> _Inline:
        other = _Inline()
        other.stack, other.code, other.nesting = list(self.stack), self.code, list(self.nesting)
        other.dollars, other.before, other.pending = self.dollars, self.before, self.pending
        return other

    def add(self, text: str) -> None:
        text = self.pending + text
        settled = len(text.rstrip(_RUN_CHARS))
        if settled == 0:
            self.pending = text
            return
        self._read(text[:settled])
        self.before, self.pending = text[settled - 1], text[settled:]

    def _read(self, text: str) -> None:
        for match in _MARKUP.finditer(text):
            token, at = match.group(), match.start()
            first = token[0]
            if first == "\\":
                continue
            if first == "`":
                if self.code == 0:
                    self.code = len(token)
                elif self.code == len(token):
                    self.code = 0
                continue
            if self.code:
                continue  # inside a code span, nothing else is markup
            before = text[at - 1] if at else self.before
            after = text[match.end()] if match.end() < len(text) else ""
            if first in "*_~":
                self._run(first, before, after)
            elif first == "$":
                self.dollars ^= 1
            else:
                index, opens = _BRACKETS[first]
                if first == "<" and not (after.isalpha() or after in "/!?"):
                    continue  # "a < b": not a tag or an autolink
                nesting = self.nesting[index] + (1 if opens else -1)
                self.nesting[index] = max(0, nesting)  # a stray closer is text

    def _run(self, char: str, before: str, after: str) -> None:
        space_before = not before or before.isspace()
        space_after = not after or after.isspace()
        if space_before and space_after:
            return  # "2 * 3": neither opens nor closes
        if char == "_" and _WORD.match(before or " ") and _WORD.match(after or " "):
            return  # snake_case
        if not space_before and char in self.stack:
            while self.stack and self.stack.pop() != char:
                pass  # closing it closes what opened inside it
        elif not space_after:
            self.stack.append(char)

    @property
    def closed(self) -> bool:
        return not (self.stack or self.code or any(self.nesting) or self.dollars)

    def closed_before(self, text: str, following: str) -> bool:
        """Would the piece be free of open markup if it ended after ``text``, with
        ``following`` the character that comes next?"""
        trial = self.copy()
        trial.add(text + following)  # ``following`` itself is the next piece's (see below)
        if following in _BRACKETS or following == "$":
            return False  # it may close something the piece opened
        return trial.closed


_BRACKETS = {"[": (0, True), "]": (0, False), "(": (1, True), ")": (1, False)}
_BRACKETS |= {"<": (2, True), ">": (2, False)}


class _Code:
    """Counts, over a code piece's lines, of what opens and closes multi-line strings and
    comments in common languages: a cut inside one would break the piece's highlighting."""

    __slots__ = ("counts",)

    _TOKENS = ('"""', "'''", "/*", "*/", "<!--", "-->", "`")

    def __init__(self) -> None:
        self.counts = [0] * len(self._TOKENS)

    def add(self, line: str) -> None:
        for index, token in enumerate(self._TOKENS):
            self.counts[index] += line.count(token)

    @property
    def closed(self) -> bool:
        triple_double, triple_single, c_open, c_close, html_open, html_close, ticks = self.counts
        return (
            triple_double % 2 == 0
            and triple_single % 2 == 0
            and c_open <= c_close
            and html_open <= html_close
            and ticks % 2 == 0
        )


class PieceCutter:
    """Feeds one block at a time through, marking where the open block may be cut.

    :meth:`feed` takes the open block's text as it arrives and returns the text to show, with a
    :class:`PieceKind` where a piece ends (the text after it starts the next piece, its prefix
    included); :meth:`end_block` says the block is over and starts the next one.
    """

    def __init__(self, piece_bytes: int = PIECE_BYTES, *, give_up_after: int | None = 8) -> None:
        self._piece_bytes = piece_bytes
        # A piece whose markup stays open (a lone "$5", a "/*" in a shell command) would grow
        # with the block, and re-sending it would grow with the square again: past this many
        # times ``piece_bytes``, it is cut at the next point anyway. That piece may show some
        # markup as text until the block is complete. None: never (the property tests).
        self._forced_bytes = None if give_up_after is None else give_up_after * piece_bytes
        self._reset()

    def _reset(self) -> None:
        self._raw: list[str] = []  # the block's text, as received
        self._kind: PieceKind | str = _UNKNOWN
        self._was_cut = False
        self._piece_length = 0  # bytes of the block's text in the open piece
        self._inline = _Inline()  # a paragraph piece's markup counts
        self._code = _Code()  # a code piece's string and comment counts
        self._line: list[str] = []  # the current line so far
        self._line_length = 0
        self._line_checked = False  # the current line's start was looked at
        self._lines_done = 0
        self._first_line = ""
        self._prefix = ""  # what starts each later piece of a code block or table
        self._fence = ""
        self._fence_closed = False
        self._list_item: re.Pattern[str] | None = None  # this list's top-level items
        self._ordered_indent: str | None = None  # an ordered list's indentation
        self._next_number = 0  # the number the ordered list's next item shows
        self._after_blank = False  # the last line of a list was blank

    # -- the interface --

    def feed(self, text: str) -> list[str | PieceKind]:
        """``text`` of the open block, as pieces to show, with the block's :class:`PieceKind`
        where one piece ends and the next begins."""
        out: list[str | PieceKind] = []
        start = 0  # where the part of ``text`` not handed out yet begins
        position = 0
        length = len(text)
        while position < length:
            if self._line_length == 0:
                start = self._at_line_start(text, position, start, out)
            newline = text.find("\n", position)
            end = length if newline < 0 else newline
            if not self._line_checked:
                head = "".join(self._line) + text[position : position + _HEAD_CHARS]
                if newline >= 0 or len(head) >= _HEAD_CHARS:
                    self._check_line(head[: head.find("\n")] if "\n" in head else head)
            if self._kind is PieceKind.PARAGRAPH and self._line_checked:
                # Not within a line's first characters: they decided what the line is.
                lowest = position + max(0, _HEAD_CHARS - self._line_length)
                start = self._cut_in_line(text, lowest, end, start, out)
            segment = text[position:end]
            self._line.append(segment)
            self._line_length += len(segment)
            if newline < 0:
                break
            self._end_line("".join(self._line))
            self._line = []
            self._line_length = 0
            self._line_checked = False
            position = newline + 1
        if start < length:
            self._hand_out(text[start:], out)
        return _joined(out)

    def end_block(self) -> str | None:
        """The block is over: its whole text if it was cut (to show it as one), else None."""
        whole = "".join(self._raw) if self._was_cut else None
        self._reset()
        return whole

    @property
    def cut(self) -> bool:
        """The open block was cut into pieces."""
        return self._was_cut

    @property
    def table_columns(self) -> int:
        """The open table's columns (0 when the open block is no table)."""
        return _cells(self._first_line) if self._kind is PieceKind.TABLE else 0

    @property
    def table_rows(self) -> int | None:
        """The open block's table rows so far (header and delimiter rows not counted), 0 while
        its first lines may still make it a table, None when it is no table."""
        if self._kind is PieceKind.TABLE:
            return self._lines_done - 2
        return 0 if self._kind is _UNKNOWN else None

    # -- inside --

    def _hand_out(self, text: str, out: _Shown) -> None:
        self._raw.append(text)
        self._piece_length += len(text.encode())
        self._inline.add(text)
        out.append(text)

    def _cut(self, kind: PieceKind, text: str, at: int, start: int, out: _Shown) -> int:
        """End the open piece before ``text[at]``; the next piece's text starts there."""
        if at > start:
            self._hand_out(text[start:at], out)
        out.append(kind)
        self._was_cut = True
        self._piece_length = 0
        self._inline = _Inline()
        self._inline.before = text[at - 1 : at]  # context for a run that starts the piece
        self._code = _Code()
        return at

    def _check_line(self, head: str) -> None:
        """The start of the current line is known: does it end a paragraph?"""
        self._line_checked = True
        if self._lines_done == 0:
            if not _INTERRUPTS.match(head) and "|" not in head:
                self._kind = PieceKind.PARAGRAPH  # until its first line shows a "|"
        elif self._kind is PieceKind.PARAGRAPH and (
            not head.strip() or _INTERRUPTS.match(head) or head.lstrip().startswith("|")
        ):
            self._kind = _NEVER

    def _cut_in_line(self, text: str, lowest: int, end: int, start: int, out: _Shown) -> int:
        """Cut a paragraph between ``lowest`` and ``end`` (both in the current line)."""
        if "|" in text[lowest:end]:
            # A line with a "|" may be a table's header (the next line tells): no cut in it.
            if not self._was_cut and self._lines_done == 0:
                self._kind = _UNKNOWN
            return start
        search = max(lowest, 1)  # at 0, what came before is in the last call's text
        while search < end:
            missing = self._piece_bytes - self._bytes_in_piece(text, start, search)
            if missing > 0:
                search += max(1, missing // 4)  # a character is one to four bytes
                continue
            match = _PARAGRAPH_CUT.search(text, search, end)
            if match is None:
                break
            at = match.start()
            forced = self._forced(text, start, at)
            if not (forced or self._inline.closed_before(text[start:at], text[at])):
                # Markup is open: hand out what came so far (counted), look further on.
                self._hand_out(text[start:at], out)
                start = search = at
                search += 1
                continue
            spaced = text[at - 1] in " \t"
            start = self._cut(PieceKind.PARAGRAPH, text, at, start, out)
            if spaced:
                out.append("&#32;")
            search = at + 1
        return start

    def _bytes_in_piece(self, text: str, start: int, end: int) -> int:
        """The open piece's size in bytes if it went on to ``text[end]`` (what is not handed
        out yet starts at ``text[start]``), exactly only where that decides something: counting
        the bytes of a long stretch at every line would cost the square of its length."""
        chars = end - start
        if self._piece_length + chars >= self._piece_bytes:
            return self._piece_length + chars  # a character is at least one byte: long enough
        return self._piece_length + len(text[start:end].encode())

    def _forced(self, text: str, start: int, end: int) -> bool:
        """The piece is so long that it is cut even with markup open (see ``give_up_after``)."""
        if self._forced_bytes is None:
            return False
        return self._piece_length + (end - start) >= self._forced_bytes

    def _at_line_start(self, text: str, position: int, start: int, out: _Shown) -> int:
        """At a line's first character: cut before the line if the block allows it here."""
        if self._kind not in _LINE_KINDS:
            return start
        if self._bytes_in_piece(text, start, position) < self._piece_bytes:
            return start
        head = text[position : position + _HEAD_CHARS]
        complete = "\n" in head or len(head) == _HEAD_CHARS
        head = head.split("\n", 1)[0]
        if self._kind is PieceKind.CODE:
            stripped = head.lstrip(" ")
            if self._fence_closed or not (stripped or complete):
                return start
            if not (self._code.closed or self._forced(text, start, position)):
                return start
            if stripped.startswith(self._fence[0]):
                return start  # it may be the closing fence
            start = self._cut(PieceKind.CODE, text, position, start, out)
            out.append(self._prefix)
            return start
        if self._kind is PieceKind.TABLE:
            is_row = head.lstrip(" ").startswith("|") or (
                complete and head.strip() and not _INTERRUPTS.match(head)
            )
            if not is_row:
                return start
            start = self._cut(PieceKind.TABLE, text, position, start, out)
            out.append(self._prefix)
            return start
        assert self._list_item is not None
        item = self._list_item.match(head)
        if item is None or (item.end() == len(head) and not complete):
            return start  # not an item, or not known yet to be one
        start = self._cut(PieceKind.LIST, text, position, start, out)
        if self._ordered_indent is not None:
            # Markdown numbers a list from its first item: the piece starts with the number
            # this item really has, so a list numbered "1." throughout still counts on.
            number_end = position + item.end(2)
            self._raw.append(text[position:number_end])
            out.append(f"{self._ordered_indent}{self._next_number}")
            return number_end
        return start

    def _end_line(self, line: str) -> None:
        """A whole line of the block has arrived: follow what the block is."""
        self._lines_done += 1
        if self._lines_done == 1:
            self._first_line = line
            if self._kind is not PieceKind.PARAGRAPH or not self._was_cut:
                self._kind = self._first_kind(line)
            return
        kind = self._kind
        if kind is _UNKNOWN:  # the first line had a "|": a table if this is its delimiter row
            is_delimiter = (
                self._lines_done == 2
                and _DELIMITER_ROW.fullmatch(line) is not None
                and "-" in line
                and _cells(line) == _cells(self._first_line)  # else it is no table at all
            )
            if is_delimiter:
                self._kind = PieceKind.TABLE
                self._prefix = f"{self._first_line}\n{line}\n"
            else:
                self._kind = _NEVER
        elif kind is PieceKind.CODE:
            closing = _fence(line)
            if self._fence_closed:
                self._kind = _NEVER  # more text after the code block, in the same block
            elif (
                closing is not None
                and closing[0] == self._fence[0]
                and len(closing) >= len(self._fence)
                and not line.strip().lstrip(closing[0])
            ):
                self._fence_closed = True
            else:
                self._code.add(line)
        elif kind is PieceKind.LIST:
            assert self._list_item is not None
            if self._list_item.match(line):
                self._next_number += 1
            elif (
                line[:1] not in " \t"
                and line.strip()
                and (_INTERRUPTS.match(line) or self._after_blank)
            ):
                self._kind = _NEVER  # another kind of block, or the list ended
            self._after_blank = not line.strip()
        elif kind is PieceKind.TABLE and (not line.strip() or _INTERRUPTS.match(line)):
            self._kind = _NEVER
        elif kind is PieceKind.PARAGRAPH and "|" in line:
            self._kind = _NEVER  # the next line may make it a table's header

    def _first_kind(self, line: str) -> PieceKind | str:
        fence = _fence(line)
        if fence is not None:
            self._fence = fence
            self._prefix = f"{line}\n"
            return PieceKind.CODE
        bullet = _BULLET.match(line)
        if bullet is not None:
            indent, marker = map(re.escape, bullet.group(1, 2))
            self._list_item = re.compile(rf"({indent})({marker})(?: |\t|$)")
            return PieceKind.LIST
        ordered = _ORDERED.match(line)
        if ordered is not None:
            self._ordered_indent = ordered.group(1)
            self._next_number = int(ordered.group(2)) + 1
            indent, delimiter = map(re.escape, ordered.group(1, 3))
            self._list_item = re.compile(rf"({indent})(\d{{1,9}})({delimiter})(?: |\t|$)")
            return PieceKind.LIST
        if _INTERRUPTS.match(line):
            return _NEVER
        if "|" in line:
            return _UNKNOWN  # a table's header if the next line is a delimiter row
        return PieceKind.PARAGRAPH


_LINE_KINDS = (PieceKind.CODE, PieceKind.TABLE, PieceKind.LIST)


def _cells(row: str) -> int:
    """How many cells a table row has (its leading and trailing pipes are optional)."""
    row = row.strip()
    row = row[1:] if row.startswith("|") else row
    row = row[:-1] if row.endswith("|") and not row.endswith("\\|") else row
    return len(re.split(r"(?<!\\)\|", row))


def _joined(out: list[str | PieceKind]) -> list[str | PieceKind]:
    """Adjacent strings joined: one text change per piece and call."""
    joined: list[str | PieceKind] = []
    for item in out:
        if isinstance(item, str) and joined and isinstance(joined[-1], str):
            joined[-1] += item
        elif item != "":
            joined.append(item)
    return joined

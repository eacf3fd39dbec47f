"""What of an answer's Markdown a reader's browser is handed, so that no answer freezes its tab.

A browser renders Markdown on its main thread, and the renderer (remark and its extensions)
costs far more than the text's length on some input: a long run of ``*`` or brackets, lists
and quotes nested hundreds deep, a table of thousands of rows, thousands of fenced blocks.
Every rerun of the page renders the history again, so such an answer also froze every later
message. Only the display is guarded: the answer's text as kept (copy button, downloads) is
not changed here.

:class:`DisplayGuard` works on streamed text, character by character, and gives the same
result however the text is split:

- **Runs of markup.** In a run of more than :data:`MAX_RUN` characters of ``*_~[]()<>``, the
  rest are put in a code span: they show as the characters they are. Past
  :data:`MAX_DELIMITERS` characters of ``*_~[]`` in one block (table rows not counted: a long
  table is shown as a grid), further ones are escaped.
- **Nesting.** Past :data:`MAX_NESTING` columns of a line's indentation, quote marks and list
  markers, further ones are shown as text (markers escaped, indentation folded into a space):
  deeper lines read at that depth.
- **Formulas past the cap.** In a finished answer (:func:`shown`), when more than
  :data:`MAX_CAPPED_CHARS` follow the line the formula cap was reached in, that rest is shown
  as its source in one code block.
- **Fenced math.** A ```` ```math ```` block counts as one formula (four ``$``) against the
  answer's formula cap, shared with its ``$`` formulas; past the cap, such a block shows as its
  source in a code span, and further ``$`` as text.

Inside fenced code (outside a list or quote) nothing is changed: code costs no markup parsing.

:func:`shown` cuts a finished answer into elements a page shows one after the other: a table
of more than :data:`MAX_TABLE_ROWS` rows or :data:`MAX_TABLE_CELLS` cells becomes a
:class:`Grid` (a page shows it as a scrollable, virtualized table of the cells' text), text
past :data:`WHOLE_CHARS` is cut at block boundaries, a block past that into :class:`Pieces`
(see :mod:`coze_answer._pieces`), and a block that cannot be cut and is still longer than
:data:`MAX_ELEMENT_CHARS` is :class:`PlainText`. Below the thresholds, the text is one
:class:`Markdown` element, unchanged.
"""

from __future__ import annotations

import enum
import functools
import re
from dataclasses import dataclass

from ._blocks import BLOCK_END, BlockSplitter, _fence
from ._guard import MAX_FORMULAS
from ._pieces import PieceCutter, PieceKind, _cells

__all__ = [
    "MAX_CAPPED_CHARS",
    "MAX_DELIMITERS",
    "MAX_ELEMENT_CHARS",
    "MAX_NESTING",
    "MAX_RUN",
    "MAX_TABLE_CELLS",
    "MAX_TABLE_ROWS",
    "WHOLE_CHARS",
    "Cap",
    "DisplayGuard",
    "Element",
    "Grid",
    "Markdown",
    "Pieces",
    "PlainText",
    "Shown",
    "shown",
    "shown_blocks",
]

MAX_RUN = 64
"""Characters of ``*_~[]()<>`` in a row that are shown as markup; the rest show as text."""
MAX_DELIMITERS = 4000
"""Characters of ``*_~[]`` shown as markup in one block; further ones show as text (a renderer
pairs them up in time that grows with the square of their number)."""
MAX_NESTING = 48
"""Columns of indentation, quote marks and list markers a line's nesting may take."""
MAX_TABLE_ROWS = 1000
"""A table with more rows (or more than :data:`MAX_TABLE_CELLS` cells) is shown as a grid."""
MAX_TABLE_CELLS = 5000
WHOLE_CHARS = 1_000_000
"""A finished answer up to this long is one Markdown element; longer, it is cut at blocks.
As long as a client takes an answer: Streamlit draws an element again on every rerun unless
it is the very element of the last run, and a page's history is one element an answer, so
answers cut in several elements cost their whole rendering again with every later message
(measured in ``bench/freeze.py``). What makes an element slow is capped instead."""
MAX_CAPPED_CHARS = 20_000
"""Past the formula cap, a rest of an answer longer than this is shown as its source in one
code block, from the line the cap was reached in: a renderer parses hundreds of KB of escaped
TeX as Markdown in seconds (``bench/markdown_parts.py``), a code block it does not parse."""
PIECE_CHARS = 8_000
"""A block longer than :data:`WHOLE_CHARS` is cut into pieces of about this many bytes."""
MAX_ELEMENT_CHARS = 2 * WHOLE_CHARS
"""A piece that could not be cut shorter than this is shown as plain text."""

_RUN_CHARS = frozenset("*_~[]()<>")
_SPAN = "``"  # around a run's rest: a code span that a lone backtick before it cannot close
_NBSP = "\u00a0"
_DELIMITER_CHARS = frozenset("*_~[]")
_MARKERS = frozenset("-*+")
_DIGITS = frozenset("0123456789")
_PREFIX_CHARS = frozenset(" \t>-*+0123456789")
_MAX_HELD = 256  # a fence line longer than this is no math fence to look at
_DOLLAR = re.compile(r"(?<!\\)(?:\\\\)*\$")  # a "$" no backslash escapes
_DELIMITER_ROW = re.compile(r" {0,3}\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*")


class Cap(enum.Enum):
    """What a reader sees changed, to tell them so (the formula cap is ``math_capped``)."""

    MARKUP_AS_TEXT = "markup-as-text"
    NESTING_FLATTENED = "nesting-flattened"
    TABLE_AS_GRID = "table-as-grid"
    PLAIN_TEXT = "plain-text"


class _Mode(enum.Enum):
    TEXT = "text"
    CODE = "code"  # inside a fenced code block: passed through
    MATH_AS_TEXT = "math-as-text"  # inside a ```math block past the cap: shown as its source


class DisplayGuard:
    """Feeds streamed Markdown through, escaping what would cost a browser too much to render."""

    def __init__(self, max_formulas: int = MAX_FORMULAS) -> None:
        self._budget = 2 * max_formulas  # in "$" signs; a ```math block takes four
        self._dollars = 0
        self.math_capped = False
        self.caps: set[Cap] = set()
        self._delimiters = 0  # in this block
        self._mode = _Mode.TEXT
        self._fence = ""
        self._line: list[str] = []  # the current line as received
        self._held: list[str] | None = None  # a line that may open a ```math block
        self._no_hold = False
        self._new_line()

    def _new_line(self) -> None:
        self._prefix = True  # still in the line's indentation, quote marks and list markers
        # A table's row: its markup is not counted (a long table is shown as a grid).
        self._table_row = False
        self._depth = 0
        self._only_spaces = True
        self._marker = ""  # a "-", "*", "+" (or "." after digits) whose next character decides
        self._after_digit = False
        self._folded = False  # a space stands for indentation past the nesting cap
        self._run = 0
        self._in_span = False  # a run's rest is in a code span, closed when the run ends
        self._slashes = 0

    # -- the interface --

    def feed(self, text: str) -> str:
        """What of ``text`` can be shown now (a line that may open a math block is held)."""
        take = self._take
        return "".join([take(char) for char in text])

    def flush(self) -> str:
        """The end of the text: whatever is held is shown."""
        out = ""
        if self._held is not None:
            held, self._held = self._held, None
            self._no_hold = True
            out += "".join(self._take(char) for char in held)
        if self._marker:
            out += self._inline(self._pop_marker())
        if self._mode is _Mode.MATH_AS_TEXT:
            out += " " + _SPAN  # a math block the text ends in
        return out + self._end_run()

    def _end_run(self) -> str:
        """A run of markup ended: close the code span its rest is in."""
        self._run = 0
        if not self._in_span:
            return ""
        self._in_span = False
        return _SPAN

    def end_block(self) -> None:
        """A Markdown block ended (see :class:`BlockSplitter`): the next one is counted anew."""
        self._delimiters = 0

    # -- inside --

    def _take(self, char: str) -> str:
        if self._held is not None:
            self._held.append(char)
            if char == "\n" or len(self._held) > _MAX_HELD or not _may_open_math(self._held):
                return self._release()
            return ""
        if char == "\n":
            return self._end_line()
        self._line.append(char)
        mode = self._mode
        if mode is _Mode.CODE:
            return char
        if mode is _Mode.MATH_AS_TEXT:
            # Inside the code span its block is shown in: a line starting with a no-break space
            # starts no block (a closing fence, a heading) and keeps the paragraph going.
            return _NBSP + char if len(self._line) == 1 else char
        if self._prefix:
            if char in _PREFIX_CHARS or (char in ".)" and self._after_digit):
                return self._prefix_char(char)
            self._prefix = False
            self._table_row = char == "|"
            out = self._pop_marker_before(char)
            if char in "`~" and self._only_spaces and self._depth < 4 and not self._no_hold:
                self._line.pop()
                self._held = [char]
                return out
            return out + self._inline(char)
        return self._inline(char)

    def _pop_marker(self) -> str:
        marker, self._marker = self._marker, ""
        return marker

    def _pop_marker_before(self, char: str) -> str:
        """The held marker, now that ``char`` follows it: a container marker before a space."""
        if not self._marker:
            return ""
        marker = self._pop_marker()
        if char in " \t":
            self._depth += 1
            if self._depth > MAX_NESTING:
                self.caps.add(Cap.NESTING_FLATTENED)
                self._slashes = 0
                self._folded = False
                return self._end_run() + "\\" + marker
        return self._inline(marker)

    def _prefix_char(self, char: str) -> str:
        """One character of the line's indentation, quote marks and list markers."""
        out = self._pop_marker_before(char)
        if char in " \t":
            self._after_digit = False
            width = 4 - self._depth % 4 if char == "\t" else 1
            if self._depth + width <= MAX_NESTING:
                self._depth += width
                return out + self._inline(char)
            self._depth = MAX_NESTING + 1
            self.caps.add(Cap.NESTING_FLATTENED)
            self._slashes = 0
            out += self._end_run()
            if self._folded:
                return out
            self._folded = True
            return out + " "
        self._only_spaces = False
        self._folded = False
        if char == ">":
            self._after_digit = False
            self._depth += 1
            if self._depth > MAX_NESTING:
                self.caps.add(Cap.NESTING_FLATTENED)
                self._slashes = 0
                return out + self._end_run() + "\\>"
            return out + self._inline(char)
        if char in _DIGITS:
            self._after_digit = True
            return out + self._inline(char)
        self._after_digit = False
        self._marker = char  # "-", "*", "+", or "." / ")" after digits
        return out

    def _inline(self, char: str) -> str:
        if char in _RUN_CHARS:
            escaped = self._slashes % 2 == 1
            self._run += 1
            self._slashes = 0
            if escaped or self._in_span:
                return char
            if char in _DELIMITER_CHARS and not self._table_row:
                self._delimiters += 1
                if self._delimiters > MAX_DELIMITERS:
                    self.caps.add(Cap.MARKUP_AS_TEXT)
                    return "\\" + char
            if self._run > MAX_RUN and not self._in_span:
                self.caps.add(Cap.MARKUP_AS_TEXT)
                self._in_span = True
                return _SPAN + char
            return char
        if self._in_span:
            return self._end_run() + self._inline(char)
        self._run = 0
        if char == "$" and self._slashes % 2 == 0:
            self._slashes = 0
            if self._dollars >= self._budget:
                self.math_capped = True
                return "\\$"
            self._dollars += 1
            return char
        self._slashes = self._slashes + 1 if char == "\\" else 0
        return char

    def _end_line(self) -> str:
        out = self._inline(self._pop_marker()) if self._marker else ""
        out += self._end_run()
        line = "".join(self._line)
        self._line = []
        mode = self._mode
        if mode is _Mode.TEXT:
            fence = _fence(line)
            if fence is not None:
                self._mode, self._fence = _Mode.CODE, fence
            out += "\n"
        else:
            closes = _closes(line, self._fence)
            if mode is _Mode.MATH_AS_TEXT:
                if not line:
                    out += _NBSP  # a blank line would end the paragraph, and the span
                out += " " + _SPAN + "\n\n" if closes else "\n"
            else:
                out += "\n"
            if closes:
                self._mode = _Mode.TEXT
        self._no_hold = False
        self._new_line()
        return out

    def _release(self) -> str:
        """The held line is complete (or too long to be a math fence): show it."""
        held, self._held = self._held or [], None
        ended = held[-1] == "\n"
        line = "".join(self._line) + "".join(held[:-1] if ended else held)
        fence = _fence(line) if ended else None
        info = line.strip()[len(fence) :].strip().lower() if fence else ""
        if fence is None or info != "math":
            self._no_hold = True
            return "".join(self._take(char) for char in held)
        self._line = []
        self._new_line()
        self._fence = fence
        if self._dollars + 4 <= self._budget:
            self._dollars += 4
            self._mode = _Mode.CODE
            return "".join(held)
        self.math_capped = True
        self._mode = _Mode.MATH_AS_TEXT
        # The block is shown as its source in one code span (the spaces before it were shown).
        return _SPAN + " " + "".join(held)


def _closes(line: str, fence: str) -> bool:
    """Does ``line`` close the code block ``fence`` opened?"""
    closing = _fence(line)
    return (
        closing is not None
        and closing[0] == fence[0]
        and len(closing) >= len(fence)
        and not line.strip().lstrip(closing[0])
    )


def _may_open_math(held: list[str]) -> bool:
    """Can the line ``held`` (fence characters first, no newline yet) still open ```math?"""
    text = "".join(held)
    char = text[0]
    run = len(text) - len(text.lstrip(char))
    if run < 3:
        return run == len(text)
    info = text[run:].lstrip(" \t").lower()
    return "math".startswith(info) or (info.startswith("math") and not info[4:].strip(" \t"))


# -- a finished answer as elements --


@dataclass(frozen=True, slots=True)
class Markdown:
    """Markdown shown as one element."""

    text: str


@dataclass(frozen=True, slots=True)
class Pieces:
    """One long block as several Markdown elements, styled by ``kind`` to read as one."""

    kind: PieceKind
    texts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Grid:
    """A table shown as a scrollable grid: ``columns`` are unique and non-empty, every row has
    one cell per column, and the cells are the table's Markdown source."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class PlainText:
    """Text too long to format, shown as it is."""

    text: str


Element = Markdown | Pieces | Grid | PlainText


@dataclass(frozen=True, slots=True)
class Shown:
    """A finished answer as elements, and what the reader should be told about them."""

    elements: tuple[Element, ...]
    caps: frozenset[Cap]
    math_capped: bool


def shown(text: str, max_formulas: int = MAX_FORMULAS) -> Shown:
    """``text`` as the elements to show it with, guarded as a stream's blocks are (see
    :class:`DisplayGuard`)."""
    return shown_blocks((text,), max_formulas)[0]


@functools.lru_cache(maxsize=32)
def shown_blocks(blocks: tuple[str, ...], max_formulas: int = MAX_FORMULAS) -> tuple[Shown, ...]:
    """Each of an answer's blocks, as a stream showed them one after the other (one formula
    cap for all), as the elements to show it with. Cached: a page shows its history again on
    every rerun."""
    display = DisplayGuard(max_formulas)
    result = []
    for block in blocks:
        parts = []
        capped_before = display.math_capped
        cut: tuple[int, int] | None = None  # where the cap was reached: (source, shown) offsets
        source_chars = shown_chars = dollars = 0
        for piece in BlockSplitter().feed(block):
            if piece is BLOCK_END:
                display.end_block()  # as the stream's guard is told
                continue
            if capped_before or cut is not None:
                parts.append(display.feed(piece))
                continue
            for line in piece.splitlines(keepends=True):  # to find the line the cap is hit in
                out = display.feed(line)
                dollars += len(_DOLLAR.findall(line))
                # Either cap: this guard's, or the client's (``MarkdownGuard``, same count of
                # "$"), which escaped every "$" past it in the text this is given.
                capped = display.math_capped or (dollars >= 2 * max_formulas and "\\$" in line)
                if capped and cut is None:
                    cut = (source_chars, shown_chars)
                parts.append(out)
                source_chars += len(line)
                shown_chars += len(out)
        text = "".join(parts) + display.flush()
        display.end_block()
        if cut is not None and len(block) - cut[0] > MAX_CAPPED_CHARS:
            # The rest as it read before either cap escaped its "$".
            text = _rest_as_source(text[: cut[1]], block[cut[0] :].replace("\\$", "$"))
        caps = set(display.caps)
        elements: list[Element] = []
        # (A table's rows need no "|": every line up to a blank one or another block is one.)
        big = text.count("|") >= MAX_TABLE_ROWS or text.count("\n") >= MAX_TABLE_ROWS
        for part in _tables(text) if big and "|" in text else [text]:
            if isinstance(part, Grid):
                caps.add(Cap.TABLE_AS_GRID)
                elements.append(part)
            else:
                elements += _markdown(part, caps)
        result.append(Shown(tuple(elements), frozenset(caps), display.math_capped))
    return tuple(result)


def _rest_as_source(shown_text: str, rest: str) -> str:
    """``shown_text`` then ``rest`` as its source, in a code block no line of it can close."""
    longest = max((len(run) for run in re.findall(r"`+", rest)), default=0)
    fence = "`" * max(3, longest + 1)
    head = shown_text.rstrip("\n")
    return (head + "\n\n" if head else "") + f"{fence}text\n{rest.rstrip(chr(10))}\n{fence}\n"


def _markdown(text: str, caps: set[Cap]) -> list[Element]:
    """Markdown cut, where it is long, at blocks and then into pieces."""
    if len(text) <= WHOLE_CHARS:
        return [Markdown(text)] if text else []
    blocks: list[str] = [""]
    for piece in BlockSplitter().feed(text):
        if piece is BLOCK_END:
            blocks.append("")
        else:
            blocks[-1] += piece
    elements: list[Element] = []
    group = ""
    for block in blocks:
        if len(group) + len(block) <= WHOLE_CHARS:
            group += block
            continue
        if group:
            elements.append(Markdown(group))
        if len(block) <= WHOLE_CHARS:
            group = block
            continue
        group = ""
        elements.append(_long_block(block, caps))
    if group:
        elements.append(Markdown(group))
    return elements


def _long_block(block: str, caps: set[Cap]) -> Element:
    cutter = PieceCutter(PIECE_CHARS)
    texts = [""]
    kind: PieceKind | None = None
    for item in cutter.feed(block):
        if isinstance(item, PieceKind):
            kind = item
            texts.append("")
        else:
            texts[-1] += item
    if kind is None and len(block) <= MAX_ELEMENT_CHARS:
        return Markdown(block)
    if kind is None or max(len(piece) for piece in texts) > MAX_ELEMENT_CHARS:
        caps.add(Cap.PLAIN_TEXT)
        return PlainText(block)
    return Pieces(kind, tuple(piece for piece in texts if piece))


def _tables(text: str) -> list[str | Grid]:
    """``text`` with its big tables (outside fenced code) taken out as grids."""
    lines = text.splitlines(keepends=True)
    parts: list[str | Grid] = []
    start = 0  # the first line not yet in ``parts``
    fence: str | None = None
    index = 0
    while index < len(lines):
        line = lines[index].rstrip("\r\n")
        if fence is not None:
            if _closes(line, fence):
                fence = None
            index += 1
            continue
        fence = _fence(line)
        if fence is not None or "|" not in line or index + 1 >= len(lines):
            index += 1
            continue
        delimiter = lines[index + 1].rstrip("\r\n")
        columns = _cells(line)
        if (
            _DELIMITER_ROW.fullmatch(delimiter) is None
            or "-" not in delimiter
            or _cells(delimiter) != columns
        ):
            index += 1
            continue
        end = index + 2
        while end < len(lines) and not _ENDS_TABLE.match(lines[end].rstrip("\r\n")):
            end += 1
        rows = end - index - 2
        if rows > MAX_TABLE_ROWS or rows * columns > MAX_TABLE_CELLS:
            if index > start:
                parts.append("".join(lines[start:index]))
            parts.append(_grid(line, lines[index + 2 : end]))
            start = end
        index = end
    if start < len(lines):
        parts.append("".join(lines[start:]))
    return parts


# What ends a table's rows (GFM: a blank line, or the start of another block: a quote, a
# heading, a fence, HTML, a thematic break or a list item); any other line is a row, "|" or not.
_ENDS_TABLE = re.compile(
    r"[ \t]*$| {0,3}(?:>|#{1,6}(?:[ \t]|$)|```|~~~|<|(?:[-*_][ \t]*){3,}$"
    r"|[-*+](?:[ \t]|$)|\d{1,9}[.)](?:[ \t]|$))"
)
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def _row_cells(row: str) -> list[str]:
    row = row.strip()
    row = row[1:] if row.startswith("|") else row
    row = row[:-1] if row.endswith("|") and not row.endswith("\\|") else row
    # A cell's text as it would read in the table: backslash escapes taken out.
    return [_ESCAPE.sub(r"\1", cell.strip()) for cell in _CELL_SPLIT.split(row)]


def _grid(header: str, rows: list[str]) -> Grid:
    """A table's header and rows as a grid: a row's missing cells are empty, extra ones
    dropped (as Markdown renders it), and repeated or empty column names made unique."""
    names = _row_cells(header)
    columns: list[str] = []
    seen: set[str] = set()
    for number, name in enumerate(names, start=1):
        unique = name or f"({number})"
        while unique in seen:
            unique += " "  # looks the same, is another column
        seen.add(unique)
        columns.append(unique)
    width = len(columns)
    cells = []
    for row in rows:
        values = _row_cells(row)[:width]
        cells.append(tuple(values + [""] * (width - len(values))))
    return Grid(tuple(columns), tuple(cells))

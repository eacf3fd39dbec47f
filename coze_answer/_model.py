"""One answer as a person sees it: Coze's events and a clock in, what to show out.

The answer's text is :class:`coze_stream.AnswerText`'s (the rule ``stream_text`` follows too);
this model decides how it is shown, for the page, the command line and the benchmarks:

- Answer messages are joined with a blank line, in the order their first text arrived; a message
  that arrives whole (no deltas) is shown whole.
- Coze's completed text is authoritative: when it extends what was shown, the rest is appended;
  when it differs otherwise (or the answer defines link references, which apply to the whole
  document), the answer is replaced by it once it is complete (:class:`Replace`).
- Text arriving within one frame of the last update goes out together, and none waits longer
  than a frame; once the answer is over, what is pending goes out at once.
- Finished Markdown blocks are closed off (:class:`BlockSplitter`), so a UI re-renders only the
  open block; reasoning is split the same way. With ``piece_bytes``, a long open block is cut
  into pieces too (:class:`PieceCutter`), and a cut block is shown whole once it is finished.
- With ``end_whole``, the finished answer is shown once more as one block, exactly as its whole
  text renders (a UI that redraws its history from that text then shows the same thing).
- Images load only from ``image_hosts`` (Coze's own by default); any other image becomes a
  link, and formulas past ``max_formulas`` show as TeX source (:class:`MarkdownGuard`), in the
  answer and in the reasoning.
- An answer made of items (``object_string``) is written as Markdown: text as text, images and
  files as images and links, only for http(s) addresses.
- The answer is over at ``chat.completed`` (later events such as audio are not waited for), when
  the bot asks a question and waits for the reply (``awaiting_reply``), or when the stream ends.

The model never sleeps and never reads a real clock unless given one: a caller asks
:meth:`AnswerStream.next_wait` how long it may wait for events, then hands them to
:meth:`AnswerStream.update`.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from coze_stream import (
    AnswerText,
    ChatCompleted,
    ChatEvent,
    ChatStarted,
    FollowUp,
    ReasoningDelta,
    ReplyRequested,
    Usage,
    text_after,
)

from ._blocks import BlockSplitter, needs_whole_render
from ._display import MAX_TABLE_CELLS, MAX_TABLE_ROWS, Cap, DisplayGuard, Grid, shown
from ._guard import DEFAULT_IMAGE_HOSTS, MAX_FORMULAS, MarkdownGuard
from ._pieces import PieceCutter, PieceKind

__all__ = [
    "FRAME_CHARS",
    "FRAME_SECONDS",
    "STILL_ANSWERING_AFTER",
    "AnswerStream",
    "AppendReasoning",
    "AppendText",
    "Change",
    "EndBlock",
    "EndPiece",
    "EndReasoningBlock",
    "Preview",
    "Replace",
    "Status",
    "StatusKind",
    "ThinkingDone",
]

STREAMED_TABLE_CHARS = 40_000
"""A table that will be a grid streams this far; the rest of it shows once it is complete."""
MANY_BLOCKS = 100
"""Blocks an answer shows as elements of their own; later short ones are joined."""
JOINED_BLOCK_CHARS = 500
"""Short blocks past ``MANY_BLOCKS`` are joined into elements of about this many characters.
The open one is sent again with each frame: at 8,000 an answer of many short sections cost 95x
its bytes on the websocket (bench/ui.py --deltas-sweep mixed), at 500 13x."""
FRAME_SECONDS = 0.04
"""Text arriving within this long of the last update is sent with the next one."""
FRAME_CHARS = 4000
"""Characters of answer text (and of reasoning) a frame hands out at most; more that arrived
waits for the next frames. A browser renders a frame's Markdown in one go on its main thread:
a bot's reply that comes whole or in a flood (hundreds of KB in a second) would block it for
seconds at a time. 100,000 characters a second is hundreds of times what a model streams, so
only floods wait."""
STILL_ANSWERING_AFTER = 2.0
"""A pause in the middle of an answer is reported only once it is this long."""


@dataclass(frozen=True, slots=True)
class AppendText:
    """Add ``text`` to the answer's open block."""

    text: str


@dataclass(frozen=True, slots=True)
class EndBlock:
    """The open answer block is finished: later text goes into a new block.

    ``whole`` is the block's text when it was cut into pieces or not all shown (a big table):
    show it whole now, guarded for display (:func:`coze_answer.shown`).
    """

    whole: str | None = None


@dataclass(frozen=True, slots=True)
class EndPiece:
    """The open block goes on in a new element: what was shown of it so far is finished.

    ``kind`` says what the block is, so a UI can style its pieces to read as one block; the
    next :class:`AppendText` starts the new piece (with what it needs to render on its own).
    """

    kind: PieceKind


@dataclass(frozen=True, slots=True)
class Preview:
    """The open block so far, to show whole in place of what streamed of it: a table that will
    be a grid (:func:`coze_answer.shown`), whose further rows wait for the block's end.

    Sent when its rows start to wait, then each time the block has grown by half: a reader
    sees the grid take shape, and a browser has its grid drawn before the last rows come.
    """

    text: str


@dataclass(frozen=True, slots=True)
class AppendReasoning:
    """Add ``text`` to the reasoning's open block (the first one opens the reasoning)."""

    text: str


@dataclass(frozen=True, slots=True)
class EndReasoningBlock:
    """The open reasoning block is finished."""


@dataclass(frozen=True, slots=True)
class ThinkingDone:
    """The bot thought for ``seconds`` before its answer's first text (or until it ended)."""

    seconds: float


class StatusKind(enum.Enum):
    WORKING = "working"  # nothing of the answer yet
    STILL_ANSWERING = "still-answering"  # the answer started, then paused


@dataclass(frozen=True, slots=True)
class Status:
    """The line under the answer while it streams; ``kind`` None clears it.

    Sent on every update while no text is due, so a UI can use it as its heartbeat.
    """

    kind: StatusKind | None
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class Replace:
    """Show ``text`` instead of every answer block shown so far (one block)."""

    text: str


Change = (
    AppendText
    | EndBlock
    | EndPiece
    | Preview
    | AppendReasoning
    | EndReasoningBlock
    | ThinkingDone
    | Status
    | Replace
)


class _Unguarded:
    """Text through unchanged, for a reader that fetches no images (a terminal)."""

    math_capped = False

    def feed(self, text: str) -> str:
        return text

    def flush(self) -> str:
        return ""


class AnswerStream:
    """What to show of one answer, decided from Coze's events and a clock.

    ``frame_seconds`` 0 shows every piece at once (a terminal, a plain ``st.write_stream``);
    ``split_blocks`` False never closes a block; ``piece_bytes`` cuts a long open block into
    pieces of about that many bytes (:class:`EndPiece`); ``end_whole`` replaces the
    answer by its whole text once it is complete. After the answer, :attr:`text`, :attr:`blocks`,
    :attr:`reasoning`, :attr:`thought_seconds`, :attr:`first_text_seconds`,
    :attr:`total_seconds`, :attr:`usage` and :attr:`follow_ups` describe it, and
    :attr:`has_no_text` says the person got nothing to read.
    """

    def __init__(
        self,
        *,
        frame_seconds: float = FRAME_SECONDS,
        split_blocks: bool = True,
        clock: Callable[[], float] = time.monotonic,
        image_hosts: Iterable[str] | None = DEFAULT_IMAGE_HOSTS,
        max_formulas: int = MAX_FORMULAS,
        piece_bytes: int | None = None,
        end_whole: bool = False,
    ) -> None:
        self._frame = frame_seconds
        self._cutter = PieceCutter(piece_bytes) if piece_bytes and split_blocks else None
        self._end_whole = end_whole
        self._split_blocks = split_blocks
        self._clock = clock
        self._started = clock()
        self._splitter = BlockSplitter()
        # None: no guard (a terminal fetches no images); otherwise only these hosts' images.
        self._image_hosts = None if image_hosts is None else tuple(image_hosts)
        self._max_formulas = max_formulas
        self._guard = self._new_guard()
        self._reasoning_guard = self._new_guard()
        # What a browser is handed (not what is kept): see coze_answer._display.
        self._display = None if image_hosts is None else DisplayGuard(max_formulas)
        self._reasoning_display = None if image_hosts is None else DisplayGuard(max_formulas)
        # A table past MAX_TABLE_ROWS rows or MAX_TABLE_CELLS cells is shown whole once its block
        # is complete (as a page shows it: a grid); past STREAMED_TABLE_CHARS, its further rows
        # wait for that.
        self._max_streamed_rows = MAX_TABLE_ROWS if self._display is not None else None
        self._withholding = False
        self._previewed = 0  # characters of the open block in its last Preview
        self._block_chars = 0  # of the open block, handed out
        self._final_caps: frozenset[Cap] = frozenset()
        self._final_math_capped = False
        self._reasoning_splitter = BlockSplitter()
        self._pending: list[str] = []
        self._pending_reasoning: list[str] = []
        self._answer = AnswerText()
        self._last_update = -float("inf")
        self._last_news: float | None = None
        self._reasoning_started: float | None = None
        self._status: StatusKind | None = None
        self._over = False  # chat.completed came, the stream ended or failed
        self._finished = False
        self._blocks: list[str] = []
        # The open block's text as it came: joined when read (adding to one string per frame
        # would copy the whole block each time).
        self._open_block: list[str] = []
        self.shown_chars = 0
        """How many characters of the answer were handed out so far."""
        self.reasoning = ""
        self.thought_seconds: float | None = None
        self.first_text_seconds: float | None = None
        self.total_seconds: float | None = None
        self.usage: Usage | None = None
        self.follow_ups: list[str] = []
        self.awaiting_reply = False
        """The bot asked a question and waits for the reply (a chatflow's Question node)."""
        # Coze's ids for this chat and its (last) answer message: for feedback and exports.
        self.conversation_id = ""
        self.chat_id = ""

    def _new_guard(self) -> MarkdownGuard | _Unguarded:
        if self._image_hosts is None:
            return _Unguarded()
        return MarkdownGuard(self._image_hosts, self._max_formulas)

    # -- reading the state --

    @property
    def blocks(self) -> list[str]:
        """The answer as shown, one entry per block (a trailing "" was never shown)."""
        if self._open_block:
            self._blocks[-1] += "".join(self._open_block)
            self._open_block.clear()
        return self._blocks

    @blocks.setter
    def blocks(self, blocks: list[str]) -> None:
        self._open_block.clear()
        self._blocks = blocks

    @property
    def shown(self) -> str:
        """The answer text handed out so far."""
        return "".join(self.blocks)

    @property
    def text(self) -> str:
        """The authoritative answer: each message's completed text (else its deltas), joined."""
        return self._answer.text

    @property
    def message_id(self) -> str:
        """Coze's id of the (last) answer message: what feedback is about."""
        return self._answer.message_id

    @property
    def done(self) -> bool:
        """Nothing more will come and nothing is pending: time for :meth:`finish`."""
        return self._over and not (self._pending or self._pending_reasoning)

    @property
    def math_capped(self) -> bool:
        """More formulas than ``max_formulas``: the rest show as their TeX source."""
        shown_capped = self._display is not None and self._display.math_capped
        return self._guard.math_capped or shown_capped or self._final_math_capped

    @property
    def max_formulas(self) -> int:
        """Formulas typeset at most (what the page shows of the answer is drawn with it)."""
        return self._max_formulas

    @property
    def display_caps(self) -> frozenset[Cap]:
        """What a browser is shown differently from the answer's Markdown, to say so."""
        caps = set(self._final_caps)
        for display in (self._display, self._reasoning_display):
            if display is not None:
                caps |= display.caps
        return frozenset(caps)

    @property
    def has_no_text(self) -> bool:
        return self._finished and not self.text.strip()

    def next_wait(self, heartbeat: float) -> float:
        """How long a caller may wait for more events before the next :meth:`update`."""
        if self._over:
            return 0.0
        if self._pending or self._pending_reasoning:
            return max(0.0, self._last_update + self._frame - self._clock())
        return heartbeat

    # -- feeding it --

    def update(self, events: Iterable[ChatEvent] = (), *, ended: bool = False) -> list[Change]:
        """Take the events that arrived (``ended``: the stream is over); say what to show now."""
        for event in events:
            self._take(event)
        self._over = self._over or ended
        now = self._clock()
        if (self._pending or self._pending_reasoning) and (
            self._over or now >= self._last_update + self._frame
        ):
            self._last_update = now
            return self._flush(now)
        if self._over or self._pending or self._pending_reasoning:
            return []
        return [self._idle_status(now)]

    def stop(self) -> None:
        """The reader stopped the answer: everything that arrived is kept as shown
        (:attr:`blocks`, :attr:`reasoning`), what still waited for a frame included; a page
        draws the turn from them next."""
        self.fail()

    def fail(self) -> list[Change]:
        """The stream failed: everything that arrived before the failure, to show at once
        (what the guard held back as a possible image included, as text)."""
        self._over = True
        self._end_whole = False  # nothing replaces it: all that arrived is shown now
        changes = self._flush(self._clock())
        return changes + self._flush_guards() + self._end_cut_block()

    def finish(self) -> list[Change]:
        """The answer is over: thinking time, Coze's final text, and the summary attributes."""
        changes: list[Change] = self._flush(self._clock()) if not self.done else []
        self._over = self._finished = True
        now = self._clock()
        if self._reasoning_started is not None and self.thought_seconds is None:
            self.thought_seconds = now - self._reasoning_started
            changes.append(ThinkingDone(self.thought_seconds))
        changes += self._flush_guards()
        # The wire layer's rule, on the text as shown: the guard may have changed both alike.
        final = self.text
        if self._image_hosts is not None:
            guard = MarkdownGuard(self._image_hosts, self._max_formulas)
            final = guard.feed(final) + guard.flush()
            # What a page shows of it (cached: the page asks the same when it draws it).
            elements = shown(final, self._max_formulas)
            self._final_caps = elements.caps
            # (Text that waited for a frame when the answer ended met the stream's guard only
            # here.)
            self._final_math_capped = elements.math_capped or guard.math_capped
        rest = text_after(final, self.shown)
        if needs_whole_render(final) or rest is None:
            self.blocks = [final]
            changes.append(Replace(final))
        else:
            # Coze's text goes on where the deltas stopped (a flood's rest: see _flush).
            if rest and not (self._end_whole and len(rest) > FRAME_CHARS):
                changes += self._show(rest, already_guarded=True)
            if self._end_whole and final.strip():
                self.blocks = [final]
                changes.append(Replace(final))
            else:
                changes += self._end_cut_block()
        if self._status is not None:
            self._status = None
            changes.append(Status(None))
        self.total_seconds = now - self._started
        return changes

    # -- inside --

    def _take(self, event: ChatEvent) -> None:
        self._last_news = self._clock()
        text = self._answer.take(event)
        if text:
            self._pending.append(text)
        elif isinstance(event, ReasoningDelta):
            if self._reasoning_started is None:
                self._reasoning_started = self._last_news
            self._pending_reasoning.append(event.text)
        elif isinstance(event, ChatStarted):
            self.conversation_id, self.chat_id = event.conversation_id, event.chat_id
        elif isinstance(event, FollowUp):
            self.follow_ups.append(event.text)
        elif isinstance(event, ChatCompleted | ReplyRequested):
            self.usage = event.usage
            self.awaiting_reply = isinstance(event, ReplyRequested)
            self._over = True

    def _flush(self, now: float) -> list[Change]:
        changes: list[Change] = []
        if self._pending_reasoning:
            text = self._frame_share(self._pending_reasoning)
            text = self._reasoning_guard.feed(text)
            self.reasoning += text
            changes += self._reasoning_changes(text)
        if self._pending:
            if self.first_text_seconds is None:
                self.first_text_seconds = now - self._started
                if self._reasoning_started is not None:
                    self.thought_seconds = now - self._reasoning_started
                    changes.append(ThinkingDone(self.thought_seconds))
            if self._status is not None:
                # Text is news: a "still working" line is stale now. It goes before the text,
                # as the browser may draw each element's update on its own: the line is never
                # seen beside text that came after the pause.
                self._status = None
                changes.append(Status(None))
            text = self._frame_share(self._pending)
            if self._over and self._end_whole and len(text) > FRAME_CHARS:
                # A flood's rest: kept as shown, but not streamed first only to be replaced (the
                # whole text replaces what was shown at once, see finish). A frame's share
                # streams as ever: its words show before the whole is drawn again.
                self._show(text)
            else:
                changes += self._show(text)
        return changes

    def _frame_share(self, pending: list[str]) -> str:
        """What of ``pending`` this frame hands out (all once the answer is over); the rest
        stays in it for the next frames."""
        text = "".join(pending)
        pending.clear()
        if not self._over and self._frame and len(text) > FRAME_CHARS:
            pending.append(text[FRAME_CHARS:])
            text = text[:FRAME_CHARS]
        return text

    def _flush_guards(self) -> list[Change]:
        changes: list[Change] = []
        held = self._reasoning_guard.flush()
        if held:
            self.reasoning += held
            changes += self._reasoning_changes(held, split=False)
        if self._reasoning_display is not None:
            rest = self._reasoning_display.flush()
            if rest:
                changes.append(AppendReasoning(rest))
        changes += self._show(self._guard.flush(), already_guarded=True)
        if self._display is not None:
            changes += self._shown_text(self._display.flush())
        return changes

    def _reasoning_changes(self, text: str, *, split: bool = True) -> list[Change]:
        changes: list[Change] = []
        pieces = self._split(self._reasoning_splitter, text) if split else [text]
        for piece in pieces:
            if piece is None:
                if self._reasoning_display is not None:
                    self._reasoning_display.end_block()
                changes.append(EndReasoningBlock())
                continue
            if self._reasoning_display is not None:
                piece = self._reasoning_display.feed(piece)
            if piece:
                changes.append(AppendReasoning(piece))
        return changes

    def _show(self, text: str, *, already_guarded: bool = False) -> list[Change]:
        changes: list[Change] = []
        if not already_guarded:
            text = self._guard.feed(text)
        for piece in self._split(self._splitter, text):
            if piece is None:  # BLOCK_END
                if self._display is not None:
                    self._display.end_block()
                if self._joins_next_block():
                    continue
                changes.append(EndBlock(self._whole_block()))
                self.blocks.append("")
                continue
            if not self._blocks:
                self._blocks.append("")
            self._open_block.append(piece)
            self.shown_chars += len(piece)
            if self._display is not None:
                piece = self._display.feed(piece)
            changes += self._shown_text(piece)
        return changes

    def _shown_text(self, text: str) -> list[Change]:
        """The open block's text as a browser is handed it, cut into pieces if it is long."""
        if not text:
            return []
        if self._withholding:
            return self._preview()
        cutter = self._cutter
        if cutter is None:
            return [AppendText(text)]
        changes: list[Change] = []
        while text:
            rows = cutter.table_rows
            if rows is None or self._max_streamed_rows is None:
                chunk, text = text, ""
            elif self._block_chars >= STREAMED_TABLE_CHARS and (
                rows > self._max_streamed_rows or rows * cutter.table_columns > MAX_TABLE_CELLS
            ):
                self._withholding = True  # shown whole with its block (see _whole_block)
                changes += self._preview()
                break
            else:  # a table, or what may become one: a row at a time
                end = text.find("\n") + 1 or len(text)
                chunk, text = text[:end], text[end:]
            self._block_chars += len(chunk)
            for item in cutter.feed(chunk):
                if isinstance(item, PieceKind):  # the open piece ends here
                    changes.append(EndPiece(item))
                else:
                    changes.append(AppendText(item))
        return changes

    def _preview(self) -> list[Change]:
        """A withheld table's block so far, its whole rows, when it grew by half since it was
        last shown and a page shows it as a grid (else it waits for its end, as it was)."""
        block = self.blocks[-1]
        rows = block[: block.rfind("\n") + 1]
        if len(rows) * 2 < self._previewed * 3 or not rows:
            return []
        self._previewed = len(rows)
        if not any(
            isinstance(element, Grid) for element in shown(rows, self._max_formulas).elements
        ):
            return []
        return [Preview(rows)]

    def _joins_next_block(self) -> bool:
        """Does the next block go on in the open block's element? Past ``MANY_BLOCKS`` blocks,
        short ones share an element: a page whose answer holds thousands of elements spends
        time on all of them for each one added."""
        if self._display is None or len(self._blocks) <= MANY_BLOCKS or self._withholding:
            return False
        if self._cutter is not None and self._cutter.cut:
            return False
        if len(self.blocks[-1]) >= JOINED_BLOCK_CHARS:
            return False
        if self._cutter is not None:
            self._cutter.end_block()  # the next block is read as a block of its own
        return True

    def _whole_block(self) -> str | None:
        """The open block's kept text, when it was cut into pieces or not shown in full (for
        :class:`EndBlock`); the next block starts afresh."""
        withheld, self._withholding = self._withholding, False
        self._block_chars = self._previewed = 0
        cut = self._cutter is not None and self._cutter.end_block() is not None
        if not (cut or withheld):
            return None
        return self.blocks[-1] if self._blocks else ""

    def _end_cut_block(self) -> list[Change]:
        """The open block, if it was cut into pieces, shown whole (the answer is over)."""
        if self._cutter is None or not (self._cutter.cut or self._withholding):
            return []
        whole = self._whole_block()
        self.blocks.append("")
        return [EndBlock(whole)]

    def _split(self, splitter: BlockSplitter, text: str) -> list[str | None]:
        if not text:
            return []
        return splitter.feed(text) if self._split_blocks else [text]

    def _idle_status(self, now: float) -> Status:
        if self.first_text_seconds is None:
            self._status = StatusKind.WORKING
            return Status(StatusKind.WORKING, now - self._started)
        silent = now - (self._last_news if self._last_news is not None else self._started)
        self._status = StatusKind.STILL_ANSWERING if silent >= STILL_ANSWERING_AFTER else None
        return Status(self._status, silent)

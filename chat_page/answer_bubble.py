"""The assistant's bubble: one answer streamed into Streamlit elements, or replayed.

:class:`coze_answer.AnswerStream` decides what to show; this module only maps its changes onto
Streamlit elements (a "Thinking" status, the answer's Markdown blocks, the line under it), and
replays a finished turn with the same elements, so the page's history stays in place.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import re
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import httpx
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

# The one Streamlit internal used: see _show_after_interruption. requirements.txt pins the
# Streamlit version the test suite passed with, and a browser test fails if this stops working.
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx
from streamlit.runtime.scriptrunner_utils.exceptions import StopException

from coze_answer import (
    DEFAULT_IMAGE_HOSTS,
    MAX_FORMULAS,
    PIECE_BYTES,
    AnswerStream,
    AppendReasoning,
    AppendText,
    Attached,
    Change,
    Element,
    EndBlock,
    EndPiece,
    EndReasoningBlock,
    Grid,
    Markdown,
    PieceCutter,
    PieceKind,
    Pieces,
    PlainText,
    Preview,
    Replace,
    Status,
    StatusKind,
    ThinkingDone,
    Turn,
    Words,
    explain,
    file_size,
    plain_markdown,
    shown,
    shown_blocks,
    shown_name,
    turn_notes,
)
from coze_stream import BackgroundChat, ContextMessage, CozeConfig, CozeError, redact

from .fair_share import Refusal

__all__ = [
    "PAGE_STYLE",
    "PIECE_STYLE",
    "STOP_KEY",
    "AnswerView",
    "answer_changes",
    "detail_markdown",
    "log_unexpected",
    "new_answer",
    "render_turn",
    "show_elements",
    "show_files",
    "show_markdown",
    "show_status",
    "show_trouble",
    "stream_answer",
]

logger = logging.getLogger("coze_chat")

STOP_KEY = "stop-answer"  # the Stop button under a streaming answer

# How often the page checks in with Streamlit while Coze is silent: a Stop takes effect at the
# next check, so this bounds how long Stop can take.
HEARTBEAT_SECONDS = 0.2

_PIECES = '[class*="st-key-cz-{kind}-"]'
_WRAPPERS = (
    "{box} > div, {box} .stMarkdown, {box} .stMarkdown > div, "
    '{box} [data-testid="stMarkdownContainer"]'
)
# The pieces of one long block (see AnswerView._stream_block), styled to read as one block:
# the wrappers Streamlit puts around each element are taken out of the layout (display:
# contents), so a paragraph's pieces flow inline, a table's rows share one set of columns, and
# a code block's pieces form one box that scrolls as one. tests/e2e checks the geometry.
PIECE_STYLE = "\n".join(
    rule.replace("{box}", _PIECES.format(kind=kind))
    for kind, rules in {
        "paragraph": [
            "{box} { display: block !important; }",
            _WRAPPERS + " { display: contents !important; }",
            '{box} [data-testid="stMarkdownContainer"] > p { display: inline; }',
        ],
        "code": [
            "{box} { display: grid !important; gap: 0 !important;"
            " grid-template-columns: minmax(100%, max-content); overflow-x: auto; }",
            _WRAPPERS + ', {box} [data-testid="stMarkdownPre"], {box} .stCode'
            " { display: contents !important; }",
            "{box} pre { overflow: visible !important; margin: 0 !important; }",
            "{box} > div:not(:first-child) pre { border-top-left-radius: 0 !important;"
            " border-top-right-radius: 0 !important; padding-top: 0 !important; }",
            "{box} > div:not(:last-child) pre { border-bottom-left-radius: 0 !important;"
            " border-bottom-right-radius: 0 !important; padding-bottom: 0 !important; }",
            '{box} .stCode > div:not(:first-child), {box} [data-testid="stElementToolbarButton"]'
            " { display: none !important; }",
        ],
        "list": [
            "{box} { display: block !important; }",
            # Streamlit pulls each element's last margin back (margin-bottom: -1rem): not here.
            '{box} > div:not(:last-child) [data-testid="stMarkdownContainer"],'
            ' {box} > div:not(:last-child) [data-testid="stMarkdownContainer"] > :is(ul, ol)'
            " { margin-bottom: 0 !important; padding-bottom: 0 !important; }",
            '{box} > div:not(:first-child) [data-testid="stMarkdownContainer"] > :is(ul, ol)'
            " { margin-top: 0 !important; padding-top: 0 !important; }",
            # Margins do not collapse across the elements: the first item's is dropped.
            '{box} > div:not(:first-child) [data-testid="stMarkdownContainer"] > :is(ul, ol)'
            " > li:first-child { margin-top: 0 !important; }",
        ],
        "table": [
            "{box} { display: table !important; width: max-content !important; max-width: 100%;"
            " border-collapse: collapse; }",
            _WRAPPERS + ", {box} table, {box} tbody { display: contents !important; }",
            "{box} > div:not(:first-child) thead { display: none !important; }",
        ],
    }.items()
    for rule in rules
)

# A person's words, shown as typed (see plain_markdown), wrap even when one word is longer
# than the bubble (a pasted address, a hash).
_USER_TEXT = (
    '[data-testid="stChatMessage"]:has([data-testid="stChatMessageAvatarUser"])'
    ' [data-testid="stMarkdownContainer"] { overflow-wrap: anywhere; }'
)
# An answer's button the running page has not drawn again (Streamlit marks it stale: it is
# about to be replaced or to go) takes no click: the second half of a double click, or a
# suggestion of an answer being redone, would act on something the page no longer holds. Only
# in the chat: elsewhere (the demo switch, the sidebar) a click during any rerun must count.
_STALE_BUTTONS = (
    '[data-testid="stChatMessage"] [data-stale="true"] button { pointer-events: none; }'
)
PAGE_STYLE = f"{PIECE_STYLE}\n{_USER_TEXT}\n{_STALE_BUTTONS}"


class AnswerView:
    """The parts of the assistant bubble that change while an answer streams."""

    def __init__(self, said: Words, formulas: int = MAX_FORMULAS) -> None:
        self.said = said
        self.formulas = formulas
        self.thinking_slot = st.empty()
        self.answer_slot = st.empty()
        self.status_slot = st.empty()
        # The answer's buttons: Stop while it streams, then the toolbar (filled by the page).
        self.actions_slot = st.empty()
        # The suggested follow-ups, once it ended (filled by the page). Drawn empty at once: in
        # the place of an answer being redone, its suggestions must not stay clickable.
        self.follow_ups_slot = st.empty()
        # st.status's container: its class lives in a private Streamlit module.
        self._thinking: Any = None
        # The open reasoning block, cut into pieces as the answer's blocks are: its place in
        # the status, the container of its pieces once cut, the open piece's element and text.
        self._reasoning_slot: DeltaGenerator | None = None
        self._reasoning_box: DeltaGenerator | None = None
        self._reasoning_block: DeltaGenerator | None = None
        self._reasoning_text = ""
        self._reasoning_cutter = PieceCutter(PIECE_BYTES)
        self._piece_end: Change | None = None  # the change that ended the open piece
        self._boxes = 0
        self._previews = 0

    def stream(self, changes: Iterator[Change]) -> None:
        """Show ``changes`` as they come: each block of the answer is streamed through
        ``st.write_stream``, and a block cut into pieces, piece by piece."""
        with self.answer_slot.container():
            change = next(changes, None)
            while change is not None:
                if isinstance(change, AppendText):
                    change = self._stream_block(change.text, changes)
                else:
                    self.apply(change)
                    change = next(changes, None)

    def _stream_block(self, text: str, changes: Iterator[Change]) -> Change | None:
        """Stream one block, starting with ``text``; return the change after it, if any.

        The block's first piece streams into ``slot``. At the first cut, ``slot`` becomes a
        container styled for the block's kind (see :data:`PIECE_STYLE`) holding that piece, and
        each later piece streams into an element of its own there: only the open piece is
        re-sent. Once the block is finished it is shown whole, as one element.
        """
        slot = st.empty()
        box: DeltaGenerator | None = None
        previewed = False
        while True:
            self._piece_end = None
            shown: str | list[Any] = ""
            if previewed:  # the block's further text waits for its end: none streams now
                for _ in self._piece(text, changes):
                    pass
            else:
                shown = (box or slot).write_stream(self._piece(text, changes))
            end, text = self._piece_end, ""
            if isinstance(end, Preview):
                # Emptied first: a container put where the pieces' container was would keep
                # the pieces beside the grid until the run ends (see apply's Replace).
                slot.empty()
                self._previews += 1
                key = f"{id(self)}-{self._boxes}-p{self._previews}"
                show_markdown(slot, end.text, self.formulas, key=key)
                box, previewed = None, True
                continue
            if isinstance(end, EndPiece):
                if box is None:
                    self._boxes += 1
                    box = slot.container(key=f"cz-{end.kind.value}-{self._boxes}-{id(self)}")
                    box.markdown(shown if isinstance(shown, str) else "")
                continue
            if isinstance(end, EndBlock):
                if end.whole is not None:
                    show_markdown(slot, end.whole, self.formulas, key=f"{id(self)}-{self._boxes}")
                return next(changes, None)
            return end  # a Replace, or None: the answer is over

    def _piece(self, text: str, changes: Iterator[Change]) -> Iterator[str]:
        """The open piece's text for ``st.write_stream``; other changes are applied on the way."""
        if text:
            yield text
        for change in changes:
            if isinstance(change, AppendText):
                yield change.text
            elif isinstance(change, EndPiece | EndBlock | Preview | Replace):
                self._piece_end = change
                return
            else:
                self.apply(change)

    def apply(self, change: Change) -> None:
        """Show a change that is not the answer's text."""
        match change:
            case Replace(text):
                # An element in place of the container: a container put there would keep the
                # old one's elements (Streamlit keeps a block's children until the run ends).
                show_markdown(self.answer_slot, text, self.formulas, key=str(id(self)))
            case AppendReasoning(text):
                self.reasoning(text)
            case EndReasoningBlock():
                self._end_reasoning_block()
            case ThinkingDone(seconds):
                self._end_reasoning_block()
                if self._thinking is not None:
                    self._thinking.update(
                        label=self.said.thought_label(seconds), state="complete", expanded=False
                    )
            case Status(kind, seconds):
                self.status(kind, seconds)

    def status(self, kind: StatusKind | None, seconds: float) -> None:
        # Also the heartbeat: every Streamlit call is where a Stop or rerun takes effect.
        if kind is None:
            self.status_slot.empty()
        else:
            self.status_slot.caption(self.said.status(kind is StatusKind.WORKING, seconds))

    def reasoning(self, text: str) -> None:
        """Add ``text`` to the open block of the collapsed "Thinking" status."""
        if self._thinking is None:
            self._thinking = self.thinking_slot.status(
                f":shimmer[{self.said.thinking}]", type="compact", expanded=False
            )
        for part in self._reasoning_cutter.feed(text):
            if isinstance(part, PieceKind):  # only the open piece is re-sent from here on
                if self._reasoning_box is None and self._reasoning_slot is not None:
                    self._boxes += 1
                    key = f"cz-{part.value}-{self._boxes}-{id(self)}"
                    self._reasoning_box = self._reasoning_slot.container(key=key)
                    self._reasoning_box.markdown(self._reasoning_text)
                self._reasoning_block, self._reasoning_text = None, ""
                continue
            if self._reasoning_block is None:
                if self._reasoning_box is not None:
                    self._reasoning_block = self._reasoning_box.empty()
                else:
                    self._reasoning_slot = self._reasoning_block = self._thinking.empty()
            self._reasoning_text += part
            self._reasoning_block.markdown(self._reasoning_text)

    def _end_reasoning_block(self) -> None:
        """The open reasoning block is over: shown whole as one element when it was cut."""
        whole = self._reasoning_cutter.end_block()
        if whole is not None and self._reasoning_slot is not None:
            key = f"r-{id(self)}-{self._boxes}"
            show_markdown(self._reasoning_slot, whole, self.formulas, key=key)
        self._reasoning_slot = self._reasoning_box = self._reasoning_block = None
        self._reasoning_text = ""


def answer_changes(
    chat: BackgroundChat, answer: AnswerStream, keep_alive: Callable[[], None] = lambda: None
) -> Iterator[Change]:
    """What to show of ``chat``'s answer, as ``answer`` decides it, as it comes;
    ``keep_alive`` is called at every heartbeat (a shared chat place is renewed there)."""
    while not answer.done:
        keep_alive()
        try:
            events = chat.take(answer.next_wait(HEARTBEAT_SECONDS))
        except CozeError:
            yield from answer.fail()  # everything that came before the failure
            raise
        yield from answer.update(events, ended=chat.finished)
    yield from answer.finish()


def new_answer(
    image_hosts: Iterable[str] = DEFAULT_IMAGE_HOSTS, formulas: int = MAX_FORMULAS
) -> AnswerStream:
    """The model that decides what to show of one answer (bench/baseline_app.py swaps it)."""
    return AnswerStream(
        image_hosts=image_hosts, max_formulas=formulas, piece_bytes=PIECE_BYTES, end_whole=True
    )


def stream_answer(
    config: CozeConfig,
    turn: Turn,
    client: httpx.Client,
    said: Words,
    *,
    context: Iterable[ContextMessage] = (),
    image_hosts: Iterable[str] = DEFAULT_IMAGE_HOSTS,
    formulas: int = MAX_FORMULAS,
    finish: Callable[[AnswerView], None] | None = None,
    keep_alive: Callable[[], None] = lambda: None,
) -> AnswerView:
    """Stream the answer to ``turn.question`` into the current bubble, keeping ``turn`` up to
    date; ``context`` is the earlier messages the bot is told about; ``keep_alive`` is called
    at every heartbeat while it streams.

    While it streams, a Stop button stands under it. If the run is interrupted (Stop, or a new
    message), the stream is closed, Coze is asked to cancel the chat, and the turn keeps what
    was shown, marked stopped. ``finish`` draws what follows an answer (its row in the view's
    ``actions_slot``, the downloads): once it ended, and also when Streamlit's own Stop (the
    header's) ended the run, which no run follows, so the page looks as after the page's Stop.
    Returns the view.
    """
    view = AnswerView(said, formulas)
    answer = new_answer(image_hosts, formulas)
    # The line above Stop holds its place from the start: were it filled only at the first
    # heartbeat, Stop would move down a line just after it appears, and a click on its way
    # would land on that line, leaving the answer running. The model draws it (its "working"
    # status, before any event), so the model also clears it with the first text.
    for change in answer.update():
        view.apply(change)
    view.actions_slot.button(said.stop, key=STOP_KEY, icon=":material/stop_circle:")
    files = tuple(attached.file for attached in turn.files)
    question = turn.question or said.files_only_question  # Coze wants a text beside files
    chat = BackgroundChat(config, question, client=client, context=context, attachments=files)
    finished = False
    turn.streaming = True
    try:
        view.stream(_keeping(answer_changes(chat, answer, keep_alive), turn, answer))
        finished = True
    except CozeError as error:
        finished = True
        turn.error = error
    except Exception as error:
        finished = True
        log_unexpected(error, config)
        turn.error = error
    finally:
        if not finished:  # what arrived but waited for a frame is kept too
            answer.stop()
        turn.keep(answer)
        turn.streaming = False
        if not finished:  # interrupted: Stop was pressed, or a new message arrived
            turn.stopped = True
            chat.stop()
            # Streamlit's Stop: no run follows to draw the row (after the page's Stop or a new
            # message, the next run draws the page at once).
            header_stop = isinstance(sys.exc_info()[1], StopException)
            if not header_stop:  # the next run may ask it again (see controls._ask_again)
                st.session_state.interrupted = turn.id

            def mark_stopped() -> None:
                view.actions_slot.empty()
                show_status(view.status_slot, turn, said)
                if header_stop and finish is not None:
                    finish(view)

            _show_after_interruption(mark_stopped)
    show_status(view.status_slot, turn, said)
    view.actions_slot.empty()
    if finish is not None:
        finish(view)
    return view


def _keeping(changes: Iterator[Change], turn: Turn, answer: AnswerStream) -> Iterator[Change]:
    """``changes``, with ``turn`` taking each one's text before it is shown: a download while
    the answer streams (made on a server thread from the turns) has it as far as it got.

    A keep joins the model's open block, a copy of that block: for a 700 KB one-block table in
    frames of 50 ms, at most about 0.1 ms a change (bench/keep.py, docs/performance.md).
    """
    for change in changes:
        turn.keep(answer)  # the model holds this change's text already
        yield change


def _show_after_interruption(update: Callable[[], None]) -> None:
    """Make one last change to the page after Streamlit interrupted the run.

    Once a run is stopped, every Streamlit call on the script's thread raises again, so the
    change is sent from a short-lived thread attached to the run's context instead (Streamlit
    has no public API for this). Without it, the "stopped" mark would only appear on the next
    run; if Streamlit refuses, it still does.
    """

    # The script's context goes along: what is drawn lands in the bubble the run was drawing.
    script_context = contextvars.copy_context()

    def run() -> None:
        with contextlib.suppress(BaseException):
            script_context.run(update)

    thread = threading.Thread(target=run, name="show-stopped", daemon=True)
    add_script_run_ctx(thread, get_script_run_ctx())
    thread.start()
    thread.join(timeout=1.0)


def log_unexpected(error: BaseException, config: CozeConfig | None) -> None:
    """Log an unforeseen failure with its traceback, every token hidden."""
    secrets = [config.pat] if config is not None else []
    secrets += [value.strip() for name, value in os.environ.items() if name == "COZE_PAT"]
    with contextlib.suppress(Exception):  # the secrets file may be what failed
        secrets.append(str(st.secrets["COZE_PAT"]).strip())
    logger.error("unexpected error: %s", redact(traceback.format_exc(), *secrets))


def render_turn(turn: Turn, said: Words) -> DeltaGenerator:
    """Show a turn from the history, as it was when it ended; return the slot for its buttons.

    An assistant turn uses the same slots as :class:`AnswerView`, element for element.
    """
    if turn.role == "user":
        if turn.content:
            st.markdown(plain_markdown(turn.content))  # as typed: no Markdown, no images
        else:
            st.empty()  # a question of files alone
        show_files(st.empty(), turn.files)
        return st.empty()
    thinking, answer, status = st.empty(), st.empty(), st.empty()
    if turn.reasoning:
        label = (
            said.thought_label(turn.thought_seconds) if turn.thought_seconds else said.thinking_done
        )
        with thinking.expander(label, type="compact"):
            show_markdown(st.empty(), turn.reasoning, turn.max_formulas, key=f"r-{turn.id}")
    blocks = [block for block in turn.blocks if block]  # a trailing "" was never shown
    drawn = shown_blocks(tuple(blocks), turn.max_formulas)
    if len(blocks) == 1:  # as a finished answer ends: one element (see Replace)
        show_elements(answer, drawn[0].elements, key=turn.id)
    else:  # as it streamed: an element (or a container) per block
        with answer.container():
            for number, block in enumerate(drawn):
                show_elements(st.empty(), block.elements, key=f"{turn.id}-{number}")
    show_status(status, turn, said)
    return st.empty()


def show_files(slot: DeltaGenerator, files: tuple[Attached, ...]) -> None:
    """A question's files in its bubble: small pictures of the images, then a line for each
    file with its name and size."""
    if not files:
        slot.empty()
        return
    with slot.container():
        pictures = [attached.thumbnail for attached in files if attached.thumbnail]
        if pictures:
            st.image(pictures, width=96)
        lines = (
            f"{_FILE_ICONS[a.file.kind]} {plain_markdown(shown_name(a.file.name))} · "
            f"{file_size(a.file.size)}"
            for a in files
        )
        st.markdown("  \n".join(lines))


_FILE_ICONS = {"image": ":material/image:", "file": ":material/description:"}


def show_markdown(slot: DeltaGenerator, text: str, formulas: int, *, key: str) -> None:
    """Show an answer's Markdown in ``slot`` as :func:`coze_answer.shown` cuts it."""
    show_elements(slot, shown(text, formulas).elements, key=key)


def show_elements(slot: DeltaGenerator, elements: tuple[Element, ...], *, key: str) -> None:
    """One element when the Markdown is light; else a container of Markdown elements, pieces
    styled to read as one block (see :data:`PIECE_STYLE`), grids and plain text."""
    if len(elements) == 1 and isinstance(elements[0], Markdown):
        slot.markdown(elements[0].text)
        return
    if len(elements) == 1 and isinstance(elements[0], Grid):
        _show_grid(slot, elements[0])
        return
    with slot.container():
        for number, element in enumerate(elements):
            match element:
                case Markdown(markdown):
                    st.markdown(markdown)
                case Pieces(kind, texts):
                    with st.container(key=f"cz-{kind.value}-shown-{key}-{number}"):
                        for piece in texts:
                            st.markdown(piece)
                case Grid():
                    _show_grid(st.empty(), element)
                case PlainText(plain):
                    st.text(plain)


def _show_grid(slot: DeltaGenerator, grid: Grid) -> None:
    """A big table as a grid: scrollable, and only its visible cells are drawn."""
    table = {name: [row[i] for row in grid.rows] for i, name in enumerate(grid.columns)}
    slot.dataframe(table, hide_index=True)


def show_status(slot: DeltaGenerator, turn: Turn, said: Words) -> None:
    """The line under an answer: what went wrong, the stopped mark, a notice, or the usage."""
    notes = turn_notes(turn, said)
    if turn.error is not None:
        with slot.container():
            show_trouble(turn.error, said)
    elif isinstance(turn.refusal, Refusal):
        refusal = turn.refusal
        slot.warning(said.refusal(refusal.reason, refusal.retry_after, in_box=False))
    elif turn.stopped:
        slot.caption(said.stopped)
    elif turn.no_text:
        slot.warning(said.no_text, icon=":material/info:")
    elif notes:
        slot.caption(notes)
    else:
        slot.empty()


# An address in a sentence, up to the punctuation after it (ASCII only: a Chinese sentence's
# full-width comma right after it is not part of it).
_ADDRESS = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'*+,;=%]*[A-Za-z0-9\-_~/#=%]")


def detail_markdown(value: str) -> str:
    """A Details value shown literally; addresses as code, since a Markdown renderer would
    otherwise link them, taking in the punctuation that follows (``https://api.coze.cn。``)."""
    parts = _ADDRESS.split(value)
    addresses = _ADDRESS.findall(value)
    shown = [plain_markdown(parts[0])]
    for address, text in zip(addresses, parts[1:], strict=True):
        shown += [f"`{address}`", plain_markdown(text)]
    return "".join(shown)


def show_trouble(error: BaseException, said: Words, *, lead: str = "") -> None:
    """What went wrong, for the visitor (after ``lead``, what it stopped), and a collapsed
    Details box for the site's owner."""
    trouble = explain(error, said.code)
    st.error(f"{lead} {trouble.headline}" if lead else trouble.headline, icon=":material/error:")
    if trouble.details:
        with st.expander(said.details, icon=":material/info:"):
            # Plain text: the values carry Coze's message and log id (anything, from Coze).
            rows = (f"**{label}:** {detail_markdown(value)}" for label, value in trouble.details)
            st.markdown("  \n".join(rows))

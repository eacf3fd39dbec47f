"""A check of ``bench/ui.py`` itself: the answer split into many sibling Markdown elements.

``bench/ui.py --app bench/split_app.py`` measures this page as "the app". It is
``bench/baseline_app.py`` (every delta shown at once), except that the answer text is cut every
``FRAGMENT_CHARS`` characters, wherever that falls (mid-word, mid-line, inside a code block or a
table row), and each fragment is a Markdown element of its own, in a container of its own,
next to the previous one in the bubble (a fragment cut inside a code block opens the fence
again, so its text reads the same); when the stream ends, the fragments are replaced by one
element holding the whole answer. A page may split an answer like this (to stop re-sending what
is finished), so the benchmark's markers must be found on screen across the cuts: every marker
seen, with lags like the baseline's, shows that they are. (A marker cut in two is in no single
websocket message until the final element: ``bench/ui.py`` then takes its screen time as its
arrival, and prints how many markers it found whole on the websocket.)
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for entry in (ROOT, ROOT / "bench"):  # `streamlit run bench/split_app.py` puts bench/ first
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

import _trace  # noqa: E402
import streamlit as st  # noqa: E402

import answer_bubble  # noqa: E402
import streamlit_app  # noqa: E402
from coze_answer import DEFAULT_IMAGE_HOSTS, MAX_FORMULAS, AnswerStream  # noqa: E402
from coze_stream import BackgroundChat  # noqa: E402

FRAGMENT_CHARS = 97  # not a multiple of any delta size: the cuts fall anywhere
FENCE = "```"


class Shown:
    """A piece of answer text as a callable that shows it: ``st.write_stream`` calls it (it
    cannot put text elsewhere than its own next element), and ``bench/_trace.py`` counts its
    ``text``."""

    def __init__(self, text: str, show: Callable[[], None]) -> None:
        self.text = text
        self._show = show

    def __call__(self) -> None:
        self._show()


def split_answer_pieces(
    chat: BackgroundChat, answer: AnswerStream, view: answer_bubble.AnswerView
) -> Iterator[str | Callable[[], None]]:
    """Every answer delta's text at once (as the baseline), in elements of FRAGMENT_CHARS
    characters, then the whole answer as one element."""
    whole = ""  # the answer so far
    fragment = ""  # the Markdown of the last element
    slot: Any = None  # the last element (created by its first text)

    def show(markdown: str) -> None:
        nonlocal slot
        if slot is None:
            slot = st.container().empty()  # inside the bubble's answer container
        slot.markdown(markdown)

    for piece in _plain_pieces(chat, answer, view):
        if not isinstance(piece, str):
            yield piece
            continue
        while piece:
            head = piece[: FRAGMENT_CHARS - len(whole) % FRAGMENT_CHARS]
            piece = piece[len(head) :]
            whole += head
            fragment += head
            yield Shown(head, functools.partial(show, fragment))
            if len(whole) % FRAGMENT_CHARS == 0:  # the next text starts a new element
                slot = None
                fragment = FENCE + "python\n" if whole.count(FENCE) % 2 else ""

    def join() -> None:
        with view.answer_slot.container():
            st.markdown(whole)

    yield join


def _plain_pieces(
    chat: BackgroundChat, answer: AnswerStream, view: answer_bubble.AnswerView
) -> Iterator[str | Callable[[], None]]:
    # bench/baseline_app.py's generator (that module runs its page when imported).
    while not answer.done:
        events = chat.take(answer.next_wait(answer_bubble.HEARTBEAT_SECONDS))
        for event in events:
            yield from view.show(answer.update([event]))
        yield from view.show(answer.update(ended=chat.finished))
    yield from view.show(answer.finish())


def plain_answer(
    image_hosts: Iterable[str] = DEFAULT_IMAGE_HOSTS, formulas: int = MAX_FORMULAS
) -> AnswerStream:
    return AnswerStream(
        frame_seconds=0, split_blocks=False, image_hosts=image_hosts, max_formulas=formulas
    )


answer_bubble.new_answer = plain_answer
answer_bubble.answer_pieces = _trace.traced(split_answer_pieces)
streamlit_app.main()

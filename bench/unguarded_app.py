"""The chat page with its display guards off: the benchmark's "before" side of bench/freeze.py.

``streamlit_app`` with :class:`coze_answer.DisplayGuard` passing text through unchanged and
:func:`coze_answer.shown` always giving the whole text as one Markdown element, as the page
showed answers before the guards. Everything else (images, the formula cap on ``$``, blocks and
pieces while streaming) is the app's own code.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run bench/unguarded_app.py` puts bench/ on sys.path
    sys.path.insert(0, str(ROOT))

import streamlit_app  # noqa: E402
from chat_page import answer_bubble  # noqa: E402
from coze_answer import Markdown, Shown, _model  # noqa: E402


class PassThrough:
    """A display guard that changes nothing."""

    math_capped = False

    def __init__(self, max_formulas: int = 0) -> None:
        self.caps: set[object] = set()

    def feed(self, text: str) -> str:
        return text

    def flush(self) -> str:
        return ""

    def end_block(self) -> None:
        pass


def whole(text: str, max_formulas: int = 0) -> Shown:
    return Shown((Markdown(text),), frozenset(), False)


_model.DisplayGuard = PassThrough  # type: ignore[misc,assignment]
_model.MAX_TABLE_ROWS = 10**9  # a table's rows all stream


def whole_blocks(blocks: tuple[str, ...], max_formulas: int = 0) -> tuple[Shown, ...]:
    return tuple(whole(block) for block in blocks)


_model.shown = whole  # type: ignore[assignment]
answer_bubble.shown = whole  # type: ignore[assignment]
answer_bubble.shown_blocks = whole_blocks  # type: ignore[assignment]
streamlit_app.main()

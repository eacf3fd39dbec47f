"""The chat page with a plain ``st.write_stream`` of every answer delta: the benchmark baseline.

Run by ``bench/ui.py`` (``streamlit run bench/baseline_app.py``). It is ``streamlit_app`` with
``answer_pieces`` replaced by the naive generator most Streamlit chat apps use: one yield per
answer delta, as soon as it arrives, no coalescing and no block freezing, so Streamlit re-sends
and re-renders the whole answer on every delta. Everything else (page, settings, errors, the
background reader thread) is the app's own code.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run bench/baseline_app.py` puts bench/ on sys.path
    sys.path.insert(0, str(ROOT))
if str(ROOT / "bench") not in sys.path:
    sys.path.insert(0, str(ROOT / "bench"))

import _trace  # noqa: E402

import streamlit_app  # noqa: E402
from coze_stream import AnswerDelta, ChatCompleted, FollowUp, Usage  # noqa: E402
from coze_stream._background import BackgroundChat  # noqa: E402


def _keep(turn: streamlit_app.Turn, text: str) -> None:
    """Add shown text to the turn (``content`` is a field in older versions, one block now)."""
    if hasattr(turn, "blocks"):
        if not turn.blocks:
            turn.blocks.append("")
        turn.blocks[-1] += text
    else:
        turn.content += text


def plain_answer_pieces(
    chat: BackgroundChat, turn: streamlit_app.Turn, view: streamlit_app.AnswerView
) -> Iterator[str]:
    """Every answer delta's text, yielded the moment it is taken from the stream."""
    started = time.monotonic()
    first_text: float | None = None
    usage: Usage | None = None
    message_id: str | None = None
    while not chat.finished:
        for event in chat.take(streamlit_app.HEARTBEAT_SECONDS):
            if isinstance(event, AnswerDelta):
                text = event.text
                if message_id is not None and event.message_id != message_id:
                    text = "\n\n" + text
                message_id = event.message_id
                if first_text is None:
                    first_text = time.monotonic() - started
                    view.status_slot.empty()
                _keep(turn, text)
                yield text
            elif isinstance(event, FollowUp):
                turn.follow_ups.append(event.text)
            elif isinstance(event, ChatCompleted):
                usage = event.usage
    turn.caption = streamlit_app.usage_caption(usage, first_text, time.monotonic() - started)


# With BENCH_TRACE_DIR set, bench/_trace.py records when each piece is yielded.
streamlit_app.answer_pieces = _trace.traced(plain_answer_pieces)
streamlit_app.main()

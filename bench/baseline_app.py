"""The chat page with a plain ``st.write_stream`` of every answer delta: the benchmark baseline.

Run by ``bench/ui.py`` (``streamlit run bench/baseline_app.py``). It is ``streamlit_app``
with ``answer_bubble.answer_changes`` replaced by the naive generator most Streamlit chat apps
use: one yield per answer delta, as soon as it arrives, no coalescing and no block freezing,
so Streamlit re-sends and re-renders the whole answer on every delta. The answer is assembled
by the same model
(:class:`coze_answer.AnswerStream`), with its frame at 0 and block splitting off. Everything
else (page, settings, errors, the background reader thread) is the app's own code.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run bench/baseline_app.py` puts bench/ on sys.path
    sys.path.insert(0, str(ROOT))
if str(ROOT / "bench") not in sys.path:
    sys.path.insert(0, str(ROOT / "bench"))

import _trace  # noqa: E402

import streamlit_app  # noqa: E402
from chat_page import answer_bubble  # noqa: E402
from coze_answer import DEFAULT_IMAGE_HOSTS, MAX_FORMULAS, AnswerStream, Change  # noqa: E402
from coze_stream import BackgroundChat  # noqa: E402


def plain_answer_changes(
    chat: BackgroundChat, answer: AnswerStream, keep_alive: Callable[[], None] = lambda: None
) -> Iterator[Change]:
    """Every answer delta's text, handed on the moment it is taken from the stream
    (``keep_alive`` as the app's: a shared chat place is renewed at every heartbeat)."""
    while not answer.done:
        keep_alive()
        events = chat.take(answer.next_wait(answer_bubble.HEARTBEAT_SECONDS))
        for event in events:  # one update, so one yield to st.write_stream, per delta
            yield from answer.update([event])
        yield from answer.update(ended=chat.finished)
    yield from answer.finish()


def plain_answer(
    image_hosts: Iterable[str] = DEFAULT_IMAGE_HOSTS, formulas: int = MAX_FORMULAS
) -> AnswerStream:
    return AnswerStream(
        frame_seconds=0, split_blocks=False, image_hosts=image_hosts, max_formulas=formulas
    )


answer_bubble.new_answer = plain_answer
# With BENCH_TRACE_DIR set, bench/_trace.py records when each piece is yielded.
answer_bubble.answer_changes = _trace.traced(plain_answer_changes)
streamlit_app.main()

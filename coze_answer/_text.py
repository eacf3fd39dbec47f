"""The answer's text alone, piece by piece: what ``st.write_stream`` or a terminal wants."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from coze_stream import ContextMessage, CozeConfig, stream_chat

if TYPE_CHECKING:  # the answer layer never uses httpx itself: it only passes a client along
    import httpx

from ._model import AnswerStream, AppendText

__all__ = ["stream_text"]


def stream_text(
    config: CozeConfig,
    message: str,
    *,
    client: httpx.Client | None = None,
    user_id: str | None = None,
    context: Iterable[ContextMessage] = (),
) -> Iterator[str]:
    """Send ``message`` to the bot and yield the answer's text as it arrives.

    ``context``: the earlier turns the bot should know, oldest first (see
    :func:`coze_stream.stream_chat` and :func:`coze_answer.pick_context`).

    Assembled by :class:`AnswerStream`'s rule: answer messages joined by a blank line, a message
    that came whole yielded whole, and Coze's completed text used at the end. When that text
    goes on where the deltas stopped, the rest is yielded. Text already yielded cannot be taken
    back, so when Coze's text *differs* from it, that is left to a caller that can redraw: use
    :class:`AnswerStream` with :func:`coze_stream.stream_chat`, which says ``Replace``.
    Raises :class:`coze_stream.CozeError` on any failure, after the text that came before it.
    """
    events = stream_chat(config, message, client=client, user_id=user_id, context=context)
    answer = AnswerStream(frame_seconds=0, split_blocks=False)
    try:
        for event in events:
            for change in answer.update((event,)):
                if isinstance(change, AppendText):
                    yield change.text
    finally:  # also when the caller stops early: the HTTP response is closed at once
        events.close()
    for change in answer.finish():
        if isinstance(change, AppendText):
            yield change.text

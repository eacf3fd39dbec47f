"""The answer's text as a page may show it: what ``st.write_stream`` or a terminal wants.

:func:`coze_stream.stream_text` is Coze's text as it came (the wire layer's rule,
:class:`coze_stream.AnswerText`). This one is the same text passed through
:class:`AnswerStream`'s guard, for a reader's browser: images only from ``image_hosts``, and at
most ``max_formulas`` formulas typeset.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from coze_stream import ContextMessage, CozeConfig, stream_chat

from ._guard import DEFAULT_IMAGE_HOSTS, MAX_FORMULAS
from ._model import AnswerStream, AppendText

if TYPE_CHECKING:  # the answer layer never uses httpx itself: it only passes a client along
    import httpx

__all__ = ["stream_text"]


def stream_text(
    config: CozeConfig,
    message: str,
    *,
    client: httpx.Client | None = None,
    user_id: str | None = None,
    context: Iterable[ContextMessage] = (),
    image_hosts: Iterable[str] = DEFAULT_IMAGE_HOSTS,
    max_formulas: int = MAX_FORMULAS,
) -> Iterator[str]:
    """Send ``message`` to the bot and yield the answer's text as it arrives, guarded for a
    browser: an image from a host not in ``image_hosts`` shows as a link, and formulas past
    ``max_formulas`` as TeX source.

    The text is :func:`coze_stream.stream_text`'s (messages joined by a blank line, Coze's
    completed text where it goes on past the deltas); when Coze's final text *differs* from
    what was yielded, that is left to a caller that can redraw: use :class:`AnswerStream`,
    which says ``Replace``. Raises :class:`coze_stream.CozeError` on any failure, after the text
    that came before it.
    """
    events = stream_chat(config, message, client=client, user_id=user_id, context=context)
    answer = AnswerStream(
        frame_seconds=0, split_blocks=False, image_hosts=image_hosts, max_formulas=max_formulas
    )
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

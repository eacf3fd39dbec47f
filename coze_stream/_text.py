"""An answer's text from Coze's events: the one rule for what the answer says.

- Answer messages are joined with a blank line, in the order their first text arrived; the blank
  line goes out with the next message's first text. A message that arrives whole (no deltas,
  only its ``completed`` event) is given whole.
- Coze's completed text of a message is authoritative: it replaces that message's deltas in
  :attr:`AnswerText.text`. An answer made of items (``object_string``) is written as Markdown
  (:func:`parts_markdown`).
- Once the answer is over, the completed text that goes on where the given text stopped is
  given too (:func:`text_after`); when it differs otherwise, text already given cannot be taken
  back, so a caller that can redraw shows :attr:`AnswerText.text` instead
  (:attr:`AnswerText.differs`).

Every other event (reasoning, follow-ups, the chat's start and end) adds no text.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ._client import stream_chat
from ._config import CozeConfig
from ._context import ContextMessage
from ._files import Attachment
from ._models import AnswerCompleted, AnswerDelta, ChatEvent, RichAnswerCompleted
from ._rich import parts_markdown

if TYPE_CHECKING:
    import httpx

__all__ = ["MESSAGE_SEPARATOR", "AnswerText", "stream_text", "text_after"]

MESSAGE_SEPARATOR = "\n\n"
"""What goes between two answer messages: a blank line, so each starts a paragraph."""


def text_after(final: str, given: str) -> str | None:
    """What of ``final`` goes on past ``given``: "" when they are equal, None when ``final``
    does not start with ``given`` (the text already given would have to change)."""
    return final[len(given) :] if final.startswith(given) else None


@dataclass(slots=True)
class _Message:
    streamed: list[str] = field(default_factory=list)
    completed: str | None = None

    @property
    def text(self) -> str:
        return self.completed if self.completed is not None else "".join(self.streamed)


class AnswerText:
    """One answer's text, assembled from its events as they come.

    :meth:`take` says what each event adds to the text given so far; :meth:`finish`, once the
    answer is over, what Coze's completed text adds after that. :attr:`text` is the
    authoritative answer; :attr:`differs` says it is not what was given.
    """

    def __init__(self) -> None:
        self._messages: dict[str, _Message] = {}
        self._current: str | None = None  # the message the last answer text belonged to
        self._given: list[str] = []
        self.message_id = ""
        """The id of the answer message that last had text: the one feedback is about."""

    @property
    def text(self) -> str:
        """Each message's completed text (else its deltas), joined by a blank line."""
        return MESSAGE_SEPARATOR.join(message.text for message in self._messages.values())

    @property
    def given(self) -> str:
        """Everything :meth:`take` and :meth:`finish` returned so far."""
        if len(self._given) > 1:  # joined when read: adding to one string would copy it each time
            self._given[:] = ["".join(self._given)]
        return self._given[0] if self._given else ""

    @property
    def differs(self) -> bool:
        """Coze's text does not go on from the text given: only a redraw can show it."""
        return text_after(self.text, self.given) is None

    def take(self, event: ChatEvent) -> str:
        """The text ``event`` adds to the answer ("" for none)."""
        if isinstance(event, AnswerDelta):
            self.message_id = event.message_id
            separator = self._start(event.message_id)
            self._messages[event.message_id].streamed.append(event.text)
            return self._give(separator + event.text)
        if isinstance(event, AnswerCompleted | RichAnswerCompleted):
            text = event.text if isinstance(event, AnswerCompleted) else parts_markdown(event.parts)
            self.message_id = event.message_id
            if event.message_id in self._messages:
                self._messages[event.message_id].completed = text
                return ""
            separator = self._start(event.message_id)  # a message that came whole
            self._messages[event.message_id].completed = text
            return self._give(separator + text)
        return ""

    def finish(self) -> str:
        """The answer is over: the rest of Coze's text, where it goes on past the text given
        ("" when there is none, or when it :attr:`differs`)."""
        return self._give(text_after(self.text, self.given) or "")

    def _start(self, message_id: str) -> str:
        """Make ``message_id`` the current message; the separator its text starts with."""
        separator = ""
        if message_id != self._current:
            if self._current is not None:
                separator = MESSAGE_SEPARATOR
            self._current = message_id
        self._messages.setdefault(message_id, _Message())
        return separator

    def _give(self, text: str) -> str:
        if text:
            self._given.append(text)
        return text


def stream_text(
    config: CozeConfig,
    message: str,
    *,
    client: httpx.Client | None = None,
    user_id: str | None = None,
    context: Iterable[ContextMessage] = (),
    attachments: Sequence[Attachment] = (),
) -> Generator[str, None, None]:
    """Send ``message`` to the bot and yield the answer's text as it arrives.

    ``context``: the earlier turns the bot should know, oldest first; ``attachments``: the
    files the message is about (see :func:`stream_chat`).

    Assembled by :class:`AnswerText`'s rule: answer messages joined by a blank line, a message
    that came whole yielded whole, and Coze's completed text used at the end. When that text
    goes on where the deltas stopped, the rest is yielded. Text already yielded cannot be taken
    back, so when Coze's text *differs* from it, that is left to a caller that can redraw: use
    :class:`AnswerText` (or :class:`coze_answer.AnswerStream`, which says ``Replace``) with
    :func:`stream_chat`. Closing the generator early closes the HTTP response at once.
    Raises :class:`CozeError` on any failure, after the text that came before it.

    The text is Coze's as it is: images and formulas are not guarded as
    :class:`coze_answer.AnswerStream` guards them for a browser.

    ``coze_answer.stream_text`` yields the same text guarded for a browser.
    """
    events = stream_chat(
        config, message, client=client, user_id=user_id, context=context, attachments=attachments
    )
    answer = AnswerText()
    try:
        for event in events:
            text = answer.take(event)
            if text:
                yield text
    finally:  # also when the caller stops early: the HTTP response is closed at once
        events.close()
    rest = answer.finish()
    if rest:
        yield rest

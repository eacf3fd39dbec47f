"""The earlier turns of a chat, sent along with a new message so the bot knows them.

Coze keeps no memory here: every message starts a new conversation with a fresh ``user_id``.
The earlier turns go in the request's ``additional_messages``, oldest first, before the new
question (Coze's docs and cozepy's ``Message.build_user_question_text`` /
``build_assistant_answer``): a user turn as ``{"role": "user", "type": "question", ...}``, a bot
turn as ``{"role": "assistant", "type": "answer", ...}``, both ``content_type: text``. A user turn
or question with files goes as ``object_string``, its files by id (``build_user_question_objects``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from ._files import Attachment, check_attachments, question_content

__all__ = ["MAX_CONTEXT_MESSAGES", "ContextMessage", "additional_messages"]

MAX_CONTEXT_MESSAGES: Final = 99
"""The most earlier messages one chat takes: Coze takes at most 100 ``additional_messages``,
and the new question is one of them."""

_TYPES: Final[dict[str, str]] = {"user": "question", "assistant": "answer"}


@dataclass(frozen=True, slots=True)
class ContextMessage:
    """One earlier turn: who said it (``"user"`` or ``"assistant"``), its text, and the files a
    user's turn came with (sent again by id: nothing is uploaded twice).

    Raises ``ValueError`` for another role, a text that is empty or only whitespace, or
    attachments on the assistant's turn, and ``TypeError`` for a text that is not a string or
    attachments that are not :class:`Attachment` objects.
    """

    role: Literal["user", "assistant"]
    text: str
    attachments: tuple[Attachment, ...] = ()

    def __post_init__(self) -> None:
        # Any sequence is taken and kept as a tuple, so the message stays hashable.
        object.__setattr__(self, "attachments", check_attachments(self.attachments))
        _check(self)


def _check(message: object) -> ContextMessage:
    """``message`` if it is a well-formed :class:`ContextMessage` (checked again when sent: a
    frozen dataclass can still be changed with ``object.__setattr__``)."""
    if not isinstance(message, ContextMessage):
        raise TypeError(
            f"context holds ContextMessage objects, not {type(message).__name__} objects"
        )
    if message.role not in _TYPES:
        raise ValueError("a context message's role is 'user' or 'assistant'")
    if not isinstance(message.text, str):
        raise TypeError("a context message's text is a string")
    if not message.text.strip():
        raise ValueError("a context message's text must not be empty")
    if check_attachments(message.attachments) and message.role != "user":
        raise ValueError("only a user's message may carry attachments")
    return message


def additional_messages(
    context: Iterable[ContextMessage],
    question: str,
    attachments: Sequence[Attachment] = (),
) -> list[dict[str, Any]]:
    """Coze's ``additional_messages``: ``context`` (oldest first), then ``question`` with its
    ``attachments``.

    Raises ``TypeError`` or ``ValueError`` for a malformed context (see :class:`ContextMessage`)
    or one of more than :data:`MAX_CONTEXT_MESSAGES` messages. ``context`` may be any iterable
    except a plain string (a common slip: it would be read as characters).
    """
    if isinstance(context, str | bytes):
        raise TypeError("context is a sequence of ContextMessage objects, not a string")
    earlier = [_check(message) for message in context]
    if len(earlier) > MAX_CONTEXT_MESSAGES:
        raise ValueError(
            f"context holds {len(earlier)} messages; Coze takes at most {MAX_CONTEXT_MESSAGES} "
            "besides the new one"
        )
    return [
        *(_message(m.role, m.text, m.attachments) for m in earlier),
        _message("user", question, attachments),
    ]


def _message(role: str, text: str, attachments: Sequence[Attachment] = ()) -> dict[str, Any]:
    content, content_type = question_content(text, attachments)
    return {"role": role, "type": _TYPES[role], "content": content, "content_type": content_type}

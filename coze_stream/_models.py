"""The typed events a Coze chat stream yields, one dataclass each (frozen but for the deltas)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AnswerCompleted",
    "AnswerDelta",
    "AnswerPart",
    "ChatCompleted",
    "ChatEvent",
    "ChatStarted",
    "FollowUp",
    "ReasoningDelta",
    "ReplyRequested",
    "RichAnswerCompleted",
    "Usage",
]


@dataclass(frozen=True, slots=True)
class ChatStarted:
    """Coze created the chat: its ids are what ``cancel_chat`` needs."""

    conversation_id: str
    chat_id: str


# The two delta events, one per delta, are the only ones not frozen: a frozen dataclass sets
# its fields through object.__setattr__ (or the slots' setters), which makes one cost about twice
# as much as a plain slotted instance (see bench/parse.py). They are read-only by convention, and
# hash and compare by value like the others.


@dataclass(slots=True, unsafe_hash=True)
class AnswerDelta:
    """A piece of the answer's text, as soon as it arrived."""

    text: str
    message_id: str


@dataclass(slots=True, unsafe_hash=True)
class ReasoningDelta:
    """A piece of a deep-thinking model's reasoning, sent before (or between) answer text."""

    text: str
    message_id: str


@dataclass(frozen=True, slots=True)
class AnswerCompleted:
    """One answer message is complete; ``text`` is Coze's authoritative full text."""

    text: str
    message_id: str


@dataclass(frozen=True, slots=True)
class AnswerPart:
    """One item of an answer made of items: its text, or an image or file at ``url``."""

    kind: str  # "text", "image" or "file"
    text: str = ""  # a text item's text
    url: str = ""  # an image's or file's address, as Coze gave it (any scheme)
    name: str = ""  # an image's or file's name, when Coze gave one


@dataclass(frozen=True, slots=True)
class RichAnswerCompleted:
    """An answer message of items (Coze's ``content_type: object_string``), complete.

    Coze's own web chat shows such an answer's text and images; ``parts`` keeps them in order.
    """

    parts: tuple[AnswerPart, ...]
    message_id: str


@dataclass(frozen=True, slots=True)
class ReplyRequested:
    """The bot asked the user something and waits for the reply: the chat ends here.

    Sent for ``conversation.chat.requires_action`` with ``reply_message`` tool calls, as a
    chatflow's Question or Input node makes; the question itself came as the answer before it.
    """

    usage: Usage | None


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A suggested next question."""

    text: str


@dataclass(frozen=True, slots=True)
class Usage:
    token_count: int
    input_count: int
    output_count: int


@dataclass(frozen=True, slots=True)
class ChatCompleted:
    """The chat is over; ``usage`` is None when Coze did not report it."""

    usage: Usage | None


ChatEvent = (
    ChatStarted
    | AnswerDelta
    | ReasoningDelta
    | AnswerCompleted
    | RichAnswerCompleted
    | FollowUp
    | ChatCompleted
    | ReplyRequested
)

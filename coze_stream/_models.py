"""The typed events a Coze chat stream yields, one frozen dataclass each."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AnswerCompleted",
    "AnswerDelta",
    "ChatCompleted",
    "ChatEvent",
    "ChatStarted",
    "FollowUp",
    "ReasoningDelta",
    "Usage",
]


@dataclass(frozen=True, slots=True)
class ChatStarted:
    """Coze created the chat: its ids are what ``cancel_chat`` needs."""

    conversation_id: str
    chat_id: str


@dataclass(frozen=True, slots=True)
class AnswerDelta:
    """A piece of the answer's text, as soon as it arrived."""

    text: str
    message_id: str


@dataclass(frozen=True, slots=True)
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


ChatEvent = ChatStarted | AnswerDelta | ReasoningDelta | AnswerCompleted | FollowUp | ChatCompleted

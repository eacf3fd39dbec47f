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


@dataclass(frozen=True, slots=True, init=False)
class AnswerDelta:
    """A piece of the answer's text, as soon as it arrived."""

    text: str
    message_id: str

    def __init__(self, text: str, message_id: str) -> None:
        # One of these per delta: setting the slots directly is twice as fast as the frozen
        # dataclass __init__ (object.__setattr__ per field), and the instance stays frozen.
        _set_answer_text(self, text)
        _set_answer_message_id(self, message_id)


@dataclass(frozen=True, slots=True, init=False)
class ReasoningDelta:
    """A piece of a deep-thinking model's reasoning, sent before (or between) answer text."""

    text: str
    message_id: str

    def __init__(self, text: str, message_id: str) -> None:
        _set_reasoning_text(self, text)
        _set_reasoning_message_id(self, message_id)


# The slots' own setters (member descriptors), which a frozen dataclass's __setattr__ bypasses.
_set_answer_text = AnswerDelta.__dict__["text"].__set__
_set_answer_message_id = AnswerDelta.__dict__["message_id"].__set__
_set_reasoning_text = ReasoningDelta.__dict__["text"].__set__
_set_reasoning_message_id = ReasoningDelta.__dict__["message_id"].__set__


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

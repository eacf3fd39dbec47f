"""The typed events a Coze chat stream yields, one frozen dataclass each."""

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

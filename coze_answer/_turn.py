"""One message of a chat as the page keeps it, and the words the page shows around answers.

Kept apart from the page so that the rules (what is sent, what a caption says, what is left of a
stopped answer) can be tested without Streamlit.
"""

from __future__ import annotations

import re
import time
import unicodedata
import uuid
from dataclasses import dataclass, field

from coze_stream import Usage, valid_text

from ._attached import Attached
from ._display import Cap
from ._guard import MAX_FORMULAS
from ._model import AnswerStream
from ._words import Words

__all__ = [
    "MAX_MESSAGE_CHARS",
    "Turn",
    "clean_message",
    "plain_markdown",
    "turn_notes",
]

# Longer messages are put back in the box with a note instead of being sent. Coze refuses what
# its model cannot take (code 4010), and that is shown.
MAX_MESSAGE_CHARS = 16000


@dataclass
class Turn:
    """One message in the history. Assistant turns keep whatever was shown, even when cut short.

    A turn keeps facts, not sentences (see :mod:`coze_answer._words`): it is drawn in the
    language chosen when it is drawn.
    """

    role: str
    # The text as shown: one Markdown element per frozen block, so that a replayed bubble has the
    # same elements as the streamed one and replaces it in place (no stale copies while the
    # next answer streams).
    blocks: list[str] = field(default_factory=list)
    question: str = ""  # an answer's question: what Retry and Regenerate send again
    # A question's files (on the question, and on its answer for Retry and Regenerate, which
    # send the same files again by their Coze ids: nothing is uploaded twice)
    files: tuple[Attached, ...] = ()
    at: float = field(default_factory=time.time)  # when it was sent or asked (Unix seconds)
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])  # the page's key for it
    reasoning: str = ""
    thought_seconds: float | None = None
    follow_ups: list[str] = field(default_factory=list)
    usage: Usage | None = None
    first_text_seconds: float | None = None
    total_seconds: float | None = None  # set once the answer is complete
    awaiting_reply: bool = False
    math_capped: bool = False
    display_caps: frozenset[Cap] = frozenset()  # what the page shows differently, to say so
    max_formulas: int = MAX_FORMULAS  # the cap it was shown with: drawn again the same
    no_text: bool = False  # the chat ended well but left nothing to read
    error: BaseException | None = None  # what ended it, when something went wrong
    refusal: object | None = None  # the page's fair share said no before asking Coze
    stopped: bool = False
    streaming: bool = False  # the answer is still coming: kept as far as it got
    conversation_id: str = ""  # Coze's ids, for feedback and the JSON export
    chat_id: str = ""
    message_id: str = ""
    feedback: str | None = None  # "like", "unlike" or None, as Coze has it
    feedback_problem: BaseException | None = None  # why the last rating did not reach Coze
    remembered: int = 0  # earlier messages sent along with the question

    @property
    def content(self) -> str:
        return "".join(self.blocks)

    @property
    def failed(self) -> bool:
        return self.error is not None or self.refusal is not None

    def keep(self, answer: AnswerStream) -> None:
        """Take what ``answer`` has shown so far (all of it once it is finished)."""
        self.blocks = list(answer.blocks)
        self.reasoning = answer.reasoning
        self.thought_seconds = answer.thought_seconds
        self.follow_ups = list(answer.follow_ups)
        self.usage = answer.usage
        self.first_text_seconds = answer.first_text_seconds
        self.total_seconds = answer.total_seconds
        self.awaiting_reply = answer.awaiting_reply
        self.math_capped = answer.math_capped
        self.display_caps = answer.display_caps
        self.max_formulas = answer.max_formulas
        self.no_text = answer.has_no_text
        self.conversation_id = answer.conversation_id or self.conversation_id
        self.chat_id = answer.chat_id or self.chat_id
        self.message_id = answer.message_id or self.message_id


def turn_notes(turn: Turn, said: Words) -> str:
    """The caption under a complete answer: notes first, then usage and timings ("" if none)."""
    if turn.total_seconds is None:
        return ""
    lines = []
    if turn.math_capped:
        lines.append(said.formulas_capped)
    lines += [said.display_note(cap) for cap in Cap if cap in turn.display_caps]
    if turn.awaiting_reply:
        lines.append(said.awaiting_reply)
    lines.append(said.usage_caption(turn.usage, turn.first_text_seconds, turn.total_seconds))
    return "  \n".join(lines)


_ASCII_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_SPACES = re.compile(" {2,}")


def plain_markdown(text: str) -> str:
    """Markdown that shows ``text`` literally: every ASCII punctuation mark escaped, line
    breaks and runs of spaces kept. For what people type (and follow-up labels): ``# title``,
    ``__init__`` or ``![x](url)`` stay as typed, and nothing in it becomes a link or an image."""
    lines = []
    for line in text.replace("\t", "    ").split("\n"):
        escaped = _ASCII_PUNCTUATION.sub(r"\\\1", line)
        body = escaped.lstrip(" ")
        # HTML folds a run of spaces into one: all but the first are kept as no-break spaces.
        body = _SPACES.sub(lambda run: " " + "\u00a0" * (len(run.group()) - 1), body)
        lines.append("\u00a0" * (len(escaped) - len(body)) + body)
    return "  \n".join(lines)


def clean_message(text: str | None) -> str:
    """The message to send: valid Unicode (a lone surrogate half is U+FFFD), control characters
    removed (newlines and tabs kept), trimmed."""
    if not text:
        return ""
    kept = (ch for ch in valid_text(text) if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    return "".join(kept).strip()

"""One message of a chat as the page keeps it, and the words the page shows around answers.

Kept apart from the page so that the rules (what is sent, what a caption says, what is left of a
stopped answer) can be tested without Streamlit.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from coze_stream import Usage

from ._model import AnswerStream, StatusKind

__all__ = [
    "AWAITING_REPLY_NOTE",
    "FORMULAS_CAPPED_NOTE",
    "MAX_MESSAGE_CHARS",
    "NO_TEXT_NOTICE",
    "STOPPED_CAPTION",
    "Turn",
    "clean_message",
    "plain_markdown",
    "status_caption",
    "thought_label",
    "too_long_warning",
    "usage_caption",
]

# Longer messages are put back in the box with a note instead of being sent. Coze refuses what
# its model cannot take (code 4010), and that is shown.
MAX_MESSAGE_CHARS = 16000
STOPPED_CAPTION = ":material/stop_circle: Stopped before the answer was complete."
AWAITING_REPLY_NOTE = ":material/forum: The bot asked a question and is waiting for your reply."
FORMULAS_CAPPED_NOTE = (
    ":material/functions: This answer has more formulas than the page typesets at once; the rest "
    "are shown as their TeX source."
)
NO_TEXT_NOTICE = (
    "The bot finished without any text this page can show: it may have answered with a card, "
    "an image or another kind of message that only Coze's own apps display."
)


@dataclass
class Turn:
    """One message in the history. Assistant turns keep whatever was shown, even when cut short."""

    role: str
    # The text as shown: one Markdown element per frozen block, so that a replayed bubble has the
    # same elements as the streamed one and replaces it in place (no stale copies while the
    # next answer streams).
    blocks: list[str] = field(default_factory=list)
    reasoning: str = ""
    thought_seconds: float | None = None
    caption: str = ""
    follow_ups: list[str] = field(default_factory=list)
    error: str = ""
    stopped: bool = False
    notice: str = ""  # the chat ended well but left nothing to read

    @property
    def content(self) -> str:
        return "".join(self.blocks)

    def keep(self, answer: AnswerStream) -> None:
        """Take what ``answer`` has shown so far (all of it once it is finished)."""
        self.blocks = list(answer.blocks)
        self.reasoning = answer.reasoning
        self.thought_seconds = answer.thought_seconds
        self.follow_ups = list(answer.follow_ups)
        if answer.total_seconds is not None:
            self.caption = usage_caption(
                answer.usage, answer.first_text_seconds, answer.total_seconds
            )
            if answer.awaiting_reply:
                self.caption = f"{AWAITING_REPLY_NOTE}  \n{self.caption}"
            if answer.math_capped:
                self.caption = f"{FORMULAS_CAPPED_NOTE}  \n{self.caption}"
        self.notice = NO_TEXT_NOTICE if answer.has_no_text else ""


_ASCII_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def plain_markdown(text: str) -> str:
    """Markdown that shows ``text`` literally: every ASCII punctuation mark escaped, line
    breaks and leading spaces kept. For what people type (and follow-up labels): ``# title``,
    ``__init__`` or ``![x](url)`` stay as typed, and nothing in it becomes a link or an image."""
    lines = []
    for line in text.replace("\t", "    ").split("\n"):
        escaped = _ASCII_PUNCTUATION.sub(r"\\\1", line)
        body = escaped.lstrip(" ")
        lines.append("\u00a0" * (len(escaped) - len(body)) + body)
    return "  \n".join(lines)


def clean_message(text: str | None) -> str:
    """The message to send: control characters removed (newlines and tabs kept), trimmed."""
    if not text:
        return ""
    kept = (ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    return "".join(kept).strip()


def thought_label(seconds: float) -> str:
    return f"Thought for {seconds:.1f} s" if seconds < 10 else f"Thought for {seconds:.0f} s"


def status_caption(kind: StatusKind, seconds: float) -> str:
    if kind is StatusKind.WORKING:
        return f":material/hourglass_top: The bot is working… {seconds:.0f} s"
    return f":material/hourglass_top: Still answering… {seconds:.0f} s"


def usage_caption(usage: Usage | None, first_text: float | None, total: float) -> str:
    parts = []
    if usage is not None:
        parts.append(
            f"{usage.token_count:,} tokens ({usage.input_count:,} in, {usage.output_count:,} out)"
        )
    if first_text is not None:
        parts.append(f"first text after {first_text:.1f} s")
    parts.append(f"total {total:.1f} s")
    return " · ".join(parts)


def too_long_warning(length: int) -> str:
    return (
        f"This message is {length:,} characters long; the bot takes at most "
        f"{MAX_MESSAGE_CHARS:,} at a time. Nothing was sent: it is back in the box, so you can "
        "shorten it and send it again."
    )

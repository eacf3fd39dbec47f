"""Which earlier turns of the page go along with a new message, so the bot remembers them.

The rule, in one place so that it can be tested without Streamlit:

- Only what the person saw as a conversation counts: their messages, and the bot's answers as
  they were shown (a stopped answer as far as it got). A failed answer (``error``, even with
  text before the failure), an answer that left nothing to read (``no_text``) and a turn without
  text are left out; the question before a failed answer stays (it was asked).
- The newest turns that fit both limits are taken, whole, and sent oldest first. A message is
  never cut: going back in time, the first one that does not fit ends the context, so it has
  no gaps. When even the newest one does not fit, no context is sent at all: the bot then
  answers the new message alone (as without memory), rather than the start of a text whose
  end it cannot see.
- Characters are counted as Python counts them (code points), the Markdown as shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from coze_stream import MAX_CONTEXT_MESSAGES, ContextMessage

from ._turn import Turn

__all__ = ["CONTEXT_CHARS", "CONTEXT_MESSAGES", "context_budget", "pick_context"]

CONTEXT_MESSAGES: Final = 20
"""The most earlier messages sent along by default (ten questions and their answers)."""
CONTEXT_CHARS: Final = 16_000
"""The most characters of earlier messages sent along by default (the new message, itself up
to ``MAX_MESSAGE_CHARS``, comes on top)."""


def _text_of(turn: Turn, files_only_text: str) -> str | None:
    """The turn's text as the bot should remember it, or None when it is left out. A question
    of files alone is remembered with ``files_only_text`` (Coze wants a text beside files)."""
    if turn.role not in ("user", "assistant") or turn.failed or turn.no_text:
        return None
    text = turn.content
    if not text.strip() and turn.role == "user" and turn.files:
        text = files_only_text
    return text if text.strip() else None


def pick_context(
    turns: Iterable[Turn],
    *,
    max_messages: int = CONTEXT_MESSAGES,
    max_chars: int = CONTEXT_CHARS,
    files_only_text: str = "",
) -> list[ContextMessage]:
    """The earlier turns to send with a new message, oldest first (see the module's rule).

    ``turns`` is the page's history before the new message, oldest first. At most
    ``max_messages`` messages (and never more than Coze takes, ``MAX_CONTEXT_MESSAGES``) of at
    most ``max_chars`` characters together. A question's files go along with it, by their Coze
    ids; ``files_only_text`` stands for the text of a question of files alone. Raises
    ``ValueError`` for a negative limit.
    """
    if max_messages < 0 or max_chars < 0:
        raise ValueError("max_messages and max_chars must not be negative")
    limit = min(max_messages, MAX_CONTEXT_MESSAGES)
    kept: list[ContextMessage] = []
    used = 0
    for turn in reversed(list(turns)):
        if len(kept) >= limit:
            break
        text = _text_of(turn, files_only_text)
        if text is None:
            continue
        if used + len(text) > max_chars:
            break
        used += len(text)
        if turn.role == "user":
            files = tuple(attached.file for attached in turn.files)
            kept.append(ContextMessage("user", text, attachments=files))
        else:
            kept.append(ContextMessage("assistant", text))
    kept.reverse()
    return kept


_OFF = ("off", "no", "false", "0", "none")


def context_budget(setting: str | None) -> tuple[int, int] | None:
    """The memory budget a ``COZE_CONTEXT`` setting asks for, as (messages, characters), or
    None when memory is off.

    ``""`` or ``on``: the defaults. ``off`` (or ``0``, ``no``, ``false``): no memory. A number:
    that many messages (``1`` is one message, not "on"). Two numbers, ``messages,characters``
    (``10,8000``): both. A malformed value raises ``ValueError`` with a sentence naming the setting.
    """
    value = (setting or "").strip().lower()
    if value in ("", "on", "yes", "true"):
        return CONTEXT_MESSAGES, CONTEXT_CHARS
    if value in _OFF:
        return None
    parts = [part.strip() for part in value.replace(";", ",").split(",")]
    if len(parts) <= 2 and all(part.isdigit() for part in parts):
        messages = min(int(parts[0]), MAX_CONTEXT_MESSAGES)
        chars = int(parts[1]) if len(parts) == 2 else CONTEXT_CHARS
        return (messages, chars) if messages and chars else None
    raise ValueError(
        f"COZE_CONTEXT must be on, off, a number of messages or messages,characters "
        f"(such as 10,8000), not {value!r}"
    )

"""A chat as a file to keep: Markdown to read, JSON with Coze's ids, usage and timings.

Both are made from the page's turns alone (nothing is stored on the server), when the person
asks for the download.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime, tzinfo
from typing import Any

from coze_stream import CozeError

from ._trouble import explain
from ._turn import Turn, plain_markdown
from ._words import Words

__all__ = ["chat_json", "chat_markdown", "local_time"]


def local_time(at: float, zone: tzinfo | None = None) -> datetime:
    """``at`` (Unix seconds) in ``zone`` (UTC when unknown), to the second."""
    return datetime.fromtimestamp(at, zone or UTC).replace(microsecond=0)


def chat_markdown(
    turns: Sequence[Turn], said: Words, zone: tzinfo | None = None, *, now: float | None = None
) -> str:
    """The chat as a Markdown document in ``said``'s language: who wrote, when, and what.

    A person's words are escaped so that they read as typed (a ``# title`` they wrote stays
    text); an answer is its Markdown as shown, followed by what ended it when it did not end
    well. Messages are set apart by rules, so an answer's own headings stay its own.
    """
    exported = local_time(time.time() if now is None else now, zone).strftime("%Y-%m-%d %H:%M")
    lines = [f"# {said.title}", "", f"*{said.exported_at.format(time=exported)}*", ""]
    for turn in turns:
        when = local_time(turn.at, zone).strftime("%Y-%m-%d %H:%M")
        who = said.you if turn.role == "user" else said.bot_name
        lines += ["---", "", f"**{who}** · {when}", ""]
        if turn.role == "user":
            lines += [plain_markdown(turn.content), ""]
            continue
        if turn.content.strip():
            lines += [turn.content.strip("\n"), ""]
        ending = _ending(turn, said)
        if ending:
            lines += [f"*{ending}*", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def chat_json(turns: Sequence[Turn]) -> str:
    """The chat as JSON: every message with its text, times, Coze's ids, usage and failure."""
    return json.dumps(
        {"format": "coze-stream-chat/1", "messages": [_turn_record(turn) for turn in turns]},
        ensure_ascii=False,
        indent=2,
    )


def _turn_record(turn: Turn) -> dict[str, Any]:
    record: dict[str, Any] = {
        "role": turn.role,
        "text": turn.content,
        "at": local_time(turn.at).isoformat(),
    }
    if turn.role != "assistant":
        return record
    record |= {
        "question": turn.question,
        "conversation_id": turn.conversation_id or None,
        "chat_id": turn.chat_id or None,
        "message_id": turn.message_id or None,
        "usage": asdict(turn.usage) if turn.usage is not None else None,
        "first_text_seconds": _rounded(turn.first_text_seconds),
        "total_seconds": _rounded(turn.total_seconds),
        "thought_seconds": _rounded(turn.thought_seconds),
        "reasoning": turn.reasoning or None,
        "follow_ups": list(turn.follow_ups),
        "stopped": turn.stopped,
        "feedback": turn.feedback,
        "remembered_messages": turn.remembered,
        "error": _error_record(turn.error) if turn.error is not None else None,
    }
    return record


def _error_record(error: BaseException) -> dict[str, Any]:
    if not isinstance(error, CozeError):
        return {"kind": type(error).__name__}  # its message may carry anything: not kept
    return {
        "kind": type(error).__name__,
        "code": error.code,
        "message": error.coze_message,
        "log_id": error.logid,
        "http_status": error.http_status,
        "sentence": error.sentence,
    }


def _ending(turn: Turn, said: Words) -> str:
    """What ended an answer that did not end well, as the page said it (Markdown-safe)."""
    if turn.error is not None:
        trouble = explain(turn.error, said.code)
        # Only the values came from Coze (anything): they are escaped, the page's words are not.
        facts = "; ".join(f"{label}: {plain_markdown(value)}" for label, value in trouble.facts)
        return f"{trouble.headline} ({facts})" if facts else trouble.headline
    if turn.refusal is not None:
        return said.not_sent
    if turn.stopped:
        return _without_icon(said.stopped)
    return ""


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 3)


def _without_icon(text: str) -> str:
    """A caption without its leading ``:material/...:`` icon (meaningless in a file)."""
    return text.split(": ", 1)[1] if text.startswith(":material/") else text

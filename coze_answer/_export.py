"""A chat as a file to keep: Markdown to read, JSON with Coze's ids, usage and timings.

Both are made from the page's turns alone (nothing is stored on the server), when the person
asks for the download.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timezone, tzinfo
from typing import Any

from coze_stream import CozeError

from ._turn import Turn
from ._words import Words

__all__ = ["chat_json", "chat_markdown", "local_time"]


def local_time(at: float, zone: tzinfo | None = None) -> datetime:
    """``at`` (Unix seconds) in ``zone`` (UTC when unknown), to the second."""
    return datetime.fromtimestamp(at, zone or timezone.utc).replace(microsecond=0)


def chat_markdown(turns: Sequence[Turn], said: Words, zone: tzinfo | None = None) -> str:
    """The chat as a Markdown document: a heading per message with its time, then its text.

    A person's message is quoted as typed; an answer is its Markdown as shown, followed by what
    ended it when it did not end well (in ``said``'s language).
    """
    lines = [f"# {said.title}", ""]
    for turn in turns:
        when = local_time(turn.at, zone).strftime("%Y-%m-%d %H:%M")
        if turn.role == "user":
            lines += [f"## {said.you} · {when}", ""]
            # Quoted, so that a "# title" someone typed stays their text, not the file's heading.
            lines += [f"> {line}" if line else ">" for line in turn.content.split("\n")]
            lines.append("")
            continue
        lines += [f"## {said.bot_name} · {when}", ""]
        if turn.content.strip():
            lines += [turn.content.strip("\n"), ""]
        if turn.error is not None:
            lines += [f"*{_error_line(turn.error)}*", ""]
        elif turn.stopped:
            lines += [f"*{_without_icon(said.stopped)}*", ""]
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


def _error_line(error: BaseException) -> str:
    return str(error) if isinstance(error, CozeError) else type(error).__name__


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 3)


def _without_icon(text: str) -> str:
    """A caption without its leading ``:material/...:`` icon (meaningless in a file)."""
    return text.split(": ", 1)[1] if text.startswith(":material/") else text

"""A chat as a file to keep: Markdown to read, JSON with Coze's ids, usage and timings.

Both are made from the page's turns alone (nothing is stored on the server), when the person
asks for the download.

In the Markdown file each message stands alone, as on the page, whatever the bot wrote: an
answer is a block quote (a container no line inside it can leave, so an answer can neither fake
a speaker's line nor spill into the next message), a code fence it left open is closed, its raw
HTML shows as text (as the page shows it), and control characters are dropped.
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime, tzinfo
from typing import Any

from coze_stream import CozeError, valid_text

from ._attached import Attached, file_size
from ._blocks import _fence as fence_of
from ._trouble import explain
from ._turn import Turn, plain_markdown
from ._words import Words

__all__ = ["answer_markdown", "chat_json", "chat_markdown", "local_time", "printable"]


def local_time(at: float, zone: tzinfo | None = None) -> datetime:
    """``at`` (Unix seconds) in ``zone`` (UTC when unknown), to the second."""
    return datetime.fromtimestamp(at, zone or UTC).replace(microsecond=0)


def chat_markdown(
    turns: Sequence[Turn], said: Words, zone: tzinfo | None = None, *, now: float | None = None
) -> str:
    """The chat as a Markdown document in ``said``'s language: who wrote, when, and what.

    A person's words are escaped so that they read as typed (a ``# title`` they wrote stays
    text); an answer is its Markdown as shown, in a block quote (see :func:`answer_markdown`),
    followed by what ended it when it did not end well, or that it was still being written.
    Messages are set apart by rules, so an answer's own headings stay its own.
    """
    exported = local_time(time.time() if now is None else now, zone).strftime("%Y-%m-%d %H:%M")
    lines = [f"# {said.title}", "", f"*{said.exported_at.format(time=exported)}*", ""]
    for turn in turns:
        when = local_time(turn.at, zone).strftime("%Y-%m-%d %H:%M")
        who = said.you if turn.role == "user" else said.bot_name
        lines += ["---", "", f"**{who}** · {when}", ""]
        if turn.role == "user":
            if turn.content.strip():
                lines += [plain_markdown(printable(turn.content)), ""]
            lines += [f"- 📎 {_file_line(attached)}" for attached in turn.files]
            lines += [""] if turn.files else []
            continue
        quoted = answer_markdown(turn.content)
        if quoted:
            lines += [quoted, ""]
        ending = _ending(turn, said)
        if ending:
            lines += [f"*{ending}*", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


_LINE_BREAKS = re.compile("\r\n?")


def printable(text: str) -> str:
    """``text`` as valid Unicode without control characters (NUL, escape...): line breaks
    (``\r\n`` and ``\r`` as ``\n``) and tabs stay."""
    text = valid_text(_LINE_BREAKS.sub("\n", text))
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")


# Lines indented this far are code, or belong to the list item or block above them.
_INDENTED = re.compile(" {4}")
_BACKTICKS = re.compile(r"`+")
_LIST_ITEM = re.compile(r" {0,3}(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)")


def answer_markdown(text: str) -> str:
    """An answer's Markdown as one block quote that shows what the page showed, and ends.

    Raw HTML shows as text on the page (Streamlit renders no HTML from an answer): here each
    ``<`` outside code is escaped, so no tag, comment or ``<style>`` takes effect and none can
    hide the rest of the file. ``&`` stays as it is: an entity (``&lt;``) reads the same on the
    page and in the file. A code fence left open (an answer stopped inside a code block) is
    closed with its own fence. Every line, blank ones too, starts with ``>``: nothing in the
    answer can end the quote, so a line that looks like "**You** · 12:00" stays inside it.
    "" when nothing in ``text`` shows.
    """
    text = printable(text).strip("\n")
    if not text.strip():
        return ""
    out: list[str] = []
    open_fence: str | None = None
    indented_code = False  # inside an indented code block
    after_blank = True  # the line before was blank (or this is the first)
    in_list = False  # the block above holds a list: an indented line continues it
    spans = True  # code spans can be told on this line (no backticks left open above it)
    for line in text.split("\n"):
        if open_fence is not None:
            closing = fence_of(line)
            if (
                closing is not None
                and closing[0] == open_fence[0]
                and len(closing) >= len(open_fence)
                and not line.strip().lstrip(closing[0])
            ):
                open_fence = None
            out.append(line)
            continue
        # Tabs in the indentation as spaces: after the quote's "> " a tab would reach a
        # different column, and make a code line a paragraph or an HTML block.
        body = line.lstrip(" \t")
        line = line[: len(line) - len(body)].expandtabs(4) + body
        if not line.strip():
            after_blank = spans = True
            out.append(line)
            continue
        if _INDENTED.match(line) and (indented_code or (after_blank and not in_list)):
            indented_code = True
            after_blank = False
            out.append(line)
            continue
        indented_code = False
        if not _INDENTED.match(line):
            in_list = _LIST_ITEM.match(line) is not None or (in_list and not after_blank)
        after_blank = False
        open_fence = fence_of(line)
        if open_fence is not None:
            spans = True
            out.append(line)
            continue
        escaped, left_open = _html_as_text(line, spans=spans)
        spans = spans and not left_open
        out.append(escaped)
    if open_fence is not None:
        out.append(open_fence)
    return "\n".join(">" if not line else "> " + line for line in out)


def _html_as_text(line: str, *, spans: bool) -> tuple[str, bool]:
    """``line`` with every ``<`` outside a code span escaped (a tag shows as text), and whether
    it leaves a run of backticks unmatched.

    Code spans are found on this line only; ``spans`` False (a run before it in its paragraph
    was left unmatched, so a span may have begun there) escapes every ``<``: a span's ``\\<``
    shows a backslash, but no HTML gets through.
    """
    if not spans:
        return _escape_lt(line), "`" in line
    pieces = []
    position = 0
    while True:
        run = _BACKTICKS.search(line, position)
        if run is None:
            break
        start = run.start()
        if _odd_backslashes_before(line, start):  # "\`": its first backtick is text
            start += 1
            if start == run.end():
                pieces.append(_escape_lt(line[position : run.end()]))
                position = run.end()
                continue
        ticks = run.end() - start
        closing = re.compile(rf"(?<!`)`{{{ticks}}}(?!`)").search(line, run.end())
        if closing is None:  # literal backticks, unless the span goes on past this line
            pieces.append(_escape_lt(line[position:]))
            return "".join(pieces), True
        pieces.append(_escape_lt(line[position:start]))
        pieces.append(line[start : closing.end()])
        position = closing.end()
    pieces.append(_escape_lt(line[position:]))
    return "".join(pieces), False


# A "<" not already escaped: after an even run of backslashes (none included).
_LT = re.compile(r"(?<!\\)((?:\\\\)*)<")


def _escape_lt(text: str) -> str:
    return _LT.sub(r"\1\\<", text)


def _odd_backslashes_before(text: str, index: int) -> bool:
    count = 0
    while index - count > 0 and text[index - count - 1] == "\\":
        count += 1
    return count % 2 == 1


def _file_line(attached: Attached) -> str:
    """A sent file in the Markdown file: its name as typed (escaped), and its size."""
    return f"{plain_markdown(printable(attached.file.name))} ({file_size(attached.file.size)})"


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
    if turn.files and turn.role == "user":
        record["files"] = [
            {
                "file_id": a.file.file_id,
                "name": a.file.name,
                "kind": a.file.kind,
                "bytes": a.file.size,
            }
            for a in turn.files
        ]
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
        facts = "; ".join(
            f"{label}: {plain_markdown(printable(value))}" for label, value in trouble.facts
        )
        return f"{trouble.headline} ({facts})" if facts else trouble.headline
    if turn.refusal is not None:
        return said.not_sent
    if turn.stopped:
        return _without_icon(said.stopped)
    if turn.streaming:
        return said.export_unfinished
    return ""


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 3)


def _without_icon(text: str) -> str:
    """A caption without its leading ``:material/...:`` icon (meaningless in a file)."""
    return text.split(": ", 1)[1] if text.startswith(":material/") else text

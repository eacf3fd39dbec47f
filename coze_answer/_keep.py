"""A chat as it is kept in the visitor's browser, and the strict reading of what comes back.

The page keeps each chat in the browser's ``localStorage`` (see :mod:`chat_page.keep`), never on
the server. What the browser hands back is input from a stranger: anyone using the browser, or a
script on another page of the same origin, may have written it. So :func:`read_chat` checks it
as strictly as Coze's own replies:

- at most :data:`MAX_STORED_CHARS` characters of JSON are read at all, and only version
  :data:`KEEP_VERSION`;
- every field has its type and a size cap (:data:`MAX_TURNS` turns, :data:`MAX_TEXT_CHARS` per
  text); a turn that does not pass is left out, the rest of the chat stays;
- every text is valid Unicode without invisible control characters (newlines and tabs stay);
- ids are short runs of letters and digits: what Coze's feedback API needs, and nothing else.

Nothing of the owner's is written: no token, no log id, no Coze message; a failure is kept as its
kind and Coze's code, and explained again when drawn. The Markdown of an answer is guarded again
when it is drawn (:func:`chat_page.keep`), as an answer from Coze is.
"""

from __future__ import annotations

import base64
import json
import math
import re
import uuid
from dataclasses import dataclass
from typing import Any, Final

from coze_stream import (
    Attachment,
    CozeAPIError,
    CozeAuthError,
    CozeBotError,
    CozeConfigError,
    CozeConnectionError,
    CozeError,
    CozeRateLimitError,
    CozeStreamError,
    CozeTimeoutError,
    Usage,
    valid_text,
)

from ._attached import MAX_THUMBNAIL_BYTES, Attached, stored_thumbnail
from ._display import Cap
from ._guard import MAX_FORMULAS
from ._turn import Turn

__all__ = [
    "KEEP_VERSION",
    "MAX_STORED_CHARS",
    "MAX_TEXT_CHARS",
    "MAX_TURNS",
    "KeptChat",
    "KeptFailure",
    "KeptRefusal",
    "chat_title",
    "new_chat_id",
    "read_chat",
    "turn_record",
]

KEEP_VERSION: Final = 1
MAX_STORED_CHARS: Final = 2_000_000
"""The most characters of one stored chat read back; a longer one is not read at all (the
browser's whole store is kept under this too, see :mod:`chat_page.keep`)."""
MAX_TURNS: Final = 400
"""The most turns of one chat read back (200 questions and answers); the newest are kept."""
MAX_TEXT_CHARS: Final = 100_000
"""The most characters of one text (a question, an answer's blocks together, its reasoning)."""
MAX_BLOCKS: Final = 2_000
MAX_FOLLOW_UPS: Final = 10
MAX_FOLLOW_UP_CHARS: Final = 500
MAX_TITLE_CHARS: Final = 60
MAX_FILES: Final = 20
MAX_FILE_NAME_CHARS: Final = 255
_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")
_FILE_ID = re.compile(r"[0-9A-Za-z_.:-]{1,128}")
_CHAT_ID = re.compile(r"[0-9a-f]{8,32}")
# Bidirectional embeddings, overrides and isolates: invisible, and they reorder what is shown.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Control characters (Unicode's category Cc) but newline and tab, and the bidirectional ones.
_DROPPED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f" + "".join(sorted(_BIDI)) + "]")
_MAX_SECONDS = 10 * 365 * 86400.0  # a duration longer than this is not one the page measured
_LATEST_AT = 4_102_444_800.0  # 2100-01-01: a later time stamp is not one the page wrote

# A failure's kind, as kept, and the class it is explained as again.
_FAILURES: Final[dict[str, type[CozeError]]] = {
    "config": CozeConfigError,
    "auth": CozeAuthError,
    "bot": CozeBotError,
    "rate": CozeRateLimitError,
    "timeout": CozeTimeoutError,
    "connection": CozeConnectionError,
    "stream": CozeStreamError,
    "api": CozeAPIError,
    "coze": CozeError,
}
_REFUSALS = ("busy", "rate", "streaming")


class KeptFailure(Exception):
    """A failure of this app (not Coze's) in a chat read back: only that it happened is kept."""


@dataclass(frozen=True)
class KeptRefusal:
    """The page's fair share said no, in a chat read back (the page draws it as a refusal)."""

    reason: str
    retry_after: float


@dataclass
class KeptChat:
    """A chat read back from the browser: its id, whether it was a demo chat, its turns, and how
    many stored turns did not pass the checks (left out)."""

    id: str
    demo: bool
    turns: list[Turn]
    dropped: int = 0


def new_chat_id() -> str:
    """A fresh id for a chat in the browser's store."""
    return uuid.uuid4().hex[:16]


def clean_text(value: object, limit: int) -> str | None:
    """``value`` as a kept text: valid Unicode, no control characters but newlines and tabs, no
    bidirectional controls, at most ``limit`` characters; None when it is not a string or is
    longer."""
    if not isinstance(value, str) or len(value) > limit:
        return None
    text = valid_text(value)
    if text.isprintable():
        return text
    return _DROPPED.sub("", text)


def chat_title(turns: list[Turn]) -> str:
    """What the list of past chats shows for a chat: its first question, on one line, shortened."""
    first = next((_question_line(turn) for turn in turns if turn.role == "user"), "")
    line = " ".join(first.split())
    return line if len(line) <= MAX_TITLE_CHARS else line[: MAX_TITLE_CHARS - 1] + "…"


def _question_line(turn: Turn) -> str:
    """A question's words, or for files alone their names."""
    if turn.content.strip() or not turn.files:
        return turn.content
    return "📎 " + ", ".join(attached.file.name for attached in turn.files)


def _failure_record(error: BaseException) -> dict[str, Any]:
    if not isinstance(error, CozeError):
        return {"kind": "app"}
    kind = next(
        (name for name, cls in _FAILURES.items() if type(error) is cls),
        "coze",
    )
    record: dict[str, Any] = {"kind": kind}
    if error.code is not None:
        record["code"] = error.code
    if error.http_status is not None:
        record["status"] = error.http_status
    return record


def turn_record(turn: Turn) -> dict[str, Any]:
    """``turn`` as kept in the browser (JSON-ready): what it showed and Coze's ids for feedback;
    never a log id, a Coze message or anything of the owner's. A turn still streaming is kept
    as stopped where it got to."""
    record: dict[str, Any] = {"role": turn.role, "id": turn.id, "at": turn.at}
    if turn.files:
        # An answer keeps its question's files for Retry: their pictures are the question's.
        pictures = turn.role == "user"
        record["files"] = [_file_record(attached, pictures) for attached in turn.files]
    if turn.role == "user":
        record["text"] = turn.content
        return record
    record["blocks"] = [block for block in turn.blocks if block]
    optional: dict[str, Any] = {
        "question": turn.question,
        "reasoning": turn.reasoning,
        "thought_seconds": turn.thought_seconds,
        "follow_ups": list(turn.follow_ups),
        "first_text_seconds": turn.first_text_seconds,
        "total_seconds": turn.total_seconds,
        "awaiting_reply": turn.awaiting_reply,
        "math_capped": turn.math_capped,
        "display_caps": sorted(cap.value for cap in turn.display_caps),
        "no_text": turn.no_text,
        "stopped": turn.stopped or turn.streaming,
        "conversation_id": turn.conversation_id,
        "chat_id": turn.chat_id,
        "message_id": turn.message_id,
        "feedback": turn.feedback,
        "remembered": turn.remembered,
    }
    record.update({name: value for name, value in optional.items() if value})
    if turn.max_formulas != MAX_FORMULAS:
        record["max_formulas"] = turn.max_formulas
    if turn.usage is not None:
        usage = turn.usage
        record["usage"] = [usage.token_count, usage.input_count, usage.output_count]
    if turn.error is not None:
        record["failure"] = _failure_record(turn.error)
    elif turn.refusal is not None:
        reason = getattr(turn.refusal, "reason", "")
        retry_after = getattr(turn.refusal, "retry_after", 0.0)
        if reason in _REFUSALS and isinstance(retry_after, int | float):
            record["refusal"] = {"reason": reason, "retry_after": float(retry_after)}
    return record


def _file_record(attached: Attached, picture: bool) -> dict[str, Any]:
    """A sent file as kept: Coze's id, name, kind, size and the small picture, never the file."""
    file = attached.file
    record: dict[str, Any] = {"id": file.file_id, "name": file.name, "kind": file.kind}
    record["size"] = file.size
    if picture and attached.thumbnail:
        record["thumb"] = base64.b64encode(attached.thumbnail).decode("ascii")
    return record


def _read_files(value: object) -> tuple[Attached, ...] | None:
    """A turn's kept files, checked (None when malformed). A picture that is not a small JPEG
    is dropped, the file stays."""
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_FILES:
        return None
    files: list[Attached] = []
    for record in value:
        if not isinstance(record, dict):
            return None
        name = clean_text(record.get("name"), MAX_FILE_NAME_CHARS)
        size = _count(record.get("size"), 10**12)
        file_id, kind = record.get("id"), record.get("kind")
        if not name or size is None or not isinstance(file_id, str):
            return None
        if not _FILE_ID.fullmatch(file_id) or kind not in ("image", "file"):
            return None
        files.append(Attached(Attachment(file_id, name, kind, size), _picture(record.get("thumb"))))
    return tuple(files)


def _picture(value: object) -> bytes:
    """A kept picture, when it is one the page could have made (see stored_thumbnail)."""
    if not isinstance(value, str) or len(value) > MAX_THUMBNAIL_BYTES * 4 // 3 + 4:
        return b""
    try:
        data = base64.b64decode(value, validate=True)
    except ValueError:
        return b""
    return stored_thumbnail(data)


def read_chat(raw: object) -> KeptChat | None:
    """The chat in ``raw`` (the stored JSON text, as the browser gave it), checked; None when
    it is not a chat this page wrote (wrong type, malformed, too long, another version). Never
    raises."""
    if not isinstance(raw, str) or len(raw) > MAX_STORED_CHARS:
        return None
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("v") != KEEP_VERSION:
        return None
    chat_id = data.get("id")
    turns = data.get("turns")
    if not isinstance(chat_id, str) or not _CHAT_ID.fullmatch(chat_id):
        return None
    if not isinstance(turns, list):
        return None
    kept: list[Turn] = []
    dropped = max(0, len(turns) - MAX_TURNS)
    for record in turns[-MAX_TURNS:]:
        turn = _read_turn(record)
        if turn is None:
            dropped += 1
        else:
            kept.append(turn)
    return KeptChat(id=chat_id, demo=data.get("demo") is True, turns=kept, dropped=dropped)


def _number(value: object, low: float, high: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) and low <= number <= high else None


def _count(value: object, high: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
        return None
    return value


def _identifier(value: object) -> str:
    return value if isinstance(value, str) and _ID.fullmatch(value) else ""


def _read_turn(record: object) -> Turn | None:
    """One stored turn, checked; None when it does not pass."""
    if not isinstance(record, dict):
        return None
    role = record.get("role")
    at = _number(record.get("at"), 0.0, _LATEST_AT)
    if role not in ("user", "assistant") or at is None:
        return None
    turn = Turn(role, at=at)
    turn.id = _identifier(record.get("id"))[:32] or turn.id
    files = _read_files(record.get("files"))
    if files is None:
        return None
    turn.files = files
    if role == "user":
        text = clean_text(record.get("text"), MAX_TEXT_CHARS)
        if text is None or not (text.strip() or files):
            return None
        turn.blocks = [text]
        return turn
    return turn if _read_answer(turn, record) else None


def _read_answer(turn: Turn, record: dict[str, Any]) -> bool:
    blocks = record.get("blocks", [])
    if not isinstance(blocks, list) or len(blocks) > MAX_BLOCKS:
        return False
    texts = [clean_text(block, MAX_TEXT_CHARS) for block in blocks]
    if any(text is None for text in texts) or sum(map(len, blocks)) > MAX_TEXT_CHARS:
        return False
    turn.blocks = [text for text in texts if text]
    for name in ("question", "reasoning"):
        text = clean_text(record.get(name, ""), MAX_TEXT_CHARS)
        if text is None:
            return False
        setattr(turn, name, text)
    follow_ups = record.get("follow_ups", [])
    if not isinstance(follow_ups, list) or len(follow_ups) > MAX_FOLLOW_UPS:
        return False
    questions = [clean_text(item, MAX_FOLLOW_UP_CHARS) for item in follow_ups]
    turn.follow_ups = [item for item in questions if item and item.strip()]
    for name in ("thought_seconds", "first_text_seconds", "total_seconds"):
        if name in record:
            seconds = _number(record[name], 0.0, _MAX_SECONDS)
            if seconds is None:
                return False
            setattr(turn, name, seconds)
    for name in ("awaiting_reply", "math_capped", "no_text", "stopped"):
        value = record.get(name, False)
        if not isinstance(value, bool):
            return False
        setattr(turn, name, value)
    for name in ("conversation_id", "chat_id", "message_id"):
        setattr(turn, name, _identifier(record.get(name)))
    feedback = record.get("feedback")
    turn.feedback = feedback if feedback in ("like", "unlike") else None
    turn.remembered = _count(record.get("remembered", 0), 1_000) or 0
    formulas = _count(record.get("max_formulas", MAX_FORMULAS), 1_000_000)
    turn.max_formulas = MAX_FORMULAS if formulas is None else formulas
    caps = record.get("display_caps", [])
    known = {cap.value: cap for cap in Cap}
    if not isinstance(caps, list) or len(caps) > len(known):
        return False
    turn.display_caps = frozenset(
        known[cap] for cap in caps if isinstance(cap, str) and cap in known
    )
    usage = record.get("usage")
    if usage is not None:
        counts = [_count(n, 10**9) for n in usage] if isinstance(usage, list) else []
        if len(counts) != 3 or any(n is None for n in counts):
            return False
        turn.usage = Usage(*(n or 0 for n in counts))
    return _read_ending(turn, record)


def _read_ending(turn: Turn, record: dict[str, Any]) -> bool:
    """How the answer ended, when it failed or was refused."""
    failure = record.get("failure")
    refusal = record.get("refusal")
    if isinstance(failure, dict):
        kind = failure.get("kind")
        code = failure.get("code")
        status = failure.get("status")
        code = code if _count(code, 10**9) is not None else None
        status = status if _count(status, 999) is not None else None
        if kind == "app":
            turn.error = KeptFailure()
        elif isinstance(kind, str) and kind in _FAILURES:
            turn.error = _FAILURES[kind]("", code=code, http_status=status)
        else:
            return False
    elif failure is not None:
        return False
    elif isinstance(refusal, dict):
        reason = refusal.get("reason")
        retry_after = _number(refusal.get("retry_after", 0.0), 0.0, 86_400.0)
        if reason not in _REFUSALS or retry_after is None:
            return False
        turn.refusal = KeptRefusal(str(reason), retry_after)
    elif refusal is not None:
        return False
    if turn.total_seconds is None and not turn.failed:
        turn.stopped = True  # it never finished: drawn as stopped where it got to
    return True

"""Coze's wire formats: compact JSON, log ids and the chat object, as Coze sends them."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

# A client that goes away shows up as one of these when the server writes to its socket.
DISCONNECT_ERRORS = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)


def dumps(obj: Any) -> str:
    """JSON as Coze sends it: no spaces, non-ASCII characters raw."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def new_logid() -> str:
    """A value for the ``X-Tt-Logid`` header: a timestamp and 20 upper-case hex digits."""
    return time.strftime("%Y%m%d%H%M%S") + uuid.uuid4().hex[:20].upper()


def chat_object(
    bot_id: str,
    chat_id: str,
    conversation_id: str,
    status: str,
    *,
    created_at: int,
    completed_at: int = 0,
    failed_at: int = 0,
    last_error: dict[str, Any] | None = None,
    usage: dict[str, int] | None = None,
) -> dict[str, Any]:
    """The chat object of the ``conversation.chat.*`` events and of a cancel's answer."""
    return {
        "id": chat_id,
        "conversation_id": conversation_id,
        "bot_id": bot_id,
        "created_at": created_at,
        "completed_at": completed_at,
        "failed_at": failed_at,
        "last_error": last_error or {"code": 0, "msg": ""},
        "status": status,
        "usage": usage or {"token_count": 0, "output_count": 0, "input_count": 0},
        "section_id": conversation_id,
    }

"""What several test modules share, in one place: the canary token, Coze's SSE frames, the page.

Fixtures live in ``tests/conftest.py``; this module holds plain constants and functions, imported
as ``from tests.helpers import ...``. No test module imports another test module.
"""

from __future__ import annotations

import json
import pathlib
import re

import httpx
import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from coze_answer import LANGUAGES, words
from coze_stream import CozeConfig

# The project's folder, above tests/.
ROOT = pathlib.Path(__file__).resolve().parent.parent
# CommonMark with tables, as the page renders an answer.
MARKDOWN = MarkdownIt("commonmark").enable("table")
# Chinese characters, to tell a Chinese sentence from an English one.
CJK = re.compile(r"[\u4e00-\u9fff]")

# -- the account ----------------------------------------------------------------------------------

# Shaped like a real token (pat_ and some 60 letters and digits), built so none is committed; the
# shape is what a token-shape redaction looks for, and "CANARY" is what the tests look for.
TOKEN = "pat_CANARY" + "test0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ"
BOT_ID = "7379462189365198898"

# -- Coze's wire, faked with respx ----------------------------------------------------------------

BASE = "https://api.coze.cn"
CHAT_URL = f"{BASE}/v3/chat"
CONFIG = CozeConfig(pat=TOKEN, bot_id=BOT_ID, base_url=BASE)
SSE = {"content-type": "text/event-stream; charset=utf-8"}
USAGE = {"token_count": 30, "input_count": 10, "output_count": 20}


def frame(event: str, data: object, *, sep: str = "\n") -> bytes:
    """One SSE frame: ``data`` as it is if a string, else as JSON."""
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return f"event:{event}{sep}data:{text}{sep}{sep}".encode()


def chat(status: str = "in_progress", **extra: object) -> dict:
    """A chat object, as Coze sends it in ``conversation.chat.*`` events."""
    return {
        "id": "chat1",
        "conversation_id": "conv1",
        "bot_id": BOT_ID,
        "status": status,
        **extra,
    }


def message(kind: str, content: str, mid: str = "m1", **extra: object) -> dict:
    """A message object, as Coze sends it in ``conversation.message.*`` events."""
    return {
        "id": mid,
        "conversation_id": "conv1",
        "chat_id": "chat1",
        "role": "assistant",
        "type": kind,
        "content": content,
        "content_type": "text",
        **extra,
    }


def sse_response(
    body: bytes | list[bytes], status: int = 200, headers: dict | None = None
) -> httpx.Response:
    """An event-stream reply; a list of bytes arrives in those pieces."""
    content = iter(body) if isinstance(body, list) else body
    return httpx.Response(status, content=content, headers={**SSE, **(headers or {})})


# -- the page, with Streamlit's AppTest -----------------------------------------------------------

APP = str(ROOT / "streamlit_app.py")
DETAILS = {words(language).details for language in LANGUAGES}
TIME = re.compile(r"\d\d:\d\d")


def start(
    monkeypatch: pytest.MonkeyPatch, sim, *, locale: str | None = None, **settings: str
) -> AppTest:
    """The page configured through the environment to talk to ``sim``, with ``settings`` set."""
    for name in ("COZE_DEMO", "COZE_READ_TIMEOUT", "COZE_CONTEXT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COZE_PAT", TOKEN)
    monkeypatch.setenv("COZE_BOT_ID", BOT_ID)
    monkeypatch.setenv("COZE_API_BASE_URL", sim.base_url)
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    at = AppTest.from_file(APP, default_timeout=30)
    if locale:
        at.context["locale"] = locale
    at.run()
    assert not at.exception
    return at


def send(at: AppTest, text: str) -> AppTest:
    at.chat_input[0].set_value(text).run()
    assert not at.exception, at.exception
    return at


def as_text(markdown: str) -> str:
    """What a Markdown string that was escaped as plain text reads as."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u00a0", " ").replace("  \n", "\n")


def bubble_text(message) -> str:
    """The Markdown a bubble shows, without an error's Details box."""
    hidden = {
        id(element) for box in message.expander if box.label in DETAILS for element in box.markdown
    }
    return "\n".join(element.value for element in message.markdown if id(element) not in hidden)


def notes(message) -> list[str]:
    """The captions under an answer, without its time stamp."""
    return [c.value for c in message.caption if not TIME.fullmatch(c.value)]


def trouble(message) -> tuple[str, str]:
    """What an answer says went wrong: the headline, and the Details box's text."""
    assert len(message.error) == 1
    boxes = [box for box in message.expander if box.label in DETAILS]
    assert len(boxes) == 1
    details = as_text("\n".join(element.value for element in boxes[0].markdown))
    return as_text(message.error[0].value), details


def all_text(at: AppTest) -> str:
    """Every text the page shows: markdown, captions, notices, titles and button labels."""
    parts = []
    for kind in ("markdown", "caption", "error", "info", "warning", "title", "header"):
        parts += [as_text(str(element.value)) for element in getattr(at, kind)]
    parts += [str(element.label) for element in at.button]
    return "\n".join(parts)

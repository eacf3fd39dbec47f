"""A Coze-like server on 127.0.0.1 that sends lone UTF-16 surrogates, as a gateway may.

Coze's JSON may spell a surrogate half on its own (``"\\ud800"``), and a gateway that cuts
strings by UTF-16 units splits an emoji into its two halves across two deltas. The message sent
picks what comes back (see :data:`VARIANTS`); any other message is echoed ("You said: ..."), so
a test can see what reached Coze. Used by the unit, page and browser tests alike.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# What each message makes the server send: (reasoning deltas, answer deltas), each delta a
# string that may hold a lone surrogate. JSON-encoded with ensure_ascii, each half is "\udXXX".
VARIANTS: dict[str, tuple[list[str], list[str]]] = {
    # A lone high surrogate in the middle of the text.
    "lone": ([], ["before \ud800 after"]),
    # 😀 (U+1F600) cut into its UTF-16 halves, one at the end of a delta, one at the start
    # of the next.
    "split": ([], ["smile \ud83d", "\ude00 done"]),
    # A lone low surrogate in the reasoning, then a plain answer.
    "reasoning": (["thinking \udc00 hard"], ["reasoned answer"]),
}
# What each variant's answer reads as once the client made it valid Unicode.
SHOWN = {
    "lone": "before \ufffd after",
    "split": "smile \U0001f600 done",
    "reasoning": "reasoned answer",
}
ECHO = "You said: "


def _frame(event: str, data: dict[str, Any]) -> bytes:
    # ensure_ascii: a surrogate goes out as the escape "\ud800", as JSON allows it.
    return f"event:{event}\ndata:{json.dumps(data, ensure_ascii=True)}\n\n".encode()


def chat_stream(message: str) -> bytes:
    """The event stream the server sends for ``message``."""
    reasoning, deltas = VARIANTS.get(message.strip(), ([], [ECHO + message]))
    chat = {"id": "chat1", "conversation_id": "conv1", "status": "in_progress"}

    def text_message(**fields: str) -> dict[str, str]:
        return {"id": "msg1", "type": "answer", "content_type": "text", "content": ""} | fields

    def delta(**fields: str) -> bytes:
        return _frame("conversation.message.delta", text_message(**fields))

    return b"".join(
        [
            _frame("conversation.chat.created", chat),
            *(delta(reasoning_content=text) for text in reasoning),
            *(delta(content=text) for text in deltas),
            _frame(
                "conversation.message.completed",
                {
                    "id": "msg1",
                    "type": "answer",
                    "content_type": "text",
                    "content": "".join(deltas),
                },
            ),
            _frame(
                "conversation.message.completed",
                {
                    "id": "fu1",
                    "type": "follow_up",
                    "content_type": "text",
                    "content": "more \udbff?",
                },
            ),
            _frame("conversation.chat.completed", chat | {"status": "completed"}),
            b"event:done\ndata:[DONE]\n\n",
        ]
    )


class SurrogateCoze:
    """The server; ``base_url`` is where it listens, ``received`` every message it was sent."""

    def __init__(self) -> None:
        self.received: list[str] = []
        coze = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path.startswith("/v3/chat/cancel"):
                    self._send(b'{"code":0,"msg":""}', "application/json")
                    return
                try:
                    message = json.loads(raw)["additional_messages"][-1]["content"]
                except (ValueError, KeyError, IndexError, TypeError):
                    message = ""
                coze.received.append(message)
                self._send(chat_stream(message), "text/event-stream; charset=utf-8")

            def _send(self, body: bytes, content_type: str) -> None:
                with contextlib.suppress(OSError):  # the client went away
                    self.send_response(200)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> SurrogateCoze:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextlib.contextmanager
def surrogate_coze() -> Iterator[SurrogateCoze]:
    with SurrogateCoze() as server:
        yield server

"""Writing one chat's Server-Sent-Events stream, framed as Coze frames it, on a connection.

One socket write per event (``event:NAME`` and ``data:<compact JSON>`` without a space, in one
chunk of the chunked body), paced, and aware of cancels, of the simulator stopping and of the
client going away.
"""

from __future__ import annotations

import contextlib
import math
import select
import socket
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler
from typing import Any

from .answers import (
    PLUGIN_NAME,
    answer_messages,
    card,
    follow_ups,
    reasoning,
    rich_items,
    shape_deltas,
)
from .commands import STALL_AFTER_DELTAS, ParsedMessage
from .deltas import split_deltas
from .faults import FAULTS_BY_KIND, StreamFault
from .records import RecordedMessage, RecordedRequest, StoredFile, StreamRecord
from .settings import SimulatorSettings
from .state import ActiveChat, SimulatorState
from .wire import DISCONNECT_ERRORS, chat_object, dumps


class _Halted(Exception):
    """The chat was cancelled or the simulator is stopping."""


class _Disconnected(Exception):
    """The client went away."""


class _Broken(Exception):
    """A ``/fail`` stream fault ended the stream: nothing more is sent."""


class _TimeUp(Exception):
    """The chat reached the simulator's limit on an answer's time (``max_chat_seconds``)."""


class ChatStream:
    """Sends one chat's SSE stream on the handler's connection (``run``)."""

    def __init__(
        self,
        handler: BaseHTTPRequestHandler,
        sim: SimulatorSettings,
        state: SimulatorState,
        request: RecordedRequest,
        parsed: ParsedMessage,
        message: str,
        user_id: str,
        conversation_id: str,
        earlier: Sequence[RecordedMessage] = (),
        language: str | None = None,
        files: Sequence[tuple[str, StoredFile]] = (),
    ) -> None:
        self.handler = handler
        self.language = language
        self.sim = sim
        self.state = state
        self.request = request
        self.parsed = parsed
        fault = FAULTS_BY_KIND.get(parsed.fail or "")
        self.fault = fault if isinstance(fault, StreamFault) else None  # the handler did the others
        self.conv_id = conversation_id
        self.chat_id = state.new_id()
        self.created_at = int(time.time())
        self.active = ActiveChat(conversation_id, self.chat_id)
        self.record = StreamRecord(
            chat_id=self.chat_id,
            conversation_id=conversation_id,
            user_id=user_id,
            message=message,
            question=parsed.question,
            commands=list(parsed.commands),
            started_at=time.time(),
            earlier=list(earlier),
            files=list(files),
        )
        rate = sim.deltas_per_second
        if parsed.slow:
            self.interval = 1.0
        elif rate <= 0 or math.isinf(rate):
            self.interval = 0.0
        else:
            self.interval = 1.0 / rate
        self.next_at: float | None = None  # monotonic time the next delta is due
        limit = sim.max_chat_seconds
        # Past this monotonic time the answer ends where it is (None: no limit).
        self.deadline = None if limit is None else time.monotonic() + limit
        self.answer_deltas = 0

    # -- what a fault may use (faults.StreamWriter) -----------------------------------------

    def event(self, name: str, data: Any) -> None:
        self.raw_event(name, dumps(data))

    def raw_event(self, name: str, data: str) -> None:
        payload = f"event:{name}\ndata:{data}\n\n".encode()
        self._write(b"%x\r\n%s\r\n" % (len(payload), payload))

    def message(self, msg_id: str, mtype: str, content: str, **extra: Any) -> dict[str, Any]:
        return {
            "id": msg_id,
            "conversation_id": self.conv_id,
            "bot_id": self.sim.bot_id,
            "role": "assistant",
            "type": mtype,
            "content": content,
            "content_type": "text",
            "chat_id": self.chat_id,
            "section_id": self.conv_id,
            **extra,
            "created_at": self.created_at,
            "updated_at": int(time.time()),
        }

    def chat(self, status: str, **fields: Any) -> dict[str, Any]:
        return chat_object(
            self.sim.bot_id,
            self.chat_id,
            self.conv_id,
            status,
            created_at=self.created_at,
            **fields,
        )

    # -- low level --------------------------------------------------------------------------

    def _write(self, data: bytes) -> None:
        try:
            self.handler.wfile.write(data)
            self.handler.wfile.flush()
        except DISCONNECT_ERRORS as exc:
            raise _Disconnected from exc

    def _peer_closed(self) -> bool:
        sock = self.handler.connection
        try:
            readable, _, _ = select.select([sock], [], [], 0)
            return bool(readable) and sock.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True

    def _check_halt(self) -> None:
        if self.active.halt.is_set():
            raise _Halted

    def _pace(self) -> None:
        """Wait until the next delta is due (stop, cancel and disconnect aware)."""
        self._check_halt()
        now = time.monotonic()
        if self.next_at is None:
            self.next_at = now
        if self.deadline is not None and self.next_at > self.deadline:
            raise _TimeUp
        while True:
            remaining = self.next_at - time.monotonic()
            if remaining <= 0:
                break
            if self.active.halt.wait(min(remaining, 0.05)):
                raise _Halted
            if remaining >= 0.02 and self._peer_closed():
                raise _Disconnected
        self.next_at += self.interval

    def _hold_back(self, seconds: float) -> None:
        until = time.monotonic() + seconds
        if self.deadline is not None:
            until = min(until, self.deadline)
        while not self.active.halt.wait(min(0.05, max(0.0, until - time.monotonic()))):
            if time.monotonic() >= until:
                return
            if self._peer_closed():
                raise _Disconnected

    def _sent_delta(self, *, reasoning: bool) -> None:
        wall = time.time()
        self.state.delta_sent(self.record, reasoning=reasoning, wall=wall, mono=time.monotonic())
        if not reasoning:
            index = self.answer_deltas
            self.answer_deltas += 1
            on_delta = self.sim.on_delta
            if on_delta is not None:
                on_delta(self.chat_id, index, wall)

    # -- the stream -------------------------------------------------------------------------

    def run(self) -> None:
        """Send the stream (broken by ``/fail``'s stream fault, if any); record how it ended."""
        handler = self.handler
        messages = answer_messages(
            self.parsed,
            self.sim.delta_chars,
            self.record.earlier,
            self.language,
            self.sim.max_chat_seconds,
            self.record.files,
        )
        self.state.stream_started(self.record, self.active)
        self.request.status = 200
        try:
            if self.parsed.late:
                # The chat exists (it can be cancelled) before a byte of the reply is sent; a
                # client that goes away meanwhile frees this thread at once, not at the end.
                self._hold_back(self.parsed.late)
            handler.send_response(200)
            handler.send_header("Content-Type", "text/event-stream; charset=utf-8")
            handler.send_header("Cache-Control", "no-cache")
            handler.send_header("Transfer-Encoding", "chunked")
            handler.send_header("X-Tt-Logid", self.request.logid)
            try:
                handler.end_headers()
            except DISCONNECT_ERRORS as exc:
                raise _Disconnected from exc
            self.event("conversation.chat.created", self.chat("created"))
            self.event("conversation.chat.in_progress", self.chat("in_progress"))
            self._body(messages)
        except _Halted:
            if self.active.canceled:
                with contextlib.suppress(_Disconnected):
                    self.event("done", "[DONE]")
                self._terminate("canceled")
            else:
                self._cut("stopped")
        except _Disconnected:
            handler.close_connection = True
            self.state.finish(self.record, "disconnected")
            self.state.add_disconnect(self.chat_id)
        finally:
            self.state.stream_ended(self.active)

    @property
    def thinks(self) -> bool:
        """Reasoning comes first (/think, /think N)."""
        return self.parsed.think or self.parsed.think_deltas is not None

    def _body(self, messages: list[tuple[str, list[str]]]) -> None:
        first_msg_id = self.state.new_id()
        try:
            self._answers(first_msg_id, messages)
        except _Broken:
            return
        except _TimeUp:
            # The answer ends where it is, as if the bot had finished there.
            self._end_of_answer(messages)
            return
        self._after_answers(first_msg_id, messages)

    def _answers(self, first_msg_id: str, messages: list[tuple[str, list[str]]]) -> None:
        """The reasoning and the text answer messages, each completed with what was sent of it
        (all, unless the time limit cut it)."""
        parsed = self.parsed
        if self.thinks:
            if parsed.think_deltas is None:
                text = reasoning(parsed.question, self.language)
                pieces = split_deltas(text, self.sim.delta_chars)
            else:  # /think N: one long paragraph of exactly N deltas
                pieces = shape_deltas(
                    "paragraph", parsed.question, parsed.think_deltas, self.sim.delta_chars
                )
            for piece in pieces:
                self._pace()
                msg = self.message(first_msg_id, "answer", "", reasoning_content=piece)
                self.event("conversation.message.delta", msg)
                self._sent_delta(reasoning=True)
                self.record.reasoning += piece
        for index, (full, deltas) in enumerate(messages):
            msg_id = first_msg_id if index == 0 else self.state.new_id()
            sent = 0
            try:
                for piece in deltas:
                    self._pace()
                    self.event("conversation.message.delta", self.message(msg_id, "answer", piece))
                    self._sent_delta(reasoning=False)
                    sent += 1
                    if self.answer_deltas == STALL_AFTER_DELTAS and parsed.stall:
                        # Pushing the next due time keeps the stall cancel and disconnect aware.
                        if self.next_at is None:
                            self.next_at = time.monotonic()
                        self.next_at += parsed.stall
                    if self.fault is not None and self.answer_deltas == self.fault.after_deltas:
                        self._break(self.fault, msg_id)
                        raise _Broken
            except _TimeUp:
                if sent:
                    self._complete(msg_id, "".join(deltas[:sent]), index)
                raise
            self._complete(msg_id, full, index)

    def _complete(self, msg_id: str, full: str, index: int) -> None:
        think = self.thinks and index == 0
        extra = {"reasoning_content": self.record.reasoning} if think else {}
        self.event("conversation.message.completed", self.message(msg_id, "answer", full, **extra))
        self.state.answer_completed(self.record, full, msg_id)

    def _after_answers(self, first_msg_id: str, messages: list[tuple[str, list[str]]]) -> None:
        parsed = self.parsed
        if parsed.card:
            # A card has no deltas and no text a text client could show.
            message = self.message(first_msg_id, "answer", card(parsed.question))
            self.event("conversation.message.completed", {**message, "content_type": "card"})
            self.state.answer_completed(self.record, None, first_msg_id)
        if parsed.rich:
            # Items come whole, as a JSON array in a string, with no deltas.
            items = rich_items(parsed.question, self.sim.base_url)
            message = self.message(first_msg_id, "answer", items)
            self.event(
                "conversation.message.completed", {**message, "content_type": "object_string"}
            )
            self.state.answer_completed(self.record, None, first_msg_id)
        self._check_halt()
        if parsed.question_node or parsed.plugin:
            self._requires_action("reply_message" if parsed.question_node else "function")
        else:
            self._end_of_answer(messages)

    def _requires_action(self, kind: str) -> None:
        """The chat stops to wait: for the user's reply (a Question node) or a plugin's output."""
        name = "question" if kind == "reply_message" else PLUGIN_NAME
        call = {
            "id": self.state.new_id(),
            "type": kind,
            "function": {"name": name, "arguments": dumps({"city": "北京"})},
        }
        action = {"type": "submit_tool_outputs", "submit_tool_outputs": {"tool_calls": [call]}}
        self.event(
            "conversation.chat.requires_action",
            {**self.chat("requires_action"), "required_action": action},
        )
        self.event("done", "[DONE]")
        self._terminate("requires-action")

    def _end_of_answer(self, messages: list[tuple[str, list[str]]]) -> None:
        """The events after the answer: verbose, follow-ups, chat.completed with usage, done."""
        verbose = dumps(
            {
                "msg_type": "generate_answer_finish",
                "data": dumps({"finish_reason": 0, "FinData": ""}),
                "from_module": None,
                "from_unit": None,
            }
        )
        self.event(
            "conversation.message.completed", self.message(self.state.new_id(), "verbose", verbose)
        )
        for question in follow_ups(self.parsed.question, self.language):
            msg = self.message(self.state.new_id(), "follow_up", question)
            self.event("conversation.message.completed", msg)
        answer_len = sum(len(full) for full, _ in messages)
        told = len(self.record.message) + sum(len(m.content) for m in self.record.earlier)
        input_count = 120 + told // 2
        output_count = max(1, answer_len // 2 + len(self.record.reasoning) // 2)
        usage = {
            "token_count": input_count + output_count,
            "output_count": output_count,
            "input_count": input_count,
        }
        completed = self.chat("completed", completed_at=int(time.time()), usage=usage)
        self.event("conversation.chat.completed", completed)
        self.event("done", "[DONE]")
        self._terminate("completed")

    def _break(self, fault: StreamFault, msg_id: str) -> None:
        fault.send(self, msg_id)
        if fault.cuts:
            self._cut(fault.kind)
        else:
            self._terminate(fault.kind)

    def _cut(self, outcome: str) -> None:
        """Record the outcome, then end the connection abruptly (no chunked terminator)."""
        self.state.finish(self.record, outcome)
        self.handler.close_connection = True
        with contextlib.suppress(OSError):
            self.handler.connection.shutdown(socket.SHUT_RDWR)

    def _terminate(self, outcome: str) -> None:
        """Record the outcome, then end the chunked body (the record is final when it arrives)."""
        self.state.finish(self.record, outcome)
        with contextlib.suppress(_Disconnected):
            self._write(b"0\r\n\r\n")

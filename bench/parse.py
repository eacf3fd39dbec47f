"""Benchmark: Coze v3 chat event parsing throughput, in-process, no network.

Run from the project root:

    .venv/bin/pip install -r bench/requirements.txt && .venv/bin/python bench/parse.py

Options: ``--deltas N`` (default 10000), ``--chunk BYTES`` (default 4096), ``--repeats N``
(default 7), ``--check`` (exit 1 when a goal fails).

One synthetic but realistic Coze chat stream (chat.created, in_progress, N answer deltas of about
12 bytes of mixed Chinese/English text, the answer's message.completed, a verbose message, three
follow-ups, chat.completed with usage, done) is served by ``httpx.MockTransport`` in chunks of
``--chunk`` bytes. Three contenders parse the same bytes:

- ``floor``: httpx-sse alone plus ``json.loads`` of every event, the least any correct parser
  built on httpx-sse must do;
- ``coze_stream``: this project's ``stream_chat``;
- ``cozepy``: Coze's official SDK, ``Coze.chat.stream``.

Two reference rows bound what any client built on httpx-sse can reach: ``httpx-sse alone`` (events
decoded, their JSON left unread) and ``httpx-sse + orjson`` (every event's JSON decoded with orjson
and nothing done with it). A client that also types, filters and yields the events is slower than
the second; the last line prints that bound as a multiple of cozepy.

Each repeat runs every contender once, round-robin, after one warm-up run each; the table shows
medians. "events" are the SSE frames in the stream, the same count for every contender.

This is a regression guard, with two goals, both read from the medians of one run: coze_stream at
least 3x as fast as cozepy, and at least 1.1x as fast as the floor (its "vs floor" column, the
floor's time over coze_stream's, at least 1.10).
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import httpx_sse  # noqa: E402

import coze_stream  # noqa: E402

try:
    from orjson import loads as orjson_loads
except ImportError:  # pragma: no cover - the bound row is left out
    orjson_loads = None

try:
    # Swallow authlib's deprecation notice from cozepy's import (authlib sets its own "always"
    # filter, so only recording silences it).
    with warnings.catch_warnings(record=True):
        from cozepy import (
            ChatEventType,
            Coze,
            Message,
            MessageType,
            SyncHTTPClient,
            TokenAuth,
        )
except ImportError:  # pragma: no cover - told to the user below
    Coze = None  # type: ignore[assignment,misc]

BASE_URL = "https://api.coze.cn"
CHAT_URL = f"{BASE_URL}/v3/chat"
TOKEN = "pat_bench_not_a_real_token"
BOT_ID = "7379462189365198898"
CHAT_ID = "7382159487131697202"
CONVERSATION_ID = "7381473525342978089"
ANSWER_ID = "7382159494123470858"
SECTION_ID = "7381473525342978090"
CREATED_AT = 1718792948
COMPLETED_AT = 1718792949

# Pieces of about 12 UTF-8 bytes each, the size of one LLM token or two, mixed Chinese/English,
# some with the punctuation, spaces and line breaks a real answer carries.
PIECES = [
    "Hello 世界",
    "流式 stream",
    "数据 data。",
    " token 令牌",
    "，然后 then",
    " Python 的",
    "解析器 ok",
    "\n\n## 小结",
    " async 异步",
    "“引号” ok",
    " JSON 格式",
    "速度 speed",
]
FOLLOW_UPS = ["流式输出怎么实现？", "What is a PAT token?", "如何取消正在进行的对话？"]


def _frame(event: str, data: object) -> str:
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"event:{event}\ndata:{payload}\n\n"


def _chat(status: str, usage: dict[str, int]) -> dict[str, object]:
    return {
        "id": CHAT_ID,
        "conversation_id": CONVERSATION_ID,
        "bot_id": BOT_ID,
        "created_at": CREATED_AT,
        "completed_at": COMPLETED_AT,
        "last_error": {"code": 0, "msg": ""},
        "status": status,
        "usage": usage,
        "section_id": SECTION_ID,
    }


def _message(message_id: str, kind: str, content: str) -> dict[str, object]:
    # The fields of the recorded deltas (coze-recordings/chat_text_stream_resp.txt), in that
    # order, plus section_id, which today's Coze sends as well.
    return {
        "id": message_id,
        "conversation_id": CONVERSATION_ID,
        "bot_id": BOT_ID,
        "role": "assistant",
        "type": kind,
        "content": content,
        "content_type": "text",
        "chat_id": CHAT_ID,
        "section_id": SECTION_ID,
    }


def build_stream(deltas: int) -> tuple[bytes, str, int]:
    """The stream's bytes, the answer's full text and the number of SSE frames in it."""
    zero = {"token_count": 0, "output_count": 0, "input_count": 0}
    frames = [
        _frame("conversation.chat.created", _chat("created", zero)),
        _frame("conversation.chat.in_progress", _chat("in_progress", zero)),
    ]
    texts = [PIECES[i % len(PIECES)] for i in range(deltas)]
    frames.extend(
        _frame("conversation.message.delta", _message(ANSWER_ID, "answer", text)) for text in texts
    )
    answer = "".join(texts)
    frames.append(_frame("conversation.message.completed", _message(ANSWER_ID, "answer", answer)))
    verbose = json.dumps(
        {
            "msg_type": "generate_answer_finish",
            "data": '{"finish_reason":0,"FinData":""}',
            "from_module": None,
            "from_unit": None,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
    verbose_message = _message("7382159494123470859", "verbose", verbose)
    frames.append(_frame("conversation.message.completed", verbose_message))
    for i, question in enumerate(FOLLOW_UPS):
        frames.append(
            _frame(
                "conversation.message.completed",
                _message(f"738215949412347086{i}", "follow_up", question),
            )
        )
    usage = {"token_count": 614 + deltas * 3, "output_count": deltas * 3, "input_count": 614}
    frames.append(_frame("conversation.chat.completed", _chat("completed", usage)))
    frames.append(_frame("done", "[DONE]"))
    return "".join(frames).encode("utf-8"), answer, len(frames)


def make_transport(body: bytes, chunk: int) -> httpx.MockTransport:
    chunks = [body[i : i + chunk] for i in range(0, len(body), chunk)]

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        return httpx.Response(
            200,
            headers={"content-type": "text/event-stream", "x-tt-logid": "20250101000000BENCH"},
            content=iter(chunks),
        )

    return httpx.MockTransport(handler)


# Each contender: one full stream, returning what it saw, checked after the clock stops.


def make_httpx_sse(
    transport: httpx.MockTransport, decode: Callable[[str], object] | None
) -> Callable[[], object]:
    """httpx-sse alone, decoding every event's JSON with ``decode`` (or leaving it unread)."""
    client = httpx.Client(transport=transport)

    def run() -> object:
        count = 0
        with httpx_sse.connect_sse(client, "POST", CHAT_URL, json={"stream": True}) as es:
            if decode is None:
                for _ in es.iter_sse():
                    count += 1
            else:
                for sse in es.iter_sse():
                    decode(sse.data)
                    count += 1
        return count

    return run


def make_coze_stream(transport: httpx.MockTransport) -> Callable[[], object]:
    client = httpx.Client(transport=transport)
    config = coze_stream.CozeConfig(pat=TOKEN, bot_id=BOT_ID, base_url=BASE_URL, max_retries=0)
    answer_delta = coze_stream.AnswerDelta

    def run() -> object:
        deltas: list[str] = []
        events = []
        for event in coze_stream.stream_chat(config, "hi", client=client, user_id="bench"):
            if type(event) is answer_delta:
                deltas.append(event.text)
            else:
                events.append(event)
        return deltas, events

    return run


def make_cozepy(transport: httpx.MockTransport) -> Callable[[], object]:
    # cozepy 0.20's SyncHTTPClient is a subclass of httpx.Client (not a wrapper around one), so
    # the transport goes straight into its constructor.
    coze = Coze(
        auth=TokenAuth(TOKEN),
        base_url=BASE_URL,
        http_client=SyncHTTPClient(transport=transport),
    )
    delta_kind = ChatEventType.CONVERSATION_MESSAGE_DELTA
    answer_kind = MessageType.ANSWER

    def run() -> object:
        deltas: list[str] = []
        count = 0
        for event in coze.chat.stream(
            bot_id=BOT_ID,
            user_id="bench",
            additional_messages=[Message.build_user_question_text("hi")],
        ):
            count += 1
            if event.event == delta_kind and event.message.type == answer_kind:
                deltas.append(event.message.content)
        return deltas, count

    return run


def fail(message: str) -> None:
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(2)


def check_floor(seen: object, frames: int) -> None:
    if seen != frames:
        fail(f"floor saw {seen} events, the stream has {frames}")


def check_coze_stream(seen: object, answer: str) -> None:
    deltas, events = seen  # type: ignore[misc]
    text = "".join(deltas)
    if text != answer:
        fail(f"coze_stream's deltas join to {len(text)} chars, expected {len(answer)}")
    kinds = [type(e).__name__ for e in events]
    expected = ["ChatStarted", "AnswerCompleted", "FollowUp", "FollowUp", "FollowUp"]
    if kinds != [*expected, "ChatCompleted"]:
        fail(f"coze_stream yielded {kinds} besides the deltas")
    if events[1].text != answer or [e.text for e in events[2:5]] != FOLLOW_UPS:
        fail("coze_stream's completed answer or follow-ups differ from the stream's")
    if events[-1].usage is None:
        fail("coze_stream lost the usage")


def check_cozepy(seen: object, answer: str, frames: int) -> None:
    deltas, count = seen  # type: ignore[misc]
    text = "".join(deltas)
    if text != answer:
        fail(f"cozepy's deltas join to {len(text)} chars, expected {len(answer)}")
    if count != frames - 1:  # cozepy yields every event but done
        fail(f"cozepy yielded {count} events, expected {frames - 1}")


def timed(run: Callable[[], object]) -> tuple[float, object]:
    gc.collect()
    start = time.perf_counter()
    seen = run()
    return time.perf_counter() - start, seen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deltas", type=int, default=10_000, help="answer deltas in the stream")
    parser.add_argument("--chunk", type=int, default=4096, help="bytes per network chunk")
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per contender")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal fails")
    args = parser.parse_args(argv)
    if args.deltas < 1 or args.chunk < 1 or args.repeats < 1:
        parser.error("--deltas, --chunk and --repeats must be positive")
    if Coze is None:
        print(
            "cozepy is not installed: .venv/bin/pip install -r bench/requirements.txt",
            file=sys.stderr,
        )
        return 2

    body, answer, frames = build_stream(args.deltas)
    transport = make_transport(body, args.chunk)
    contenders: dict[str, tuple[Callable[[], object], Callable[[object], None]]] = {
        "floor": (make_httpx_sse(transport, json.loads), lambda s: check_floor(s, frames)),
        "coze_stream": (make_coze_stream(transport), lambda s: check_coze_stream(s, answer)),
        "cozepy": (make_cozepy(transport), lambda s: check_cozepy(s, answer, frames)),
        "sse_only": (make_httpx_sse(transport, None), lambda s: check_floor(s, frames)),
    }
    if orjson_loads is not None:
        contenders["sse_orjson"] = (
            make_httpx_sse(transport, orjson_loads),
            lambda s: check_floor(s, frames),
        )

    times: dict[str, list[float]] = {name: [] for name in contenders}
    for run, check in contenders.values():  # warm-up, checked
        check(timed(run)[1])
    for _ in range(args.repeats):
        for name, (run, check) in contenders.items():
            elapsed, seen = timed(run)
            check(seen)
            times[name].append(elapsed)

    median = {name: statistics.median(values) for name, values in times.items()}
    megabytes = len(body) / 1e6
    labels = {
        "floor": "floor (httpx-sse + json.loads)",
        "coze_stream": "coze_stream",
        "cozepy": "cozepy",
        "sse_only": "bound: httpx-sse alone",
        "sse_orjson": "bound: httpx-sse + orjson",
    }
    width = max(len(label) for label in labels.values())
    print(
        f"Coze event parsing, {args.deltas:,}-delta stream ({megabytes:.2f} MB, {frames:,} "
        f"events), {args.chunk}-byte chunks, median of {args.repeats}"
    )
    print(
        f"{'contender':<{width}}  {'ms/stream':>9}  {'events/s':>10}  {'MB/s':>7}  "
        f"{'vs floor':>8}  {'vs cozepy':>9}"
    )
    for name, label in labels.items():
        if name not in median:
            continue
        seconds = median[name]
        print(
            f"{label:<{width}}  {seconds * 1e3:>9.1f}  {frames / seconds:>10,.0f}  "
            f"{megabytes / seconds:>7.2f}  {median['floor'] / seconds:>7.2f}x  "
            f"{median['cozepy'] / seconds:>8.2f}x"
        )
    vs_cozepy = median["cozepy"] / median["coze_stream"]
    vs_floor = median["floor"] / median["coze_stream"]
    goals = [
        ("coze_stream >= 3x cozepy", vs_cozepy >= 3.0, vs_cozepy),
        ("coze_stream >= 1.1x floor", vs_floor >= 1.1, vs_floor),
    ]
    print(
        "Goals: "
        + "; ".join(
            f"{goal}: {'PASS' if ok else 'FAIL'} ({ratio:.3f}x)" for goal, ok, ratio in goals
        )
    )
    if "sse_orjson" in median:
        print(
            "Bound: httpx-sse + orjson with nothing done with the events is "
            f"{median['cozepy'] / median['sse_orjson']:.2f}x cozepy; a client built on httpx-sse "
            "that also types, filters and yields them is slower than that."
        )
    if args.check and not all(ok for _, ok, _ in goals):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

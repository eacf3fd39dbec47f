"""Wire-level tests of coze_stream.simulator, driven by plain httpx (no client code)."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

import httpx
import pytest
from markdown_it.token import Token

from coze_stream import simulator
from coze_stream.simulator import COMMANDS, CozeSimulator, ParsedMessage, parse_message
from tests.helpers import BOT_ID, MARKDOWN, ROOT

pytestmark = pytest.mark.timeout(30)

PAT = "pat_test_secret_123"
LOGID_RE = re.compile(r"^\d{14}[0-9A-F]{20}$")
ID_RE = re.compile(r"^\d{19}$")


# -- helpers -------------------------------------------------------------------------------


@pytest.fixture
def sim() -> Iterator[CozeSimulator]:
    """A fresh simulator for each test, in place of conftest.py's one per module: these tests
    read what it recorded from the start (``sim.streams[0]``, ``sim.feedbacks``)."""
    with CozeSimulator(pat=PAT, bot_id=BOT_ID, deltas_per_second=1000) as s:
        yield s


@pytest.fixture
def client(sim: CozeSimulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sim.base_url, timeout=10) as c:
        yield c


def body(message: Any = "你好", user_id: Any = "user-1", **extra: Any) -> dict[str, Any]:
    b: dict[str, Any] = {
        "bot_id": BOT_ID,
        "user_id": user_id,
        "stream": True,
        "auto_save_history": True,
        "additional_messages": [
            {"role": "user", "type": "question", "content": message, "content_type": "text"}
        ],
    }
    b.update(extra)
    return b


def auth(token: str = PAT) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def chat(client: httpx.Client, message: str = "你好", **extra: Any) -> httpx.Response:
    return client.post("/v3/chat", json=body(message, **extra), headers=auth())


def frames(text: str) -> list[tuple[str, str]]:
    """Split an SSE body into (event, data) pairs; every frame must end with a blank line."""
    assert text.endswith("\n\n"), repr(text[-80:])
    out = []
    for block in text[:-2].split("\n\n"):
        lines = block.split("\n")
        assert len(lines) == 2, block
        assert lines[0].startswith("event:") and not lines[0].startswith("event: "), block
        assert lines[1].startswith("data:") and not lines[1].startswith("data: "), block
        out.append((lines[0][len("event:") :], lines[1][len("data:") :]))
    return out


def events(text: str) -> list[tuple[str, Any]]:
    return [(name, json.loads(data)) for name, data in frames(text)]


def read_raw(response: httpx.Response) -> tuple[bytes, Exception | None]:
    """Read a streamed body, returning the bytes received and the error that ended it, if any."""
    got = bytearray()
    try:
        for piece in response.iter_raw():
            got += piece
    except httpx.HTTPError as exc:
        return bytes(got), exc
    return bytes(got), None


def read_until(parts: Iterator[bytes], buf: bytearray, needle: bytes) -> None:
    while needle not in buf:
        buf += next(parts)


def answer_deltas(evs: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    return [
        d
        for n, d in evs
        if n == "conversation.message.delta" and d["type"] == "answer" and d["content"]
    ]


def completed(evs: list[tuple[str, Any]], mtype: str) -> list[dict[str, Any]]:
    return [d for n, d in evs if n == "conversation.message.completed" and d["type"] == mtype]


def assert_json_error(r: httpx.Response, status: int, code: int) -> dict[str, Any]:
    assert r.status_code == status
    assert r.headers["content-type"].split(";")[0] == "application/json"
    data = r.json()
    assert data["code"] == code
    assert LOGID_RE.match(r.headers["x-tt-logid"])
    assert data["detail"]["logid"] == r.headers["x-tt-logid"]
    assert PAT not in r.text
    return data


# -- a normal answer -----------------------------------------------------------------------


def test_frame_format_is_exactly_cozes(sim: CozeSimulator, client: httpx.Client) -> None:
    with client.stream("POST", "/v3/chat", json=body("周三 emoji 🚀👨‍👩‍👧"), headers=auth()) as r:
        assert r.status_code == 200
        assert r.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert r.headers["cache-control"] == "no-cache"
        assert r.headers["transfer-encoding"] == "chunked"
        assert LOGID_RE.match(r.headers["x-tt-logid"])
        raw, err = read_raw(r)
    assert err is None
    text = raw.decode("utf-8")
    assert "\\u" not in text  # non-ASCII is sent raw
    assert "关于「周三 emoji 🚀👨‍👩‍👧」" in text
    for _, data in frames(text):
        obj = json.loads(data)
        assert data == json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    assert text.endswith('event:done\ndata:"[DONE]"\n\n')


def test_normal_answer_event_order_and_content(sim: CozeSimulator, client: httpx.Client) -> None:
    question = "2024 年 10 月 1 日是星期几？"
    evs = events(chat(client, question).text)
    names = [n for n, _ in evs]
    n_deltas = len(answer_deltas(evs))
    assert n_deltas > 10
    assert names == (
        ["conversation.chat.created", "conversation.chat.in_progress"]
        + ["conversation.message.delta"] * n_deltas
        + ["conversation.message.completed"] * 5
        + ["conversation.chat.completed", "done"]
    )
    created, in_progress = evs[0][1], evs[1][1]
    assert created["status"] == "created" and in_progress["status"] == "in_progress"
    for key in ("id", "conversation_id", "bot_id", "created_at", "last_error", "usage"):
        assert key in created
    assert ID_RE.match(created["id"]) and ID_RE.match(created["conversation_id"])
    assert created["bot_id"] == BOT_ID

    deltas = answer_deltas(evs)
    (answer,) = completed(evs, "answer")
    assert "".join(d["content"] for d in deltas) == answer["content"]
    assert {d["id"] for d in deltas} == {answer["id"]}
    for key in ("id", "conversation_id", "bot_id", "chat_id", "section_id", "role", "type"):
        assert key in answer
    assert answer["chat_id"] == created["id"]
    assert answer["role"] == "assistant" and answer["content_type"] == "text"
    assert ID_RE.match(answer["id"])
    assert all(len(d["content"]) <= 8 for d in deltas)

    content = answer["content"]
    assert content.startswith(f"## 关于「{question}」\n")
    assert f'You asked: "{question}"' in content
    assert "\n- " in content and "\n```python\n" in content
    assert "](https://" in content
    assert "<" not in content

    (verbose,) = completed(evs, "verbose")
    assert json.loads(verbose["content"]) == {
        "msg_type": "generate_answer_finish",
        "data": '{"finish_reason":0,"FinData":""}',
        "from_module": None,
        "from_unit": None,
    }
    follow = completed(evs, "follow_up")
    assert len(follow) == 3 and all(question in f["content"] for f in follow)

    done_chat = evs[-2][1]
    assert done_chat["status"] == "completed" and done_chat["completed_at"] > 0
    usage = done_chat["usage"]
    assert usage["token_count"] == usage["input_count"] + usage["output_count"]
    assert usage["output_count"] > 50
    assert evs[-1] == ("done", "[DONE]")

    (record,) = sim.streams
    assert record.finished and record.outcome == "completed"
    assert record.answer == content and record.deltas_sent == n_deltas
    assert record.chat_id == created["id"] and record.question == question
    assert record.first_delta_sent_at is not None and record.last_delta_sent_at is not None
    assert record.first_delta_sent_at <= record.last_delta_sent_at


def test_answer_is_deterministic_and_commands_are_stripped(client: httpx.Client) -> None:
    a = completed(events(chat(client, "hello  world").text), "answer")[0]["content"]
    b = completed(events(chat(client, "hello  world").text), "answer")[0]["content"]
    assert a == b
    assert '"hello  world"' in a  # verbatim without commands
    c = completed(events(chat(client, "/multi hello /nope world").text), "answer")[0]["content"]
    assert 'You asked: "hello /nope world"' in c  # unknown command stays, known one goes


def test_emoji_sequences_are_never_split(client: httpx.Client) -> None:
    question = "👨‍👩‍👧‍👦🇨🇳é́👍🏽" * 3
    evs = events(chat(client, question).text)
    for d in answer_deltas(evs):
        assert not d["content"].endswith("\u200d") and not d["content"].startswith("\u200d")
        assert not d["content"].startswith(("\U0001f3fd", "\u0301"))
    assert question in completed(evs, "answer")[0]["content"]


def test_recorded_requests(sim: CozeSimulator, client: httpx.Client) -> None:
    chat(client, "hi")
    (req,) = sim.requests
    assert req.method == "POST" and req.path == "/v3/chat"
    assert req.body is not None and req.body["user_id"] == "user-1"
    assert req.status == 200 and LOGID_RE.match(req.logid)
    assert PAT not in repr(req)


# -- validation errors ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "payload", "status", "code"),
    [
        ({"Authorization": "Bearer wrong"}, body(), 401, 4100),
        ({}, body(), 401, 4100),
        ({"Authorization": PAT}, body(), 401, 4100),
        (auth(), {**body(), "bot_id": "123"}, 200, 4200),
        (auth(), body(user_id=12345), 200, 4000),
        (auth(), {**body(), "additional_messages": []}, 200, 4000),
        (
            auth(),
            {**body(), "additional_messages": [{"role": "assistant", "content": "x"}]},
            200,
            4000,
        ),
        (auth(), body(message=["not", "a", "string"]), 200, 4000),
        (auth(), {**body(), "stream": False}, 200, 4000),
        (auth(), [1, 2], 200, 4000),
    ],
)
def test_validation_errors(
    client: httpx.Client, headers: dict[str, str], payload: Any, status: int, code: int
) -> None:
    r = client.post("/v3/chat", json=payload, headers=headers)
    data = assert_json_error(r, status, code)
    if code == 4100:
        assert data["msg"] == "authentication is invalid"
    if code == 4200:
        assert data["msg"].startswith("resource not found")


def test_not_json_body(client: httpx.Client) -> None:
    r = client.post("/v3/chat", content=b"{oops", headers=auth())
    assert_json_error(r, 200, 4000)


def test_unknown_paths_and_get(client: httpx.Client) -> None:
    assert_json_error(client.post("/v3/nope", json={}, headers=auth()), 404, 4000)
    assert_json_error(client.get("/v3/chat"), 404, 4000)
    r = client.get("/")
    assert r.status_code == 200 and "Coze simulator" in r.text
    assert LOGID_RE.match(r.headers["x-tt-logid"])


# -- failure commands ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "status", "code", "msg"),
    [
        ("auth", 401, 4100, "authentication is invalid"),
        ("bot", 200, 4200, None),
        (
            "unpublished",
            200,
            4015,
            "The Bot is not currently published to the corresponding platform",
        ),
        ("busy", 200, 4009, "system busy, please retry later"),
    ],
)
def test_fail_json_errors(
    client: httpx.Client, kind: str, status: int, code: int, msg: str | None
) -> None:
    for _ in range(2):  # every time
        data = assert_json_error(chat(client, f"/fail {kind} hi"), status, code)
        if msg is not None:
            assert data["msg"] == msg


def test_fail_echo_token(client: httpx.Client) -> None:
    r = chat(client, "/fail echo-token hi")
    assert r.status_code == 200 and r.json()["code"] == 4101
    assert PAT in r.json()["msg"]
    assert r.json()["detail"]["logid"] == r.headers["x-tt-logid"]


def test_fail_502(client: httpx.Client) -> None:
    for _ in range(2):
        r = chat(client, "/fail 502")
        assert r.status_code == 502
        assert r.headers["content-type"] == "text/html"
        assert "502 Bad Gateway" in r.text
        assert LOGID_RE.match(r.headers["x-tt-logid"])


def test_fail_rate_limit_then_retry_succeeds(sim: CozeSimulator, client: httpx.Client) -> None:
    r = chat(client, "/fail rate-limit hello")
    data = assert_json_error(r, 429, 4020)
    assert r.headers["retry-after"] == "1" and "rate limit" in data["msg"]
    other_user = chat(client, "/fail rate-limit hello", user_id="user-2")
    assert other_user.status_code == 429
    retry = chat(client, "/fail rate-limit hello")
    assert retry.status_code == 200
    evs = events(retry.text)
    assert evs[-1] == ("done", "[DONE]")
    assert 'You asked: "hello"' in completed(evs, "answer")[0]["content"]


def test_fail_error_event(sim: CozeSimulator, client: httpx.Client) -> None:
    evs = events(chat(client, "/fail error-event hi").text)
    assert len(answer_deltas(evs)) == 5
    assert evs[-1] == ("error", {"code": 5000, "msg": "internal server error"})
    assert sim.streams[0].outcome == "error-event" and not sim.streams[0].finished


def test_fail_chat_failed(client: httpx.Client) -> None:
    evs = events(chat(client, "/fail chat-failed hi").text)
    assert len(answer_deltas(evs)) == 5
    name, failed = evs[-2]
    assert name == "conversation.chat.failed" and failed["status"] == "failed"
    assert failed["last_error"] == {"code": 5000, "msg": "event interval error"}
    assert failed["failed_at"] > 0
    assert evs[-1] == ("done", "[DONE]")
    assert not completed(evs, "answer")


def test_fail_cut(sim: CozeSimulator, client: httpx.Client) -> None:
    with client.stream("POST", "/v3/chat", json=body("/fail cut hi"), headers=auth()) as r:
        raw, err = read_raw(r)
    assert isinstance(err, httpx.RemoteProtocolError)
    assert len(answer_deltas(events(raw.decode()))) == 5
    assert sim.streams[0].outcome == "cut"
    assert chat(client, "after the cut").status_code == 200  # the client recovers


def test_fail_malformed(client: httpx.Client) -> None:
    text = chat(client, "/fail malformed hi").text
    fr = frames(text)
    assert len([1 for n, _ in fr if n == "conversation.message.delta"]) == 6
    name, data = fr[-1]
    assert name == "conversation.message.delta" and data.startswith('{"id":"')
    with pytest.raises(json.JSONDecodeError):
        json.loads(data)


def test_fail_unknown_kind_is_plain_text(client: httpx.Client) -> None:
    evs = events(chat(client, "/fail nope").text)
    assert 'You asked: "/fail nope"' in completed(evs, "answer")[0]["content"]


# -- other commands ------------------------------------------------------------------------


def test_think_reasoning_comes_first(sim: CozeSimulator, client: httpx.Client) -> None:
    evs = events(chat(client, "/think 为什么天是蓝的").text)
    deltas = [d for n, d in evs if n == "conversation.message.delta"]
    kinds = ["r" if d.get("reasoning_content") else "a" for d in deltas]
    first_answer = kinds.index("a")
    assert first_answer > 3 and "r" not in kinds[first_answer:]
    reasoning = "".join(d.get("reasoning_content", "") for d in deltas)
    assert "为什么天是蓝的" in reasoning
    assert all(d["content"] == "" for d in deltas[:first_answer])
    assert all(d["type"] == "answer" for d in deltas)
    answer = completed(evs, "answer")[0]
    assert "".join(d["content"] for d in deltas) == answer["content"]
    assert sim.streams[0].reasoning == reasoning


@pytest.mark.parametrize("n", [1, 7, 300])
def test_long_gives_exactly_n_deltas(client: httpx.Client, n: int) -> None:
    evs = events(chat(client, f"/long {n} essay").text)
    deltas = answer_deltas(evs)
    assert len(deltas) == n
    full = completed(evs, "answer")[0]["content"]
    assert "".join(d["content"] for d in deltas) == full
    if n == 300:
        assert full.count("### ") > 3 and "\n```python\n" in full and "|---|" in full
        assert full.count("```") % 2 == 0


def test_long_10000_gives_exactly_10000_deltas() -> None:
    deltas = simulator.long_deltas("q", 10_000, 4)
    assert len(deltas) == 10_000 and all(deltas)


# -- /shape: one long block of a kind, for bench/ui.py ---------------------------------------

TARGET_DELTA_BYTES = 12.0


def delta_size_for(kind: str, n: int) -> int:
    """The delta size (characters) whose deltas average closest to 12 bytes, as bench/ui.py
    chooses the simulator's ``delta_chars``."""
    averages = {}
    for size in range(1, 41):
        deltas = simulator.shape_deltas(kind, "q", n, size)
        averages[size] = len("".join(deltas).encode()) / len(deltas)
    return min(averages, key=lambda size: abs(averages[size] - TARGET_DELTA_BYTES))


def top_blocks(text: str) -> list[Token]:
    """The top-level blocks of ``text`` as markdown-it parses it (their opening token)."""
    return [t for t in MARKDOWN.parse(text) if t.level == 0 and t.nesting >= 0]


def lines_of(text: str) -> list[str]:
    assert text.endswith("\n")
    return text[:-1].split("\n")


def assert_one_list(text: str, opening: str) -> None:
    tokens = MARKDOWN.parse(text)
    assert [t.type for t in top_blocks(text)] == [opening]
    items = [t for t in tokens if t.type == "list_item_open"]
    assert len(items) == len(lines_of(text))  # one item a line
    assert all(t.level == 1 for t in items)  # none nested


@pytest.mark.parametrize("kind", [k for k in simulator.SHAPE_KINDS if k != "mixed"])
def test_shape_is_its_markdown_block(kind: str) -> None:
    size = delta_size_for(kind, 300)
    deltas = simulator.shape_deltas(kind, "the question", 300, size)
    text = "".join(deltas)
    assert len(deltas) == 300 and all(deltas)
    assert "the question" in text
    # About 12 bytes each: all but the last have exactly ``size`` characters (no graphemes
    # here); the last may finish a line of a list, table or code block.
    assert all(len(d) == size for d in deltas[:-1])
    assert 11 <= len(text[: -len(deltas[-1])].encode()) / 299 <= 13
    blocks = top_blocks(text)
    if kind in ("paragraph", "cjk"):
        assert [t.type for t in blocks] == ["paragraph_open"] and "\n" not in text
        inline = MARKDOWN.parse(text)[1]
        assert [c.type for c in inline.children or []] == ["text"]  # no markup by accident
        if kind == "cjk":
            outside = text.replace("「the question」", "")
            assert " " not in outside and "，" in outside and "。" in outside
            assert sum(ord(c) > 0x2E80 for c in outside) > 0.95 * len(outside)
        else:
            assert text.isascii() and len(text.split()) > 300
    elif kind == "code":
        assert [t.type for t in blocks] == ["fence"] and blocks[0].info == "python"
        assert len(blocks[0].content.splitlines()) == len(lines_of(text)) - 2
    elif kind == "list":
        assert_one_list(text, "bullet_list_open")
    elif kind == "numbered":
        assert_one_list(text, "ordered_list_open")
        numbers = [int(line.split(".")[0]) for line in lines_of(text)]
        assert numbers == list(range(1, len(numbers) + 1))
    elif kind == "table":
        assert [t.type for t in blocks] == ["table_open"]
        tokens = MARKDOWN.parse(text)
        rows = [t for t in tokens if t.type == "tr_open"]
        assert len(rows) == len(lines_of(text)) - 1  # every line but the delimiter row
        cells = [t.type for t in tokens if t.type in ("th_open", "td_open", "tr_close")]
        assert cells.count("th_open") == 4 and cells.count("td_open") == 4 * (len(rows) - 1)
    else:
        assert kind == "mixed-long"
        assert [t.type for t in blocks] == [
            "heading_open",
            "paragraph_open",
            "fence",
            "bullet_list_open",
            "table_open",
        ]
        paragraph, fence = MARKDOWN.parse(text)[4], blocks[2]
        assert paragraph.type == "inline" and len(paragraph.content) > 700
        assert len(fence.content) > 700


def test_shape_mixed_is_long() -> None:
    for n, size in ((1, 4), (7, 1), (300, 7)):
        assert simulator.shape_deltas("mixed", "q", n, size) == simulator.long_deltas("q", n, size)


@pytest.mark.parametrize("kind", simulator.SHAPE_KINDS)
@pytest.mark.parametrize("n", [1, 2, 50])
def test_shape_gives_exactly_n_deltas_and_ends_whole(kind: str, n: int) -> None:
    deltas = simulator.shape_deltas(kind, "q", n, 5)
    text = "".join(deltas)
    assert len(deltas) == n and all(deltas) and text.count("```") % 2 == 0
    if kind in ("code", "list", "numbered", "table"):
        assert text.endswith("\n")  # a cut line is finished


def test_shape_10000_deltas() -> None:
    deltas = simulator.shape_deltas("table", "q", 10_000, 11)
    assert len(deltas) == 10_000 and all(deltas) and "| 第 " in deltas[-1] + deltas[-2]


def test_shape_through_the_server(sim: CozeSimulator, client: httpx.Client) -> None:
    evs = events(chat(client, "/long 40 /shape table 表格 question").text)
    deltas = [d["content"] for d in answer_deltas(evs)]
    assert deltas == simulator.shape_deltas("table", "表格 question", 40, sim.delta_chars)
    assert completed(evs, "answer")[0]["content"] == "".join(deltas)
    assert sim.streams[0].question == "表格 question"
    # Without /long: the default number of deltas.
    evs = events(chat(client, "/shape cjk q").text)
    assert len(answer_deltas(evs)) == simulator.shapes.DEFAULT_SHAPE_DELTAS


def test_shape_parses_and_unknown_kinds_are_text() -> None:
    parsed = parse_message("/shape code /long 30 hello")
    assert parsed.shape == "code" and parsed.long == 30 and parsed.question == "hello"
    for text in ("/shape nope q", "/shape", "/shape Code q"):
        assert parse_message(text).shape is None
    assert parse_message("/shape nope q").question == "/shape nope q"


def test_card_is_an_answer_without_text(client: httpx.Client) -> None:
    evs = events(chat(client, "/card show me").text)
    assert answer_deltas(evs) == []
    (card,) = completed(evs, "answer")
    assert card["content_type"] == "card" and json.loads(card["content"])["title"] == "show me"
    assert [n for n, _ in evs][-2:] == ["conversation.chat.completed", "done"]


def test_multi_gives_two_messages(client: httpx.Client) -> None:
    evs = events(chat(client, "/multi two please").text)
    answers = completed(evs, "answer")
    assert len(answers) == 2 and answers[0]["id"] != answers[1]["id"]
    for a in answers:
        assert (
            "".join(d["content"] for d in answer_deltas(evs) if d["id"] == a["id"]) == a["content"]
        )
    names = [n for n, _ in evs]
    second_delta = next(i for i, (n, d) in enumerate(evs) if d.get("id") == answers[1]["id"])
    assert names[second_delta - 1] == "conversation.message.completed"


def test_help_lists_every_command_a_line_a_delta(client: httpx.Client) -> None:
    received = events(chat(client, "/help").text)
    content = completed(received, "answer")[0]["content"]
    deltas = [d["content"] for n, d in received if n == "conversation.message.delta"]
    assert "".join(deltas) == content and len(deltas) == len(content.splitlines())
    assert all(delta.count("\n") <= 1 for delta in deltas)
    for c in COMMANDS:
        assert f"`{c.usage}`" in content and c.help in content
    assert "<" not in content
    assert simulator.__doc__ is not None
    for c in COMMANDS:
        assert c.usage in simulator.__doc__


def test_xss_content(client: httpx.Client) -> None:
    content = completed(events(chat(client, "/xss test").text), "answer")[0]["content"]
    assert '<script>alert("xss")</script>' in content
    assert "<img src=x onerror=\"alert('xss')\">" in content
    assert "<b>bold?</b>" in content


def test_parse_message() -> None:
    p = parse_message("/think /long 300 hello /stall 1.5 /fail busy world /long x /late 2")
    assert p.think and p.long == 300 and p.stall == 1.5 and p.fail == "busy" and p.late == 2
    assert p.question == "hello world /long x"
    assert parse_message("/late soon").late is None
    assert parse_message("  plain   text ").question == "plain   text"


# The value each placeholder of the command table stands for in the tests below.
EXAMPLE_ARGUMENTS = {"N": "7", "S": "0.5"}


def test_every_usage_help_lists_parses_as_its_command(client: httpx.Client) -> None:
    content = completed(events(chat(client, "/help").text), "answer")[0]["content"]
    usages = re.findall(r"^- `([^`]+)`: ", content, flags=re.MULTILINE)
    assert usages == [c.usage for c in COMMANDS]
    defaults = asdict(ParsedMessage(question="q"))
    for usage in usages:
        command = " ".join(EXAMPLE_ARGUMENTS.get(word, word) for word in usage.split())
        parsed = parse_message(f"q {command}")
        assert parsed.commands == [command] and parsed.question == "q", usage
        changed = {k for k, v in asdict(parsed).items() if v != defaults[k]} - {"commands"}
        assert len(changed) == 1, (usage, changed)  # the command set its one field
    assert parse_message("/fail busy").fail == "busy"
    assert parse_message("/long 7").long == 7 and parse_message("/stall 0.5").stall == 0.5


def test_unknown_fail_kind_and_missing_arguments_stay_text() -> None:
    for text in ("/fail nope", "/fail", "/long", "/stall", "/late x", "/fail /think"):
        parsed = parse_message(f"{text} q")
        assert parsed.fail is None and parsed.long is None and parsed.stall is None
        assert parsed.late is None
    parsed = parse_message("/fail /think q")
    assert parsed.think and parsed.question == "/fail q"


def test_digits_int_rejects_are_plain_text(client: httpx.Client) -> None:
    # "²".isdigit() is True but int("²") raises: that used to crash the handler.
    assert parse_message("/long ² x") == ParsedMessage(question="/long ² x")
    assert parse_message("/long " + "1" * 5000).long is None  # int() refuses > 4300 digits
    evs = events(chat(client, "/long ² x").text)
    assert 'You asked: "/long ² x"' in completed(evs, "answer")[0]["content"]
    assert evs[-1] == ("done", "[DONE]")


def test_no_numeric_character_breaks_the_parser() -> None:
    numeric = [chr(c) for c in range(0x110000) if chr(c).isnumeric()]
    assert len(numeric) > 1000
    for ch in numeric:
        long, stall, late = (parse_message(f"{c} {ch}") for c in ("/long", "/stall", "/late"))
        if ch.isdecimal():  # a decimal digit of any script, as int() and float() read them
            digit = unicodedata.decimal(ch)
            assert long.long == (digit or None) and stall.stall == late.late == digit, ch
        else:  # superscripts, fractions, circled numbers, ...: plain text
            assert long.long is None and stall.stall is None and late.late is None, ch


# -- timing --------------------------------------------------------------------------------


def test_pacing_lower_bound() -> None:
    with (
        CozeSimulator(pat=PAT, bot_id=BOT_ID, deltas_per_second=20) as s,
        httpx.Client(base_url=s.base_url) as c,
    ):
        t0 = time.monotonic()
        evs = events(chat(c, "/long 10 paced").text)
        elapsed = time.monotonic() - t0
    assert len(answer_deltas(evs)) == 10
    assert elapsed >= 0.4
    rec = s.streams[0]
    assert rec.last_delta_sent_at is not None and rec.first_delta_sent_at is not None
    assert rec.last_delta_sent_at - rec.first_delta_sent_at >= 0.4


def test_on_delta_reports_every_answer_delta() -> None:
    calls: list[tuple[str, int, float]] = []

    def on_delta(chat_id: str, index: int, sent_at: float) -> None:
        calls.append((chat_id, index, sent_at))

    with (
        CozeSimulator(pat=PAT, bot_id=BOT_ID, deltas_per_second=0, on_delta=on_delta) as s,
        httpx.Client(base_url=s.base_url) as c,
    ):
        evs = events(chat(c, "/think /multi /long 7 hooked").text)
        chat(c, "/long 3 again")
    first, second = s.streams
    n = len(answer_deltas(evs))
    assert n == first.deltas_sent > 7  # /multi's second message counts on
    assert first.reasoning_deltas_sent > 0  # reasoning deltas are no answer deltas
    assert [(chat_id, index) for chat_id, index, _ in calls] == [
        (first.chat_id, i) for i in range(n)
    ] + [(second.chat_id, i) for i in range(3)]
    times = [sent_at for _, _, sent_at in calls]
    assert times == sorted(times)
    assert first.first_delta_sent_at is not None and first.last_delta_sent_at is not None
    assert first.first_delta_sent_at <= times[0] and times[n - 1] == first.last_delta_sent_at


def test_stall_pauses_after_three_deltas() -> None:
    with (
        CozeSimulator(pat=PAT, bot_id=BOT_ID, deltas_per_second=0) as s,
        httpx.Client(base_url=s.base_url) as c,
    ):
        t0 = time.monotonic()
        evs = events(chat(c, "/stall 0.5 /long 6 x").text)
        assert time.monotonic() - t0 >= 0.5
    assert len(answer_deltas(evs)) == 6


def test_late_sends_nothing_until_then_and_the_chat_can_be_cancelled_meanwhile(
    sim: CozeSimulator, client: httpx.Client
) -> None:
    replies: list[httpx.Response] = []
    # The request blocks until the headers come, so it is sent from a thread.
    sender = threading.Thread(
        target=lambda: replies.append(
            client.post("/v3/chat", json=body("/late 30 wait"), headers=auth())
        )
    )
    sender.start()
    # The chat exists before a byte of the reply: its ids are in the simulator's record.
    record = sim.wait_for(lambda: sim.streams)[0]
    ids = {"conversation_id": record.conversation_id, "chat_id": record.chat_id}
    assert client.post("/v3/chat/cancel", json=ids, headers=auth()).json()["code"] == 0
    sender.join(10)
    assert not sender.is_alive()  # the cancel ended the 30 s wait
    (r,) = replies
    text = r.text
    assert r.status_code == 200
    assert events(text)[0][0] == "conversation.chat.created"
    assert text.endswith('event:done\ndata:"[DONE]"\n\n')
    assert sim.streams[0].outcome == "canceled"


def test_late_holds_back_the_headers() -> None:
    with (
        CozeSimulator(pat=PAT, bot_id=BOT_ID, deltas_per_second=0) as s,
        httpx.Client(base_url=s.base_url) as c,
    ):
        t0 = time.monotonic()
        with c.stream("POST", "/v3/chat", json=body("/late 0.5 x"), headers=auth()) as r:
            assert time.monotonic() - t0 >= 0.5
            assert [e for e, _ in events(r.read().decode())][-1] == "done"


def test_deltas_arrive_incrementally(sim: CozeSimulator, client: httpx.Client) -> None:
    with client.stream("POST", "/v3/chat", json=body("/slow step"), headers=auth()) as r:
        parts = r.iter_raw()
        buf = bytearray()
        read_until(parts, buf, b"event:conversation.message.delta")
        record = sim.wait_for(lambda: sim.streams)[0]
        assert not record.finished and not record.ended
        sim.wait_for(lambda: record.deltas_sent >= 1)
    sim.wait_for(lambda: record.ended)


# -- cancel and disconnect -----------------------------------------------------------------


def test_cancel_running_chat(sim: CozeSimulator, client: httpx.Client) -> None:
    with (
        httpx.Client(base_url=sim.base_url) as other,
        client.stream("POST", "/v3/chat", json=body("/slow cancel me"), headers=auth()) as r,
    ):
        parts = r.iter_raw()
        buf = bytearray()
        read_until(parts, buf, b"event:conversation.message.delta")
        created = json.loads(bytes(buf).decode().split("\n\n")[0].split("data:", 1)[1])
        ids = {"conversation_id": created["conversation_id"], "chat_id": created["id"]}
        # The client may read a delta before the simulator has counted it as sent.
        sim.wait_for(lambda: sim.streams[0].deltas_sent >= 1)
        sent_before_cancel = sim.streams[0].deltas_sent
        c = other.post("/v3/chat/cancel", json=ids, headers=auth())
        assert c.status_code == 200 and c.json()["code"] == 0
        assert c.json()["data"]["status"] == "canceled" and c.json()["data"]["id"] == created["id"]
        assert LOGID_RE.match(c.headers["x-tt-logid"])
        for piece in parts:
            buf += piece
        # It ended at once: the next /slow delta (due a second later) was never sent.
        assert sim.streams[0].deltas_sent == sent_before_cancel
    text = bytes(buf).decode()
    assert text.endswith('event:done\ndata:"[DONE]"\n\n')
    assert "conversation.chat.completed" not in text
    assert sim.cancels[0].running and sim.cancels[0].chat_id == created["id"]
    assert sim.streams[0].outcome == "canceled"

    again = client.post("/v3/chat/cancel", json=ids, headers=auth())  # the connection is reusable
    data = assert_json_error(again, 200, 4104)
    assert data["msg"] == "chat is not in progress, can not cancel"
    assert not sim.cancels[1].running


def test_cancel_unknown_chat_and_auth(sim: CozeSimulator, client: httpx.Client) -> None:
    ids = {"conversation_id": "1" * 19, "chat_id": "2" * 19}
    assert_json_error(client.post("/v3/chat/cancel", json=ids, headers=auth()), 200, 4104)
    assert_json_error(client.post("/v3/chat/cancel", json=ids, headers=auth("x")), 401, 4100)
    assert_json_error(client.post("/v3/chat/cancel", json={}, headers=auth()), 200, 4000)
    assert [c.running for c in sim.cancels] == [False]


def test_disconnect_is_recorded(sim: CozeSimulator, client: httpx.Client) -> None:
    with client.stream("POST", "/v3/chat", json=body("/slow bye"), headers=auth()) as r:
        buf = bytearray()
        read_until(r.iter_raw(), buf, b"event:conversation.message.delta")
    chat_id = sim.streams[0].chat_id
    assert sim.wait_for(lambda: sim.disconnects, timeout=5) == [chat_id]
    assert sim.streams[0].outcome == "disconnected" and not sim.streams[0].finished


# -- connections, secrets, lifecycle -------------------------------------------------------


def test_connection_reuse(sim: CozeSimulator, client: httpx.Client) -> None:
    for q in ("first", "second"):
        evs = events(chat(client, q).text)
        assert evs[-1] == ("done", "[DONE]")
    assert chat(client, "/fail busy").json()["code"] == 4009
    assert chat(client, "third").status_code == 200
    ports = {r.client_port for r in sim.requests}
    assert len(ports) == 1


def test_token_never_in_responses(sim: CozeSimulator, client: httpx.Client) -> None:
    messages = ["hi", "/help", "/think /multi x", "/xss", "/long 20 x"]
    messages += [
        f"/fail {k}"
        for k in simulator.FAIL_KINDS
        if k not in ("echo-token", "echo-token-everywhere", "cut")
    ]
    for m in messages:
        r = chat(client, m)
        assert PAT not in r.text and PAT not in str(r.headers), m
    r = client.post("/v3/chat", json=body(), headers=auth("wrong"))
    assert PAT not in r.text and "wrong" not in r.text


def test_stop_is_quick_with_open_stream() -> None:
    s = CozeSimulator(pat=PAT, bot_id=BOT_ID).start()
    c = httpx.Client(base_url=s.base_url)
    try:
        with c.stream("POST", "/v3/chat", json=body("/slow forever"), headers=auth()) as r:
            buf = bytearray()
            parts = r.iter_raw()
            read_until(parts, buf, b"event:conversation.message.delta")
            s.stop()  # returns although a stream is open (a hang fails on the test timeout)
            with pytest.raises(httpx.RemoteProtocolError):  # cut, no terminator
                for piece in parts:
                    buf += piece
        assert s.streams[0].outcome == "stopped"
    finally:
        c.close()
        s.stop()


def test_env_and_base_url(sim: CozeSimulator) -> None:
    assert re.match(r"^http://127\.0\.0\.1:\d+$", sim.base_url)
    assert sim.env() == {"COZE_PAT": PAT, "COZE_BOT_ID": BOT_ID, "COZE_API_BASE_URL": sim.base_url}


def test_wait_for_times_out(sim: CozeSimulator) -> None:
    with pytest.raises(TimeoutError):
        sim.wait_for(lambda: sim.disconnects, timeout=0.1)


def test_concurrent_streams(sim: CozeSimulator) -> None:
    results: list[str] = []

    def run(i: int) -> None:
        with httpx.Client(base_url=sim.base_url) as c:
            evs = events(chat(c, f"q{i}").text)
            results.append(completed(evs, "answer")[0]["content"])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.split("\n")[0] for r in results) == [f"## 关于「q{i}」" for i in range(5)]


@pytest.mark.parametrize("chat_first", [True, False], ids=["after a chat", "at once"])
def test_command_line_runs_and_stops_cleanly(chat_first: bool) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "coze_stream.simulator",
            "--port",
            "0",
            "--pat",
            "demo-token",
            "--deltas-per-second",
            "0",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # As from a terminal: a script's background job ignores Ctrl+C (SIGINT), and a child
        # inherits that, so the simulator would never hear it (every run of the suite started
        # in the background failed here).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(5)]
        url = lines[0].strip().rsplit(" ", 1)[1]
        assert lines[1].strip() == f"export COZE_API_BASE_URL={url}"
        assert lines[2].strip() == "export COZE_PAT=demo-token"
        assert lines[3].strip() == f"export COZE_BOT_ID={simulator.DEMO_BOT_ID}"
        assert "/help" in lines[4]
        if chat_first:
            r = httpx.post(
                f"{url}/v3/chat",
                json={**body("cli"), "bot_id": simulator.DEMO_BOT_ID},
                headers=auth("demo-token"),
            )
            assert r.status_code == 200 and r.text.endswith('data:"[DONE]"\n\n')
        proc.send_signal(signal.SIGINT)  # as soon as it says Ctrl+C stops it
        _, err = proc.communicate(timeout=10)
        assert proc.returncode == 0
        assert "Traceback" not in err and "demo-token" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# -- Coze's wider vocabulary: question nodes, plugins, object_string, failure shapes ----------


def test_question_streams_the_question_then_waits_for_a_reply(
    sim: CozeSimulator, client: httpx.Client
) -> None:
    evs = events(chat(client, "/question 订票").text)
    question = "".join(d["content"] for d in answer_deltas(evs))
    assert question == completed(evs, "answer")[0]["content"] and "Which day" in question
    names = [n for n, _ in evs]
    assert names[-2:] == ["conversation.chat.requires_action", "done"]
    assert "conversation.chat.completed" not in names
    action = evs[-2][1]
    assert action["status"] == "requires_action"
    (call,) = action["required_action"]["submit_tool_outputs"]["tool_calls"]
    assert call["type"] == "reply_message"
    assert sim.streams[-1].outcome == "requires-action"


def test_plugin_asks_for_a_client_side_function(client: httpx.Client) -> None:
    evs = events(chat(client, "/plugin 天气").text)
    assert answer_deltas(evs) == []
    (call,) = evs[-2][1]["required_action"]["submit_tool_outputs"]["tool_calls"]
    assert (call["type"], call["function"]["name"]) == ("function", "get_weather")


def test_rich_is_an_object_string_with_a_served_image(
    sim: CozeSimulator, client: httpx.Client
) -> None:
    evs = events(chat(client, "/rich 销售").text)
    (rich,) = completed(evs, "answer")
    assert rich["content_type"] == "object_string"
    items = json.loads(rich["content"])
    assert [item["type"] for item in items] == ["text", "image", "file", "file"]
    image = client.get(items[1]["file_url"].removeprefix(sim.base_url))
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert client.get("/files/nothing.png").status_code == 404


def test_fail_failed_bare_sends_a_bare_code_and_msg(client: httpx.Client) -> None:
    evs = events(chat(client, "/fail failed-bare hi").text)
    assert len(answer_deltas(evs)) == 5
    assert evs[-2] == ("conversation.chat.failed", {"code": 4011, "msg": "balance is not enough"})


def test_fail_error_code_string_sends_the_code_as_a_string(client: httpx.Client) -> None:
    evs = events(chat(client, "/fail error-code-string hi").text)
    assert evs[-1] == ("error", {"code": "4011", "msg": "balance is not enough"})


def test_fail_bare_json_is_an_event_stream_of_json(client: httpx.Client) -> None:
    r = chat(client, "/fail bare-json hi")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    assert r.json()["code"] == 4101 and "event:" not in r.text


# -- memory: earlier messages in additional_messages ---------------------------------------


def question(text: str) -> dict[str, Any]:
    return {"role": "user", "type": "question", "content": text, "content_type": "text"}


def said(text: str) -> dict[str, Any]:
    return {"role": "assistant", "type": "answer", "content": text, "content_type": "text"}


def with_messages(*messages: Any) -> dict[str, Any]:
    return {**body(), "additional_messages": list(messages)}


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        (with_messages(), "non-empty list"),
        ({**body(), "additional_messages": "hi"}, "non-empty list"),
        ({**body(), "additional_messages": None}, "non-empty list"),
        (with_messages(*[question("x")] * 101), "at most 100"),
        (with_messages("hi", question("q")), "additional_messages[0] must be an object"),
        (with_messages({**said("a"), "role": "system"}, question("q")), "[0].role"),
        (with_messages({**said("a"), "role": "bot"}, question("q")), "[0].role"),
        (with_messages(said("a"), {**question("q"), "role": None}), "[1].role"),
        (with_messages({**said("a"), "type": "question"}, question("q")), "[0].type"),
        (with_messages(said("a"), {**question("q"), "type": "answer"}), "[1].type"),
        (with_messages({**said("a"), "type": "follow_up"}, question("q")), "[0].type"),
        (with_messages({**said("a"), "content": 7}, question("q")), "[0].content"),
        (with_messages(said(" \n"), question("q")), "[0].content"),
        (with_messages({**said("a"), "content_type": "card"}, question("q")), "[0].content_type"),
        (with_messages(question("q"), said("a")), "end with the user's message"),
        (with_messages(question("q"), {"role": "user"}), "[1].content"),
    ],
)
def test_malformed_additional_messages_are_refused_with_4000(
    sim: CozeSimulator, client: httpx.Client, payload: dict[str, Any], words: str
) -> None:
    data = assert_json_error(client.post("/v3/chat", json=payload, headers=auth()), 200, 4000)
    assert data["msg"].startswith("invalid parameter: ") and words in data["msg"]
    assert sim.streams == []


def test_type_and_content_type_may_be_left_out(client: httpx.Client) -> None:
    messages = [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]
    r = client.post("/v3/chat", json=with_messages(*messages, question("q")), headers=auth())
    assert r.status_code == 200 and events(r.text)[-1] == ("done", "[DONE]")


def test_one_hundred_messages_are_taken(sim: CozeSimulator, client: httpx.Client) -> None:
    earlier = [question(f"m{i}") if i % 2 else said(f"a{i}") for i in range(99)]
    r = client.post("/v3/chat", json=with_messages(*earlier, question("q")), headers=auth())
    assert r.status_code == 200
    assert len(sim.streams[-1].earlier) == 99


def test_each_chat_records_the_earlier_messages_it_was_told(
    sim: CozeSimulator, client: httpx.Client
) -> None:
    payload = with_messages(question("我叫小明"), said("你好，小明！"), question("我叫什么？"))
    client.post("/v3/chat", json=payload, headers=auth())
    (record,) = sim.streams
    assert record.message == record.question == "我叫什么？"
    assert record.earlier == [
        simulator.RecordedMessage("user", "我叫小明", "question", "text"),
        simulator.RecordedMessage("assistant", "你好，小明！", "answer", "text"),
    ]
    chat(client, "alone")
    assert sim.streams[1].earlier == []


def test_recall_lists_what_the_bot_was_told(client: httpx.Client) -> None:
    payload = with_messages(
        question("我叫小明"),
        said("## 你好\n\n小明！  Nice\tto meet you."),
        question("what is my name"),
        said("小明"),
        question("/recall 我叫什么？"),
    )
    evs = events(client.post("/v3/chat", json=payload, headers=auth()).text)
    (content,) = [d["content"] for d in completed(evs, "answer")]
    assert content == (
        "## 我记得的对话 / What I was told\n\n"
        'You asked: "我叫什么？"\n\n'
        "I was sent 4 earlier messages / 更早的消息：\n\n"
        "- user: 我叫小明\n"
        "- assistant: ## 你好 小明！ Nice to meet you.\n"
        "- user: what is my name\n"
        "- assistant: 小明\n"
    )
    assert "".join(d["content"] for d in answer_deltas(evs)) == content


def test_recall_without_earlier_messages_says_so(client: httpx.Client) -> None:
    content = completed(events(chat(client, "/recall").text), "answer")[0]["content"]
    assert "I was sent no earlier messages" in content and "- user" not in content


def test_the_input_count_grows_with_what_the_bot_was_told(client: httpx.Client) -> None:
    def input_count(payload: dict[str, Any]) -> int:
        evs = events(client.post("/v3/chat", json=payload, headers=auth()).text)
        (usage,) = [d["usage"] for n, d in evs if n == "conversation.chat.completed"]
        return int(usage["input_count"])

    alone = input_count(with_messages(question("q")))
    assert input_count(with_messages(said("x" * 400), question("q"))) == alone + 200


# -- message feedback ----------------------------------------------------------------------


def feedback_path(conversation_id: str, message_id: str) -> str:
    return f"/v1/conversations/{conversation_id}/messages/{message_id}/feedback"


def answered(client: httpx.Client, message: str = "rate me") -> tuple[str, str]:
    """(conversation id, answer message id) of a finished chat."""
    (answer,) = completed(events(chat(client, message).text), "answer")
    return answer["conversation_id"], answer["id"]


def test_feedback_on_an_answer_is_taken_and_can_be_taken_back(
    sim: CozeSimulator, client: httpx.Client
) -> None:
    conv, msg = answered(client)
    path = feedback_path(conv, msg)
    r = client.post(path, json={"feedback_type": "like"}, headers=auth())
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    assert r.json() == {"code": 0, "msg": "", "detail": {"logid": r.headers["x-tt-logid"]}}
    assert sim.feedback_of(conv, msg) == "like"
    extra = {"feedback_type": "unlike", "reason_types": ["wrong"], "comment": "不对"}
    assert client.post(path, json=extra, headers=auth()).json()["code"] == 0
    assert sim.feedback_of(conv, msg) == "unlike"
    r = client.delete(path, headers=auth())
    assert r.status_code == 200 and r.json()["code"] == 0
    assert sim.feedback_of(conv, msg) is None
    assert client.delete(path, headers=auth()).json()["code"] == 0  # nothing to take back: fine
    assert [(f.method, f.feedback_type, f.code) for f in sim.feedbacks] == [
        ("POST", "like", 0),
        ("POST", "unlike", 0),
        ("DELETE", None, 0),
        ("DELETE", None, 0),
    ]
    assert sim.feedbacks[1].reason_types == ["wrong"] and sim.feedbacks[1].comment == "不对"


def test_feedback_on_every_kind_of_answer_message(sim: CozeSimulator, client: httpx.Client) -> None:
    evs = events(chat(client, "/multi two").text)
    first, second = completed(evs, "answer")
    for answer in (first, second):
        path = feedback_path(answer["conversation_id"], answer["id"])
        assert client.post(path, json={"feedback_type": "like"}, headers=auth()).json()["code"] == 0
    for command in ("/card x", "/rich y"):
        (answer,) = completed(events(chat(client, command).text), "answer")
        path = feedback_path(answer["conversation_id"], answer["id"])
        assert client.post(path, json={"feedback_type": "like"}, headers=auth()).json()["code"] == 0


def test_feedback_for_a_message_the_simulator_never_sent_is_not_found(
    sim: CozeSimulator, client: httpx.Client
) -> None:
    conv, msg = answered(client)
    other_conv, other_msg = answered(client, "another chat")
    evs = events(chat(client, "follow me").text)
    (follow_up, *_) = completed(evs, "follow_up")
    for c, m in [
        ("1" * 19, msg),  # an unknown conversation
        (conv, "2" * 19),  # an unknown message
        (conv, other_msg),  # a message of another conversation
        (follow_up["conversation_id"], follow_up["id"]),  # not an answer
    ]:
        for method in ("POST", "DELETE"):
            r = client.request(
                method, feedback_path(c, m), json={"feedback_type": "like"}, headers=auth()
            )
            data = assert_json_error(r, 200, 4200)
            assert data["msg"].startswith("resource not found")
    assert {f.code for f in sim.feedbacks} == {4200}
    assert sim.feedback_of(conv, other_msg) is None and sim.feedback_of(other_conv, msg) is None


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ({}, "feedback_type"),
        ({"feedback_type": "love"}, "feedback_type"),
        ({"feedback_type": "LIKE"}, "feedback_type"),
        ({"feedback_type": None}, "feedback_type"),
        ({"feedback_type": "like", "reason_types": "wrong"}, "reason_types"),
        ({"feedback_type": "like", "reason_types": [1]}, "reason_types"),
        ({"feedback_type": "like", "comment": 5}, "comment"),
        ([1, 2], "JSON object"),
    ],
)
def test_malformed_feedback_is_refused_with_4000(
    sim: CozeSimulator, client: httpx.Client, payload: Any, words: str
) -> None:
    conv, msg = answered(client)
    r = client.post(feedback_path(conv, msg), json=payload, headers=auth())
    data = assert_json_error(r, 200, 4000)
    assert data["msg"].startswith("invalid parameter: ") and words in data["msg"]
    assert sim.feedback_of(conv, msg) is None and sim.feedbacks[-1].code == 4000


def test_feedback_needs_the_token(sim: CozeSimulator, client: httpx.Client) -> None:
    conv, msg = answered(client)
    for headers in (auth("wrong"), {}):
        r = client.post(feedback_path(conv, msg), json={"feedback_type": "like"}, headers=headers)
        assert_json_error(r, 401, 4100)
        assert_json_error(client.delete(feedback_path(conv, msg), headers=headers), 401, 4100)
    assert sim.feedbacks == [] and sim.feedback_of(conv, msg) is None


def test_feedback_paths_are_percent_decoded_and_other_shapes_are_no_endpoint(
    sim: CozeSimulator, client: httpx.Client
) -> None:
    conv, msg = answered(client)
    encoded = "".join(f"%{b:02X}" for b in msg.encode())  # every digit percent-encoded
    r = client.post(feedback_path(conv, encoded), json={"feedback_type": "like"}, headers=auth())
    assert r.json()["code"] == 0 and sim.feedback_of(conv, msg) == "like"
    for path in (
        f"/v1/conversations/{conv}/messages/{msg}",
        f"/v1/conversations/{conv}/messages//feedback",
        f"/v1/conversations/{conv}/messages/{msg}/feedback/more",
        f"/v2/conversations/{conv}/messages/{msg}/feedback",
    ):
        assert_json_error(client.post(path, json={}, headers=auth()), 404, 4000)
    assert_json_error(client.get(feedback_path(conv, msg), headers=auth()), 404, 4000)
    assert_json_error(client.put(feedback_path(conv, msg), json={}, headers=auth()), 404, 4000)


# -- a public demo's bounds, and its language -------------------------------------------------


@pytest.mark.parametrize(
    "message", ["/slow /long 100 q", "/stall 3600 q", "/late 3600 q", "/think /slow q"]
)
def test_with_a_time_limit_an_answer_ends_where_it_is(message: str) -> None:
    # /slow sends a delta a second: 100 of them would take 100 s; the limit ends it at 1 s.
    with (
        CozeSimulator(pat=PAT, bot_id=BOT_ID, deltas_per_second=1000, max_chat_seconds=1) as s,
        httpx.Client(base_url=s.base_url, timeout=10) as c,
    ):
        received = events(chat(c, message).text)
        names = [n for n, _ in received]
        assert names[-2:] == ["conversation.chat.completed", "done"]
        texts = [d["content"] for d in answer_deltas(received)]
        answers = completed(received, "answer")
        # What was sent of the answer is the answer: nothing more is claimed.
        assert [a["content"] for a in answers] == (["".join(texts)] if texts else [])
        assert len(completed(received, "follow_up")) == 3
        assert s.streams[0].outcome == "completed"
        if "/long 100" in message:
            assert 0 < len(texts) < 100


def test_help_says_the_time_limit_when_there_is_one() -> None:
    with (
        CozeSimulator(pat=PAT, bot_id=BOT_ID, deltas_per_second=0, max_chat_seconds=60) as s,
        httpx.Client(base_url=s.base_url, timeout=10) as c,
    ):
        content = completed(events(chat(c, "/help").text), "answer")[0]["content"]
    assert "at most 60 s" in content and "最长 60 秒" in content


@pytest.mark.parametrize(
    ("accept", "chinese", "english"),
    [
        ("en-US,en;q=0.9", False, True),
        ("zh-CN", True, False),
        ("fr", True, True),
        (None, True, True),
    ],
)
def test_answers_follow_the_language_the_request_names(
    client: httpx.Client, accept: str | None, chinese: bool, english: bool
) -> None:
    headers = auth() | ({"Accept-Language": accept} if accept else {})
    received = events(client.post("/v3/chat", json=body("/think hello"), headers=headers).text)
    texts = [
        completed(received, "answer")[0]["content"],
        completed(received, "answer")[0]["reasoning_content"],
        *(f["content"] for f in completed(received, "follow_up")),
    ]
    # In both languages, each suggestion is in one of them.
    for text in texts[:2] + (texts[2:] if chinese != english else ["".join(texts[2:])]):
        assert bool(re.search(r"[\u4e00-\u9fff]", text)) == chinese, text
        assert bool(re.search(r"\b(the|you|and|with|about|in|is)\b", text)) == english, text


def test_think_n_streams_exactly_n_reasoning_deltas_of_one_paragraph() -> None:
    assert parse_message("/think 40 why").think_deltas == 40
    assert parse_message("/think why").think_deltas is None and parse_message("/think why").think
    with (
        CozeSimulator(pat=PAT, bot_id=BOT_ID, deltas_per_second=0) as s,
        httpx.Client(base_url=s.base_url) as c,
    ):
        chat(c, "/think 40 why")
    [record] = s.streams
    assert record.reasoning_deltas_sent == 40
    assert "\n" not in record.reasoning and "why" in record.reasoning

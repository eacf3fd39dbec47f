"""The simulator's files and voice over real HTTP on 127.0.0.1: its upload checks (plain httpx,
no client code), object_string questions and what they are answered, transcription, speech and
voices; then the client against it."""

from __future__ import annotations

import io
import json
import wave
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from coze_stream import (
    Attachment,
    ContextMessage,
    CozeAPIError,
    CozeAuthError,
    CozeConfig,
    CozeError,
    Voice,
    list_voices,
    stream_text,
    synthesize_speech,
    transcribe_audio,
    upload_file,
)
from coze_stream.simulator import CozeSimulator, state
from coze_stream.simulator.uploads import FAIL_CODES
from coze_stream.simulator.voice import TRANSCRIPTS, VOICES
from tests.helpers import BOT_ID, TOKEN

pytestmark = pytest.mark.timeout(30)

PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def sim() -> Iterator[CozeSimulator]:
    """A fresh simulator for each test: these tests read its records from the start."""
    with CozeSimulator(pat=TOKEN, bot_id=BOT_ID, deltas_per_second=0) as s:
        yield s


@pytest.fixture
def http(sim: CozeSimulator) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=sim.base_url, headers=headers, timeout=10) as c:
        yield c


@pytest.fixture
def config(sim: CozeSimulator) -> CozeConfig:
    return CozeConfig(pat=TOKEN, bot_id=BOT_ID, base_url=sim.base_url)


def upload(http: httpx.Client, name: str, data: bytes, mime: str = "application/octet-stream"):
    return http.post("/v1/files/upload", files={"file": (name, data, mime)})


def file_id(http: httpx.Client, name: str = "chart.png", data: bytes = PNG) -> str:
    reply = upload(http, name, data).json()
    assert reply["code"] == 0, reply
    return str(reply["data"]["id"])


def chat(http: httpx.Client, messages: list[dict[str, Any]], language: str = "en") -> dict:
    """The chat's error reply, or its answer's completed text as {"answer": ...}."""
    body = {"bot_id": BOT_ID, "user_id": "u", "stream": True, "additional_messages": messages}
    reply = http.post("/v3/chat", json=body, headers={"Accept-Language": language})
    if reply.headers["content-type"].startswith("application/json"):
        return dict(reply.json())
    texts = []
    for block in reply.text.split("\n\n"):
        event, _, data = block.partition("\ndata:")
        if event == "event:conversation.message.completed":
            message = json.loads(data)
            if message["type"] == "answer":
                texts.append(message["content"])
    return {"code": 0, "answer": "\n\n".join(texts)}


def objects(*items: dict[str, str]) -> dict[str, Any]:
    content = json.dumps(list(items))
    return {"role": "user", "content": content, "content_type": "object_string"}


def text(words: str, role: str = "user") -> dict[str, Any]:
    return {"role": role, "content": words, "content_type": "text"}


# -- uploads ---------------------------------------------------------------------------------------


def test_a_file_is_taken_recorded_without_its_content_and_kept_by_id(sim, http):
    reply = upload(http, "chart.png", PNG, "image/png")
    data = reply.json()["data"]
    assert reply.json()["code"] == 0
    assert data["bytes"] == len(PNG) and data["file_name"] == "chart.png"
    assert isinstance(data["id"], str) and data["id"].isdigit()
    assert isinstance(data["created_at"], int)
    [record] = sim.uploads
    assert (record.path, record.name, record.size, record.content_type, record.code) == (
        "/v1/files/upload",
        "chart.png",
        len(PNG),
        "image/png",
        0,
    )
    assert record.file_id == data["id"]
    assert "PNG" not in repr(sim.uploads) + repr(sim.files)  # the content is never kept
    [stored] = sim.files
    assert (stored.file_id, stored.kind, stored.size) == (data["id"], "image", len(PNG))


@pytest.mark.parametrize(
    ("files", "code"),
    [
        ({"other": ("a.png", PNG)}, 4300),  # no part named file
        ({"file": ("a.png", b"")}, 4300),
        ([("file", ("a.png", PNG)), ("file", ("b.png", PNG))], 4301),
        ({"file": ("setup.exe", b"MZ")}, 4303),
        ({"file": ("notes.txt", b"hello")}, 4303),  # not on Coze's list
        ({"file": ("photo.png", b"GIF89a not a png")}, 4000),
        ({"file": ("photo.jpg", PNG)}, 4000),
        ({"file": ("paper.pdf", b"not a pdf")}, 4000),
        ({"file": ("anim.webp", b"RIFF\0\0\0\0WAVE")}, 4000),
    ],
)
def test_coze_s_checks_on_an_upload(sim, http, files, code):
    reply = http.post("/v1/files/upload", files=files)
    assert reply.status_code == 200
    assert reply.json()["code"] == code
    assert reply.json()["detail"]["logid"] == reply.headers["x-tt-logid"]
    assert sim.uploads[-1].code == code and sim.files == []


def test_a_json_body_is_no_file_and_a_wrong_token_is_refused_first(sim, http):
    assert http.post("/v1/files/upload", json={"file": "x"}).json()["code"] == 4300
    reply = http.post(
        "/v1/files/upload",
        files={"file": ("a.png", PNG)},
        headers={"Authorization": "Bearer wrong"},
    )
    assert (reply.status_code, reply.json()["code"]) == (401, 4100)


def test_a_file_over_the_simulator_s_limit_is_4302(sim, http):
    sim.max_upload_bytes = 100
    assert upload(http, "big.pdf", b"%PDF-" + bytes(200)).json()["code"] == 4302
    assert upload(http, "small.pdf", b"%PDF-" + bytes(50)).json()["code"] == 0


@pytest.mark.parametrize("code", sorted(FAIL_CODES))
def test_a_file_named_fail_nnnn_gets_that_code(sim, http, code):
    reply = upload(http, f"fail-{code}.png", PNG)
    assert reply.json()["code"] == code
    assert reply.status_code == (401 if code == 4100 else 200)


def test_the_simulator_forgets_its_oldest_files(sim, http, monkeypatch):
    monkeypatch.setattr(state, "MAX_STORED_FILES", 2)
    ids = [file_id(http, f"{n}.png") for n in range(3)]
    assert [f.file_id for f in sim.files] == ids[1:]
    answer = chat(
        http, [objects({"type": "text", "text": "q"}, {"type": "image", "file_id": ids[0]})]
    )
    assert answer["code"] == 4000 and "does not exist" in answer["msg"]


def test_help_names_the_failures_a_file_name_asks_for(http):
    answer = chat(http, [text("/help")])["answer"]
    assert "fail-NNNN" in answer and "fail-4302.txt" in answer


# -- object_string questions ---------------------------------------------------------------------


def test_a_question_with_files_is_answered_with_what_it_received(http):
    image, pdf = file_id(http, "chart.png"), file_id(http, "report.pdf", PDF)
    question = objects(
        {"type": "text", "text": "What are these?"},
        {"type": "image", "file_id": image},
        {"type": "file", "file_id": pdf},
    )
    answer = chat(http, [question], "en")["answer"]
    assert "I received 2 file(s)" in answer
    assert f"- chart.png: image, {len(PNG)} bytes" in answer
    assert f"- report.pdf: file, {len(PDF)} bytes" in answer
    chinese = chat(http, [question], "zh")["answer"]
    assert "我收到了 2 个文件" in chinese and f"chart.png：图片，{len(PNG)} 字节" in chinese


def test_earlier_files_are_memory(http):
    earlier = file_id(http, "old.pdf", PDF)
    now = file_id(http, "new.png")
    messages = [
        objects({"type": "text", "text": "keep this"}, {"type": "file", "file_id": earlier}),
        text("kept", "assistant"),
        objects({"type": "text", "text": "and this"}, {"type": "image", "file_id": now}),
    ]
    assert "The earlier messages carried 1 file(s)" in chat(http, messages)["answer"]
    recall = [*messages[:2], text("/recall")]
    assert "- user: keep this [file: old.pdf]" in chat(http, recall)["answer"]


def test_files_alone_are_taken_before_a_question_and_refused_without_one(http):
    pdf = file_id(http, "a.pdf", PDF)
    files_alone = objects({"type": "file", "file_id": pdf})
    assert chat(http, [files_alone, text("what is it?")])["code"] == 0
    refused = chat(http, [files_alone])
    assert refused["code"] == 4000 and "without a question" in refused["msg"]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ([{"type": "text", "text": "q"}], "needs at least one image or file"),
        (
            [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}, {"type": "file"}],
            "file_id",
        ),
        ([{"type": "text", "text": "a"}, {"type": "text", "text": "b"}], "more than one text"),
        ([{"type": "text", "text": "q"}, {"type": "image", "file_id": "999"}], "does not exist"),
        ([{"type": "audio", "file_id": "1"}], "type must be"),
        ([{"type": "text", "text": ""}], "non-empty"),
        ([], "non-empty JSON list"),
        ("not json", "not valid JSON"),
        ({"a": 1}, "non-empty JSON list"),
    ],
)
def test_object_string_rules(http, content, words):
    raw = content if isinstance(content, str) else json.dumps(content)
    message = {"role": "user", "content": raw, "content_type": "object_string"}
    refused = chat(http, [message])
    assert refused["code"] == 4000 and words in refused["msg"]


def test_object_string_content_must_be_a_string_and_only_a_user_s(http):
    pdf = file_id(http, "a.pdf", PDF)
    items = [{"type": "text", "text": "q"}, {"type": "file", "file_id": pdf}]
    as_list = {"role": "user", "content": items, "content_type": "object_string"}
    assert "JSON string" in chat(http, [as_list])["msg"]
    bot = {**objects(*items), "role": "assistant"}
    assert chat(http, [bot, text("q")])["code"] == 4000


# -- voice -----------------------------------------------------------------------------------------


def transcribe(http: httpx.Client, name: str, data: bytes, language: str = "zh") -> dict:
    files = {"file": (name, data, "audio/wav")}
    headers = {"Accept-Language": language}
    return dict(http.post("/v1/audio/transcriptions", files=files, headers=headers).json())


def test_a_recording_is_heard_as_a_fixed_sentence_in_the_asked_language(sim, http):
    assert transcribe(http, "voice.wav", b"RIFF....")["data"]["text"] == TRANSCRIPTS["zh"]
    assert transcribe(http, "voice.wav", b"RIFF", "en")["data"]["text"] == TRANSCRIPTS["en"]
    first = sim.uploads[0]
    assert (first.path, first.name, first.size) == ("/v1/audio/transcriptions", "voice.wav", 8)


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("voice.wav", b"", 4000),
        ("voice.flac", b"fLaC", 4000),
        ("fail-4101.wav", b"RIFF", 4101),
        ("fail-5000.wav", b"RIFF", 5000),
    ],
)
def test_a_recording_can_fail(http, name, data, code):
    assert transcribe(http, name, data)["code"] == code


def speak(http: httpx.Client, **fields: Any) -> httpx.Response:
    body = {"input": "你好", "voice_id": VOICES[0][0], "response_format": "wav", **fields}
    return http.post("/v1/audio/speech", json=body)


def seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 16000)
        return wav.getnframes() / wav.getframerate()


def test_speech_is_a_short_wav_tone_longer_for_a_longer_text(http):
    short, long = speak(http, input="hi"), speak(http, input="hello " * 20)
    assert short.headers["content-type"] == "audio/wav"
    assert 0.3 <= seconds(short.content) < seconds(long.content) <= 2.0


@pytest.mark.parametrize(
    ("fields", "code", "words"),
    [
        ({"input": ""}, 4000, "input"),
        ({"input": "你" * 342}, 4000, "1024 bytes"),
        ({"voice_id": "nobody"}, 4000, "does not exist"),
        ({"response_format": "mp3"}, 4000, "wav only"),
        ({"speed": 9}, 4000, "speed"),
        ({"input": "say fail-4101 now"}, 4101, "permission"),
    ],
)
def test_speech_is_checked_like_coze(http, fields, code, words):
    reply = speak(http, **fields)
    assert reply.headers["content-type"].startswith("application/json")
    assert reply.json()["code"] == code and words in reply.json()["msg"]


def test_voices_in_coze_s_shape(http):
    data = http.get("/v1/audio/voices", params={"page_num": 1}).json()["data"]
    assert data["has_more"] is False
    assert {v["language_code"] for v in data["voice_list"]} == {"zh", "en"}
    assert http.get("/v1/audio/voices", params={"page_num": 2}).json()["data"]["voice_list"] == []


# -- the client against the simulator ----------------------------------------------------------


def test_the_client_uploads_and_asks_about_its_files_with_memory(sim, config):
    image_id = upload_file(config, "图表.png", PNG)
    pdf_id = upload_file(config, "report.pdf", PDF)
    image = Attachment(image_id, "图表.png", "image", len(PNG))
    pdf = Attachment(pdf_id, "report.pdf", "file", len(PDF))
    context = [ContextMessage("user", "first", (pdf,)), ContextMessage("assistant", "ok")]
    answer = "".join(stream_text(config, "这是什么？", context=context, attachments=[image]))
    assert f"图表.png：图片 (image)，{len(PNG)} 字节" in answer
    assert "更早的消息里有 1 个文件" in answer
    stream = sim.streams[-1]
    assert [(kind, f.name) for kind, f in stream.files] == [("image", "图表.png")]
    assert stream.earlier[0].files[0][1].name == "report.pdf"


@pytest.mark.parametrize(
    ("name", "cls", "words"),
    [
        ("fail-4300.png", CozeAPIError, "no file, or an empty one"),
        ("fail-4301.png", CozeAPIError, "one file per upload"),
        ("fail-4302.png", CozeAPIError, "larger than Coze takes"),
        ("fail-4303.png", CozeAPIError, "does not take files of this type"),
        ("fail-4304.png", CozeAPIError, "invalid or damaged"),
        ("fail-4000.png", CozeAPIError, "may not match its extension"),
        ("fail-4100.png", CozeAuthError, "uploadFile"),
        ("fail-4101.png", CozeAuthError, "uploadFile"),
        ("mislabelled.png", CozeAPIError, "may not match its extension"),
    ],
)
def test_every_upload_failure_reaches_the_client_as_its_sentence(config, name, cls, words):
    with pytest.raises(CozeError) as caught:
        upload_file(config, name, b"not an image")
    assert type(caught.value) is cls and words in caught.value.sentence
    assert caught.value.logid


def test_the_client_s_voice_calls_against_the_simulator(config):
    assert transcribe_audio(config, b"RIFF....WAVE") == TRANSCRIPTS["zh"]
    voices = list_voices(config)
    assert voices == [Voice(voice_id, name, code) for voice_id, name, code, _ in VOICES]
    audio = synthesize_speech(config, "你好，世界。", voices[1].voice_id)
    assert 0.3 <= seconds(audio) <= 2.0
    with pytest.raises(CozeAuthError, match="createSpeech"):
        synthesize_speech(config, "fail-4101", voices[0].voice_id)

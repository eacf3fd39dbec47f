"""Voice against faked HTTP (respx): transcription's multipart request, speech's raw bytes
against its JSON errors, the voice list with hostile items, and which failures are sent again."""

from __future__ import annotations

import json

import httpx
import pytest

from coze_stream import (
    MAX_SPEECH_INPUT_BYTES,
    MAX_TRANSCRIPTION_BYTES,
    CozeAPIError,
    CozeAuthError,
    CozeConnectionError,
    CozeRateLimitError,
    Voice,
    list_voices,
    synthesize_speech,
    transcribe_audio,
)
from coze_stream._audio import MAX_SPEECH_BYTES
from tests.helpers import BASE, CONFIG, TOKEN

TRANSCRIBE = f"{BASE}/v1/audio/transcriptions"
SPEECH = f"{BASE}/v1/audio/speech"
VOICES = f"{BASE}/v1/audio/voices"
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(40)


def coze_error(code: int, msg: str = "no", status: int = 200) -> httpx.Response:
    body = {"code": code, "msg": msg, "detail": {"logid": "BODYLOGID"}}
    return httpx.Response(status, json=body, headers={"x-tt-logid": "LOGID1"})


def heard(text: object = "你好呀") -> httpx.Response:
    return httpx.Response(200, json={"code": 0, "msg": "", "data": {"text": text}})


# -- transcription --------------------------------------------------------------------------------


def test_a_recording_is_one_multipart_part_named_file_and_its_text_comes_back(mock):
    route = mock.post(TRANSCRIBE).mock(return_value=heard(" 你好呀 "))
    assert transcribe_audio(CONFIG, WAV) == "你好呀"
    request = route.calls.last.request
    boundary = request.headers["content-type"].split("boundary=", 1)[1].encode()
    assert request.content == (
        b"--" + boundary + b"\r\n"
        b'Content-Disposition: form-data; name="file"; filename="voice.wav"\r\n'
        b"Content-Type: audio/wav\r\n\r\n" + WAV + b"\r\n--" + boundary + b"--\r\n"
    )
    assert request.headers["authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize(
    ("data", "name", "mime"),
    [
        (b"", "voice.wav", "audio/wav"),
        (b"x" * (MAX_TRANSCRIPTION_BYTES + 1), "voice.wav", "audio/wav"),
        (WAV, "", "audio/wav"),
        (WAV, "voice.wav", "audio/wav\nX: y"),
    ],
)
def test_a_recording_no_request_can_carry_is_refused_before_any_request(mock, data, name, mime):
    route = mock.post(TRANSCRIBE).mock(return_value=heard())
    with pytest.raises(ValueError):
        transcribe_audio(CONFIG, data, name, mime)
    assert route.call_count == 0


@pytest.mark.parametrize(("code", "cls"), [(4100, CozeAuthError), (4101, CozeAuthError)])
def test_a_token_without_the_permission_is_told_which_one(mock, code, cls):
    mock.post(TRANSCRIBE).mock(return_value=coze_error(code))
    with pytest.raises(cls, match="createTranscription") as caught:
        transcribe_audio(CONFIG, WAV)
    assert (caught.value.code, caught.value.logid) == (code, "LOGID1")


@pytest.mark.parametrize(
    "reply",
    [
        httpx.Response(200, json={"code": 0, "data": {}}),
        httpx.Response(200, json={"code": 0, "data": {"text": 7}}),
        httpx.Response(200, text="<html></html>"),
    ],
)
def test_a_reply_without_text_is_an_error(mock, reply):
    mock.post(TRANSCRIBE).mock(return_value=reply)
    with pytest.raises(CozeAPIError, match="something unexpected"):
        transcribe_audio(CONFIG, WAV)


def test_a_paid_call_is_sent_again_only_when_coze_cannot_have_done_it(mock, sleeps):
    # Rate-limited, then no connection at all: both sent again.
    route = mock.post(TRANSCRIBE).mock(
        side_effect=[coze_error(4020, status=429), httpx.ConnectError("x"), heard("ok")]
    )
    assert transcribe_audio(CONFIG, WAV) == "ok"
    assert route.call_count == 3
    # A 502, or a connection closed without an answer, may come after Coze did the work.
    for failure in (httpx.Response(502, text="bad gateway"), httpx.RemoteProtocolError("x")):
        route = mock.post(TRANSCRIBE).mock(side_effect=[failure, heard("again")])
        route.reset()
        with pytest.raises((CozeAPIError, CozeConnectionError)):
            transcribe_audio(CONFIG, WAV)
        assert route.call_count == 1


# -- speech ----------------------------------------------------------------------------------------


def test_speech_sends_coze_s_json_and_returns_the_raw_audio(mock):
    route = mock.post(SPEECH).mock(
        return_value=httpx.Response(200, content=WAV, headers={"content-type": "audio/wav"})
    )
    assert synthesize_speech(CONFIG, "你好", "742894", speed=1.5) == WAV
    request = route.calls.last.request
    assert json.loads(request.content) == {
        "input": "你好",
        "voice_id": "742894",
        "response_format": "wav",
        "speed": 1.5,
    }
    assert request.headers["content-type"] == "application/json"


def test_audio_is_audio_whatever_its_first_byte_and_however_it_is_labelled(mock):
    pcm = b"{" + bytes(99)  # a raw sample can be a brace
    mock.post(SPEECH).mock(
        return_value=httpx.Response(200, content=pcm, headers={"content-type": "audio/pcm"})
    )
    assert synthesize_speech(CONFIG, "hi", "v", audio_format="pcm") == pcm
    mock.post(SPEECH).mock(return_value=httpx.Response(200, content=b"ID3\x04mp3"))
    assert synthesize_speech(CONFIG, "hi", "v", audio_format="mp3") == b"ID3\x04mp3"


@pytest.mark.parametrize(
    ("reply", "cls", "words"),
    [
        (coze_error(4101), CozeAuthError, "createSpeech"),
        (coze_error(4100, status=401), CozeAuthError, "createSpeech"),
        (coze_error(4000, "voice not found"), CozeAPIError, "invalid"),
        (coze_error(4008), CozeRateLimitError, "daily"),
        # JSON labelled as audio by a proxy still reads as Coze's error.
        (
            httpx.Response(200, content=b'{"code":4101,"msg":"x"}', headers={"content-type": ""}),
            CozeAuthError,
            "createSpeech",
        ),
        (httpx.Response(200, json={"code": 0, "msg": ""}), CozeAPIError, "unexpected"),
        (httpx.Response(200, content=b""), CozeAPIError, "unexpected"),
        (httpx.Response(200, text="<html>login</html>"), CozeAPIError, "unexpected"),
        (httpx.Response(404, text="not here"), CozeAPIError, "speech service was not found"),
        (
            httpx.Response(500, content=b"RIFF", headers={"content-type": "audio/wav"}),
            CozeAPIError,
            "trouble",
        ),
    ],
)
def test_a_failed_speech_is_an_error_never_audio(mock, reply, cls, words):
    mock.post(SPEECH).mock(return_value=reply)
    with pytest.raises(cls, match=words):
        synthesize_speech(CONFIG, "hi", "v")


def test_audio_larger_than_the_cap_is_an_error(mock):
    big = b"\0" * (MAX_SPEECH_BYTES + 1)
    mock.post(SPEECH).mock(
        return_value=httpx.Response(200, content=big, headers={"content-type": "audio/wav"})
    )
    with pytest.raises(CozeAPIError, match="larger than this app reads"):
        synthesize_speech(CONFIG, "hi", "v")


@pytest.mark.parametrize(
    ("text", "voice", "extra"),
    [
        ("", "v", {}),
        ("   ", "v", {}),
        ("你" * 342, "v", {}),  # 1026 bytes
        ("hi", "", {}),
        ("hi", "v\n", {}),
        ("hi", "v", {"audio_format": "flac"}),
        ("hi", "v", {"speed": 0.1}),
        ("hi", "v", {"speed": float("nan")}),
        ("hi", "v", {"speed": 4}),
    ],
)
def test_what_coze_would_refuse_is_refused_before_any_request(mock, text, voice, extra):
    route = mock.post(SPEECH).mock(return_value=httpx.Response(200, content=WAV))
    with pytest.raises(ValueError):
        synthesize_speech(CONFIG, text, voice, **extra)
    assert route.call_count == 0


def test_exactly_1024_bytes_of_text_go_out(mock):
    route = mock.post(SPEECH).mock(return_value=httpx.Response(200, content=WAV))
    text = "你" * 341 + "a"  # 1024 bytes
    assert len(text.encode()) == MAX_SPEECH_INPUT_BYTES
    synthesize_speech(CONFIG, text, "v")
    assert json.loads(route.calls.last.request.content)["input"] == text


# -- voices ----------------------------------------------------------------------------------------


def voice(voice_id: object, name: object = "晓晓", code: object = "zh") -> dict:
    return {"voice_id": voice_id, "name": name, "language_code": code, "is_system_voice": True}


def page(items: list, has_more: bool = False) -> httpx.Response:
    body = {"code": 0, "msg": "", "data": {"voice_list": items, "has_more": has_more}}
    return httpx.Response(200, json=body)


def test_voices_are_read_page_by_page_and_hostile_items_are_dropped(mock):
    hostile = [
        "not an object",
        voice(None),
        voice(""),
        voice("id\nwith a break"),
        voice("x" * 300),
        voice("v9", name=""),
        voice("v9", name="n" * 201),
        voice("v9", name=["list"]),
        voice("v9", code=None),
        voice("v9", code="z" * 40),
        voice("v1", name="duplicate of v1"),
    ]
    route = mock.get(VOICES).mock(
        side_effect=[
            page([voice("v1", "  Xiao\n Xiao "), *hostile], has_more=True),
            page([voice("v2", "Ava", "EN")], has_more=False),
        ]
    )
    assert list_voices(CONFIG) == [Voice("v1", "Xiao Xiao", "zh"), Voice("v2", "Ava", "en")]
    pages = [dict(call.request.url.params) for call in route.calls]
    assert pages == [
        {"page_num": "1", "page_size": "100"},
        {"page_num": "2", "page_size": "100"},
    ]


def test_at_most_three_pages_are_read(mock):
    route = mock.get(VOICES).mock(side_effect=lambda request: page([voice("v1")], has_more=True))
    assert list_voices(CONFIG) == [Voice("v1", "晓晓", "zh")]
    assert route.call_count == 3


@pytest.mark.parametrize(
    ("reply", "cls", "words"),
    [
        (coze_error(4101), CozeAuthError, "listVoice"),
        (
            httpx.Response(200, json={"code": 0, "data": {"voice_list": "x"}}),
            CozeAPIError,
            "unexpected",
        ),
    ],
)
def test_a_failed_voice_list_is_an_error(mock, reply, cls, words):
    mock.get(VOICES).mock(return_value=reply)
    with pytest.raises(cls, match=words):
        list_voices(CONFIG)


def test_the_token_never_appears_in_an_audio_error(mock):
    echo = {"code": 4101, "msg": f"bad {TOKEN}", "detail": {"logid": TOKEN}}
    for method, url, call in (
        ("post", TRANSCRIBE, lambda: transcribe_audio(CONFIG, WAV)),
        ("post", SPEECH, lambda: synthesize_speech(CONFIG, "hi", "v")),
        ("get", VOICES, lambda: list_voices(CONFIG)),
    ):
        getattr(mock, method)(url).mock(return_value=httpx.Response(200, json=echo))
        with pytest.raises(CozeAuthError) as caught:
            call()
        assert "CANARY" not in str(caught.value) + repr(caught.value.__dict__)

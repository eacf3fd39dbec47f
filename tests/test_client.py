"""The client against faked HTTP (respx) and raw SSE bytes, including Coze's own recordings."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
import respx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import coze_stream
from coze_answer import stream_text
from coze_stream import (
    AnswerCompleted,
    AnswerDelta,
    ChatCompleted,
    ChatStarted,
    CozeAPIError,
    CozeAuthError,
    CozeBotError,
    CozeConfig,
    CozeConnectionError,
    CozeError,
    CozeRateLimitError,
    CozeStreamError,
    CozeTimeoutError,
    FollowUp,
    ReasoningDelta,
    Usage,
    _request,
    cancel_chat,
    stream_chat,
)
from tests.helpers import (
    BASE,
    CHAT_URL,
    CONFIG,
    SSE,
    TOKEN,
    USAGE,
    chat,
    frame,
    message,
    sse_response,
)

FULL_STREAM = b"".join(
    [
        frame("conversation.chat.created", chat("created")),
        frame("conversation.chat.in_progress", chat()),
        frame("conversation.message.delta", message("answer", "", reasoning_content="想一想")),
        frame("conversation.message.delta", message("answer", "你好")),
        frame("conversation.message.delta", message("answer", ", world")),
        frame("conversation.message.completed", message("answer", "你好, world!")),
        frame(
            "conversation.message.completed",
            message("verbose", '{"msg_type":"generate_answer_finish"}', "v"),
        ),
        frame("conversation.message.completed", message("follow_up", "再说一遍?", "f1")),
        frame("conversation.message.completed", message("follow_up", "Why?", "f2")),
        frame("conversation.audio.delta", message("answer", "AAAA", content_type="audio")),
        frame("conversation.chat.completed", chat("completed", usage=USAGE)),
        frame("done", '"[DONE]"'),
    ]
)


def test_public_api_is_listed():
    assert set(coze_stream.__all__) >= {
        "CozeConfig",
        "load_config",
        "stream_chat",
        "cancel_chat",
        "CozeError",
        "ChatStarted",
        "AnswerDelta",
        "ReasoningDelta",
        "AnswerCompleted",
        "FollowUp",
        "ChatCompleted",
        "Usage",
    }
    for name in coze_stream.__all__:
        assert hasattr(coze_stream, name)


def test_every_event_kind(mock):
    mock.post(CHAT_URL).mock(return_value=sse_response(FULL_STREAM))
    assert list(stream_chat(CONFIG, "hi")) == [
        ChatStarted("conv1", "chat1"),
        ReasoningDelta("想一想", "m1"),
        AnswerDelta("你好", "m1"),
        AnswerDelta(", world", "m1"),
        AnswerCompleted("你好, world!", "m1"),
        FollowUp("再说一遍?"),
        FollowUp("Why?"),
        ChatCompleted(Usage(30, 10, 20)),
    ]


def test_request_body_and_headers(mock):
    route = mock.post(CHAT_URL).mock(return_value=sse_response(FULL_STREAM))
    list(stream_chat(CONFIG, "你好"))
    request = route.calls.last.request
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["accept"] == "text/event-stream"
    assert request.headers["accept-encoding"] == "gzip, deflate"  # what _body inflates
    assert "conversation_id" not in request.url.params
    body = json.loads(request.content)
    assert body["stream"] is True
    assert body["bot_id"] == CONFIG.bot_id
    assert isinstance(body["user_id"], str) and uuid.UUID(body["user_id"]).version == 4
    assert "conversation_id" not in body
    assert body["additional_messages"] == [
        {"role": "user", "type": "question", "content": "你好", "content_type": "text"}
    ]


def test_each_call_gets_a_fresh_user_id_unless_one_is_given(mock):
    route = mock.post(CHAT_URL).mock(side_effect=lambda request: sse_response(FULL_STREAM))
    list(stream_chat(CONFIG, "a"))
    list(stream_chat(CONFIG, "b"))
    list(stream_chat(CONFIG, "c", user_id="me"))
    ids = [json.loads(call.request.content)["user_id"] for call in route.calls]
    assert ids[0] != ids[1] and ids[2] == "me"


def test_stream_text_yields_deltas_and_separates_answer_messages(mock):
    body = b"".join(
        [
            frame("conversation.chat.created", chat("created")),
            frame("conversation.message.delta", message("answer", "one", "a")),
            frame("conversation.message.delta", message("answer", " two", "a")),
            frame("conversation.message.delta", message("answer", "three", "b")),
            frame("conversation.message.completed", message("answer", "whole", "c")),
            frame("conversation.chat.completed", chat("completed")),
        ]
    )
    mock.post(CHAT_URL).mock(return_value=sse_response(body))
    # Delta by delta; a new message's blank line goes out with its first text.
    assert list(stream_text(CONFIG, "hi")) == ["one", " two", "\n\nthree", "\n\nwhole"]


def test_stream_text_uses_cozes_completed_text_where_it_can(mock, recording):
    # The completed text goes on where the deltas stopped: the rest is yielded.
    mock.post(CHAT_URL).mock(return_value=sse_response(FULL_STREAM))
    assert list(stream_text(CONFIG, "hi")) == ["你好", ", world", "!"]
    # It differs from the deltas ("20星期三。" against "2024 年 10 月 1 日是星期三。"): text
    # already yielded cannot be taken back, so nothing is added (AnswerStream says Replace).
    mock.post(CHAT_URL).mock(return_value=sse_response(recording("chat_text_stream_resp.txt")))
    assert "".join(stream_text(CONFIG, "hi")) == "20星期三。"


def test_an_empty_message_fails_before_anything_runs(mock):
    route = mock.post(CHAT_URL).mock(return_value=sse_response(FULL_STREAM))
    for empty in ("", "  \n"):
        with pytest.raises(ValueError, match="non-empty"):
            stream_chat(CONFIG, empty)  # not iterated: the call itself raises
        with pytest.raises(ValueError, match="non-empty"):
            stream_text(CONFIG, empty).__next__()
    assert route.call_count == 0


# -- Coze's recorded streams, with the outcome their README states ------------------------------


def test_recording_text_stream(mock, recording):
    mock.post(CHAT_URL).mock(return_value=sse_response(recording("chat_text_stream_resp.txt")))
    events = list(stream_chat(CONFIG, "hi"))
    assert [e.text for e in events if isinstance(e, AnswerDelta)] == ["2", "0", "星期三", "。"]
    assert [e.text for e in events if isinstance(e, AnswerCompleted)] == [
        "2024 年 10 月 1 日是星期三。"
    ]
    assert events[-1] == ChatCompleted(Usage(token_count=633, input_count=614, output_count=19))
    assert events[0] == ChatStarted("7381473525342978089", "7382159487131697202")


def test_recording_audio_stream_ignores_audio(mock, recording):
    mock.post(CHAT_URL).mock(return_value=sse_response(recording("chat_audio_stream_resp.txt")))
    events = list(stream_chat(CONFIG, "hi"))
    assert [type(e) for e in events] == [ChatStarted, AnswerDelta, AnswerCompleted, ChatCompleted]
    assert events[2].text == "delta text"


def test_recording_chat_failed(mock, recording):
    mock.post(CHAT_URL).mock(return_value=sse_response(recording("chat_failed_resp.txt")))
    with pytest.raises(CozeAPIError) as caught:  # Coze named the cause: code 5000
        list(stream_chat(CONFIG, "hi"))
    assert caught.value.code == 5000
    assert "event interval error" in str(caught.value)


def test_recording_error_event(mock, recording):
    mock.post(CHAT_URL).mock(return_value=sse_response(recording("chat_error_resp.txt")))
    with pytest.raises(CozeStreamError) as caught:
        list(stream_chat(CONFIG, "hi"))
    assert caught.value.code is None and caught.value.coze_message is None
    assert str(caught.value) == "Coze stopped the answer with an error: try again in a moment."


def test_recording_invalid_is_ignored_then_cut_off(mock, recording):
    mock.post(CHAT_URL).mock(return_value=sse_response(recording("chat_invalid_resp.txt")))
    with pytest.raises(CozeStreamError, match="ended before it was complete"):
        list(stream_chat(CONFIG, "hi"))


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_chunking_of_a_recording_gives_the_same_events(recording, data):
    body = recording("chat_text_stream_resp.txt")
    body = body.replace(b"\n", b"\r\n") if data.draw(st.booleans()) else body
    cuts = sorted(data.draw(st.lists(st.integers(1, len(body) - 1), max_size=30, unique=True)))
    chunks = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
    with respx.mock:
        respx.post(CHAT_URL).mock(return_value=sse_response(chunks))
        events = list(stream_chat(CONFIG, "hi"))
    assert [type(e) for e in events] == [ChatStarted] + [AnswerDelta] * 4 + [
        AnswerCompleted,
        ChatCompleted,
    ]
    assert "".join(e.text for e in events if isinstance(e, AnswerDelta)) == "20星期三。"
    assert events[-2].text == "2024 年 10 月 1 日是星期三。"


# -- SSE syntax Coze or a proxy may send -----------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(
            FULL_STREAM.replace(b"event:", b"event: ").replace(b"data:", b"data: "), id="with-space"
        ),
        pytest.param(FULL_STREAM.replace(b"\n", b"\r\n"), id="crlf"),
        pytest.param(FULL_STREAM.replace(b"\n", b"\r"), id="cr"),
        pytest.param(
            FULL_STREAM.replace(b"event:", b": keep-alive\nid: 7\nretry: 100\nevent:"),
            id="comments-id-retry",
        ),
        pytest.param(FULL_STREAM.replace(b'data:"[DONE]"', b"data:[DONE]"), id="done-bare"),
        pytest.param(FULL_STREAM.replace(b'data:"[DONE]"', b"data:"), id="done-empty"),
        pytest.param(FULL_STREAM.rstrip(b"\n"), id="no-trailing-blank-line"),
    ],
)
def test_sse_syntax_variants(mock, body):
    mock.post(CHAT_URL).mock(return_value=sse_response(body))
    events = list(stream_chat(CONFIG, "hi"))
    assert [e.text for e in events if isinstance(e, AnswerDelta)] == ["你好", ", world"]
    assert events[-1] == ChatCompleted(Usage(30, 10, 20))


def test_unicode_line_separators_inside_json_do_not_split_events(mock):
    text = "a\u2028b\u2029c\u0085d"
    body = (
        frame("conversation.chat.created", chat("created"))
        + frame("conversation.message.delta", message("answer", text))
        + frame("conversation.chat.completed", chat("completed"))
    )
    mock.post(CHAT_URL).mock(return_value=sse_response(body))
    assert list(stream_text(CONFIG, "hi")) == [text]


def test_unknown_and_non_text_events_are_skipped(mock):
    body = b"".join(
        [
            frame("conversation.chat.created", chat("created")),
            frame("something.new", {"x": 1}),
            frame(
                "conversation.message.delta", message("answer", '{"card":1}', content_type="card")
            ),
            frame("conversation.message.delta", message("function_call", "{}")),
            frame("conversation.message.delta", message("answer", "ok")),
            frame("conversation.message.completed", message("tool_response", "{}")),
            frame("conversation.chat.completed", chat("completed")),
        ]
    )
    mock.post(CHAT_URL).mock(return_value=sse_response(body))
    assert list(stream_text(CONFIG, "hi")) == ["ok"]


# -- errors ----------------------------------------------------------------------------------------


def json_error(
    code: int, msg: str, status: int = 200, logid: str | None = "LOGID1", **headers: str
) -> httpx.Response:
    body = {"code": code, "msg": msg, "detail": {"logid": "BODYLOGID"}}
    return httpx.Response(
        status, json=body, headers={**({"x-tt-logid": logid} if logid else {}), **headers}
    )


@pytest.mark.parametrize("status", [200, 401])
def test_json_error_with_any_status(mock, status, sleeps):
    mock.post(CHAT_URL).mock(return_value=json_error(4100, "authentication is invalid", status))
    with pytest.raises(CozeAuthError) as caught:
        list(stream_chat(CONFIG, "hi"))
    error = caught.value
    assert (error.code, error.logid, error.http_status) == (4100, "LOGID1", status)
    text = str(error)
    assert "wrong or has expired" in text
    assert "COZE_API_BASE_URL=https://api.coze.com" in text
    assert "4100" in text and "authentication is invalid" in text and "LOGID1" in text
    assert sleeps == []


def test_a_code_sent_as_a_string_is_read_as_in_an_error_event(mock, sleeps):
    # Coze's backend declares the code as a string in places: one reader for every reply.
    reply = httpx.Response(200, json={"code": "4100", "msg": "authentication is invalid"})
    mock.post(CHAT_URL).mock(return_value=reply)
    with pytest.raises(CozeAuthError) as caught:
        list(stream_chat(CONFIG, "hi"))
    assert caught.value.code == 4100 and caught.value.http_status == 200


def test_logid_falls_back_to_the_body(mock):
    mock.post(CHAT_URL).mock(return_value=json_error(4200, "not found", logid=None))
    with pytest.raises(CozeBotError) as caught:
        list(stream_chat(CONFIG, "hi"))
    assert caught.value.logid == "BODYLOGID"


@pytest.mark.parametrize(
    ("code", "cls", "words"),
    [
        (4101, CozeAuthError, "permission"),
        (700012006, CozeAuthError, "token"),
        (4006, CozeBotError, "COZE_BOT_ID"),
        (4015, CozeBotError, "not published"),
        (4200, CozeBotError, "COZE_BOT_ID"),
        (4008, CozeRateLimitError, "daily"),
        (4013, CozeRateLimitError, "try again"),
        (4028, CozeRateLimitError, "quota"),
        (4000, CozeAPIError, "invalid"),
        (4011, CozeAPIError, "run out"),
        (123456, CozeAPIError, "error"),
    ],
)
def test_error_codes_map_to_classes_with_advice(mock, sleeps, code, cls, words):
    route = mock.post(CHAT_URL).mock(return_value=json_error(code, "msg"))
    with pytest.raises(cls) as caught:
        list(stream_chat(CONFIG, "hi"))
    assert type(caught.value) is cls
    assert words in str(caught.value)
    assert route.call_count == 1 and sleeps == []


def test_html_502_gives_the_http_status_after_retries(mock, sleeps):
    page = httpx.Response(
        502,
        text="<html><body><h1>502 Bad Gateway</h1></body></html>",
        headers={"content-type": "text/html"},
    )
    route = mock.post(CHAT_URL).mock(return_value=page)
    with pytest.raises(CozeAPIError) as caught:
        list(stream_chat(CONFIG, "hi"))
    assert caught.value.http_status == 502 and caught.value.code is None
    assert "HTTP 502" in str(caught.value) and "<html>" not in str(caught.value)
    assert route.call_count == 3 and len(sleeps) == 2
    assert 0.25 <= sleeps[0] <= 0.5 and 0.5 <= sleeps[1] <= 1.0  # exponential, jittered


@pytest.mark.parametrize(
    ("response", "words"),
    [
        (httpx.Response(200, content=b"hello"), "no content type"),
        (
            httpx.Response(200, text="<html></html>", headers={"content-type": "text/html"}),
            "text/html",
        ),
        (httpx.Response(200, json={"code": 0, "msg": "", "data": {}}), "plain reply"),
        (httpx.Response(200, json=["not", "an", "object"]), "not a streamed answer"),
    ],
)
def test_unexpected_replies_are_clear_api_errors(mock, response, words):
    mock.post(CHAT_URL).mock(return_value=response)
    with pytest.raises(CozeAPIError, match=words):
        list(stream_chat(CONFIG, "hi"))


def test_error_event_mid_stream_keeps_earlier_events(mock):
    body = FULL_STREAM[: FULL_STREAM.index(b"event:conversation.message.completed")] + frame(
        "error", {"code": 5000, "msg": "internal error"}
    )
    mock.post(CHAT_URL).mock(return_value=sse_response(body))
    received = []
    with pytest.raises(CozeAPIError) as caught:
        for text in stream_text(CONFIG, "hi"):
            received.append(text)
    assert received == ["你好", ", world"]
    assert caught.value.code == 5000 and "internal error" in str(caught.value)


def test_chat_failed_and_requires_action(mock):
    failed = frame("conversation.chat.created", chat("created")) + frame(
        "conversation.chat.failed", chat("failed", last_error={"code": 4011, "msg": "balance"})
    )
    mock.post(CHAT_URL).mock(return_value=sse_response(failed))
    with pytest.raises(CozeAPIError) as caught:
        list(stream_chat(CONFIG, "hi"))
    assert caught.value.code == 4011
    assert str(caught.value).startswith("The Coze account has run out of tokens: top up")
    assert "balance" in str(caught.value)  # Coze's own message follows the sentence
    action = frame("conversation.chat.requires_action", chat("requires_action"))
    mock.post(CHAT_URL).mock(return_value=sse_response(action))
    with pytest.raises(CozeStreamError, match="tool"):
        list(stream_chat(CONFIG, "hi"))


@pytest.mark.parametrize(
    ("event", "code", "cls", "sentence"),
    [
        ("error", 4008, CozeRateLimitError, "The daily message limit for this Coze account has"),
        ("error", 4020, CozeRateLimitError, "Too many requests to Coze right now"),
        ("error", 4100, CozeAuthError, "Coze rejected the access token"),
        ("error", 4105, CozeAPIError, "Coze refused the message because it contains sensitive"),
        ("error", 123456, CozeAPIError, "Coze stopped the answer with an error: try again in a"),
        ("error", 5000, CozeAPIError, "Coze stopped the answer with an error: try again in a"),
        ("error", None, CozeStreamError, "Coze stopped the answer with an error: try again in"),
        ("conversation.chat.failed", 4028, CozeRateLimitError, "The free Coze quota of this"),
        ("conversation.chat.failed", 4015, CozeBotError, "The bot is not published as an API"),
        ("conversation.chat.failed", 0, CozeStreamError, "The bot could not finish its answer"),
    ],
)
def test_a_failure_mid_stream_says_what_its_code_means(mock, event, code, cls, sentence):
    # The class is the cause's, the same as before the stream: only a failure without a code
    # is a CozeStreamError.
    detail = {"code": code, "msg": "detail from Coze"} if code is not None else {}
    data = chat("failed", last_error=detail) if event != "error" else detail
    body = (
        frame("conversation.chat.created", chat("created"))
        + frame("conversation.message.delta", message("answer", "partial"))
        + frame(event, data)
    )
    mock.post(CHAT_URL).mock(return_value=sse_response(body))
    received = []
    with pytest.raises(CozeError) as caught:
        for text in stream_text(CONFIG, "hi"):
            received.append(text)
    assert received == ["partial"]
    assert type(caught.value) is cls
    assert str(caught.value).startswith(sentence)
    assert caught.value.code == (code or None)


def test_malformed_event_data(mock):
    body = (
        frame("conversation.chat.created", chat("created"))
        + b'event:conversation.message.delta\ndata:{"id":"m1","con\n\n'
    )
    mock.post(CHAT_URL).mock(return_value=sse_response(body))
    with pytest.raises(CozeStreamError, match="cannot read"):
        list(stream_chat(CONFIG, "hi"))


def test_cut_off_stream_is_an_error_and_is_not_retried(mock, sleeps):
    def chunks():
        yield frame("conversation.chat.created", chat("created"))
        yield frame("conversation.message.delta", message("answer", "partial"))
        raise httpx.RemoteProtocolError(
            "peer closed connection without sending complete message body"
        )

    route = mock.post(CHAT_URL).mock(side_effect=lambda request: sse_response(chunks()))
    received = []
    with pytest.raises(CozeStreamError, match="broke before the answer was complete"):
        for text in stream_text(CONFIG, "hi"):
            received.append(text)
    assert received == ["partial"]
    assert route.call_count == 1 and sleeps == []


def test_clean_end_without_completed_is_cut_off(mock):
    body = FULL_STREAM[: FULL_STREAM.index(b"event:conversation.chat.completed")]
    mock.post(CHAT_URL).mock(return_value=sse_response(body))
    with pytest.raises(CozeStreamError, match="ended before it was complete"):
        list(stream_chat(CONFIG, "hi"))


def test_lost_trailing_events_after_completed_are_not_an_error(mock):
    def chunks():
        yield FULL_STREAM[: FULL_STREAM.index(b"event:done")]
        raise httpx.ReadError("reset")

    mock.post(CHAT_URL).mock(side_effect=lambda request: sse_response(chunks()))
    assert list(stream_chat(CONFIG, "hi"))[-1] == ChatCompleted(Usage(30, 10, 20))


def test_silence_mid_stream_is_a_timeout(mock, sleeps):
    def chunks():
        yield frame("conversation.chat.created", chat("created"))
        raise httpx.ReadTimeout("timed out")

    route = mock.post(CHAT_URL).mock(side_effect=lambda request: sse_response(chunks()))
    with pytest.raises(CozeTimeoutError, match="sent nothing for 60 seconds"):
        list(stream_chat(CONFIG, "hi"))
    assert route.call_count == 1


def test_timeout_before_the_first_byte_is_not_retried(mock, sleeps):
    route = mock.post(CHAT_URL).mock(side_effect=httpx.ReadTimeout("timed out"))
    with pytest.raises(CozeTimeoutError):
        list(stream_chat(CONFIG, "hi"))
    assert route.call_count == 1


def test_connect_failure_is_retried_then_reported(mock, sleeps):
    route = mock.post(CHAT_URL).mock(
        side_effect=httpx.ConnectError("[Errno 111] Connection refused")
    )
    with pytest.raises(CozeConnectionError) as caught:
        list(stream_chat(CONFIG, "hi"))
    assert "api.coze.cn" in str(caught.value) and "internet connection" in str(caught.value)
    assert route.call_count == 3 and len(sleeps) == 2


def test_connect_failure_then_success(mock, sleeps):
    route = mock.post(CHAT_URL).mock(
        side_effect=[httpx.ConnectError("refused"), sse_response(FULL_STREAM)]
    )
    assert "".join(stream_text(CONFIG, "hi")) == "你好, world!"  # Coze's completed text has the "!"
    assert route.call_count == 2 and len(sleeps) == 1


def test_429_then_200_honours_retry_after(mock, sleeps):
    route = mock.post(CHAT_URL).mock(
        side_effect=[
            json_error(4020, "rate limited", 429, **{"retry-after": "1"}),
            sse_response(FULL_STREAM),
        ]
    )
    assert "".join(stream_text(CONFIG, "hi")) == "你好, world!"  # Coze's completed text has the "!"
    assert route.call_count == 2
    assert sleeps == [1.0]
    first, second = (json.loads(call.request.content) for call in route.calls)
    assert first == second  # the same request, the same user id


def test_retry_after_is_capped(mock, sleeps):
    mock.post(CHAT_URL).mock(
        side_effect=[
            httpx.Response(429, text="slow down", headers={"retry-after": "3600"}),
            sse_response(FULL_STREAM),
        ]
    )
    list(stream_chat(CONFIG, "hi"))
    assert sleeps == [10.0]


def test_busy_is_retried_then_reported(mock, sleeps):
    route = mock.post(CHAT_URL).mock(return_value=json_error(4009, "system busy"))
    with pytest.raises(CozeRateLimitError, match="busy"):
        list(stream_chat(CONFIG, "hi"))
    assert route.call_count == 1 + CONFIG.max_retries


def test_max_retries_zero_means_one_attempt(mock, sleeps):
    route = mock.post(CHAT_URL).mock(return_value=json_error(4009, "system busy"))
    config = CozeConfig(pat=TOKEN, bot_id="1", base_url=BASE, max_retries=0)
    with pytest.raises(CozeRateLimitError):
        list(stream_chat(config, "hi"))
    assert route.call_count == 1 and sleeps == []


@pytest.mark.parametrize(
    "response",
    [
        json_error(4101, f"token {TOKEN} has no permission", 403),
        json_error(4100, f"invalid token Bearer {TOKEN}", 401),
        httpx.Response(200, json={"code": 0, "msg": f"hello {TOKEN}"}),
        sse_response(frame("error", {"code": 4100, "msg": f"bad {TOKEN}"})),
        sse_response(
            frame("conversation.chat.failed", chat("failed", last_error={"code": 1, "msg": TOKEN}))
        ),
    ],
)
def test_token_never_appears_in_errors_even_when_coze_echoes_it(mock, sleeps, response):
    mock.post(CHAT_URL).mock(return_value=response)
    with pytest.raises(CozeError) as caught:
        list(stream_chat(CONFIG, "hi"))
    error = caught.value
    for text in (
        str(error),
        repr(error),
        error.sentence,
        error.coze_message or "",
        *map(str, error.args),
    ):
        assert TOKEN not in text
        assert "pat_CANARY" not in text


def test_token_of_any_shape_is_hidden(mock):
    config = CozeConfig(pat="s3cr3t-token-value", bot_id="1", base_url=BASE)
    mock.post(CHAT_URL).mock(return_value=json_error(4100, "bad token s3cr3t-token-value"))
    with pytest.raises(CozeAuthError) as caught:
        list(stream_chat(config, "hi"))
    assert "s3cr3t-token-value" not in str(caught.value)


def test_empty_message_is_refused_before_any_request(mock):
    route = mock.post(CHAT_URL)
    with pytest.raises(ValueError):
        list(stream_chat(CONFIG, "  \n"))
    assert route.call_count == 0


# -- streaming behaviour ---------------------------------------------------------------------------


def test_deltas_are_yielded_the_moment_their_bytes_arrive(mock):
    received: list[str] = []

    def chunks():
        yield frame("conversation.chat.created", chat("created"))
        yield frame("conversation.message.delta", message("answer", "first"))
        # The consumer must already hold "first" before the server sends more.
        assert received == ["first"], received
        yield frame("conversation.message.delta", message("answer", "second"))
        assert received == ["first", "second"], received
        yield frame("conversation.chat.completed", chat("completed"))

    mock.post(CHAT_URL).mock(side_effect=lambda request: sse_response(chunks()))
    for text in stream_text(CONFIG, "hi"):
        received.append(text)
    assert received == ["first", "second"]


class TrackedStream(httpx.SyncByteStream):
    """A response body that records whether the client closed it."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.closed = False

    def __iter__(self):
        yield from (self.body[i : i + 100] for i in range(0, len(self.body), 100))

    def close(self) -> None:
        self.closed = True


def test_closing_the_generator_closes_the_response(mock):
    stream = TrackedStream(FULL_STREAM)
    mock.post(CHAT_URL).mock(return_value=httpx.Response(200, headers=SSE, stream=stream))
    events = stream_chat(CONFIG, "hi")
    assert isinstance(next(events), ChatStarted)
    assert not stream.closed
    events.close()
    assert stream.closed


def test_a_caller_owned_client_is_used_and_left_open(mock):
    route = mock.post(CHAT_URL).mock(side_effect=lambda request: sse_response(FULL_STREAM))
    with httpx.Client() as client:
        assert (
            "".join(stream_text(CONFIG, "a", client=client)) == "你好, world!"
        )  # Coze's completed text has the "!"
        assert (
            "".join(stream_text(CONFIG, "b", client=client)) == "你好, world!"
        )  # Coze's completed text has the "!"
        assert not client.is_closed
    assert route.call_count == 2


# -- cancel ----------------------------------------------------------------------------------------


def test_cancel_chat(mock):
    route = mock.post(f"{BASE}/v3/chat/cancel").mock(
        return_value=httpx.Response(200, json={"code": 0, "msg": "", "data": chat("canceled")})
    )
    assert cancel_chat(CONFIG, "conv1", "chat1") is True
    request = route.calls.last.request
    assert json.loads(request.content) == {"conversation_id": "conv1", "chat_id": "chat1"}
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["accept"] == "application/json"
    assert request.headers["accept-encoding"] == "gzip, deflate"


def test_cancel_of_a_finished_chat_is_not_an_error(mock):
    mock.post(f"{BASE}/v3/chat/cancel").mock(
        return_value=json_error(4104, "chat is not in progress")
    )
    assert cancel_chat(CONFIG, "conv1", "chat1") is False


def test_cancel_errors_are_mapped(mock):
    mock.post(f"{BASE}/v3/chat/cancel").mock(return_value=json_error(4100, f"bad {TOKEN}", 401))
    with pytest.raises(CozeAuthError) as caught:
        cancel_chat(CONFIG, "conv1", "chat1")
    assert TOKEN not in str(caught.value)
    mock.post(f"{BASE}/v3/chat/cancel").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(CozeConnectionError):
        cancel_chat(CONFIG, "conv1", "chat1")


def test_decoding_failure_is_a_clear_api_error(mock):
    broken = httpx.Response(
        200, stream=TrackedStream(b"\x00not gzip"), headers={**SSE, "content-encoding": "gzip"}
    )
    mock.post(CHAT_URL).mock(return_value=broken)
    with pytest.raises(CozeAPIError, match="could not be decoded"):
        list(stream_chat(CONFIG, "hi"))


def test_a_daily_limit_is_not_retried_even_with_429(mock, sleeps):
    route = mock.post(CHAT_URL).mock(return_value=json_error(4008, "daily limit", 429))
    with pytest.raises(CozeRateLimitError, match="daily"):
        list(stream_chat(CONFIG, "hi"))
    assert route.call_count == 1 and sleeps == []


def test_connect_timeout_is_retried(mock, sleeps):
    route = mock.post(CHAT_URL).mock(
        side_effect=[httpx.ConnectTimeout("slow"), sse_response(FULL_STREAM)]
    )
    assert "".join(stream_text(CONFIG, "hi")) == "你好, world!"  # Coze's completed text has the "!"
    assert route.call_count == 2


@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectError("refused"), httpx.ReadTimeout("silent"), httpx.RemoteProtocolError("cut")],
)
def test_errors_do_not_chain_the_httpx_error_and_its_request(mock, sleeps, failure):
    # An error reporter walking __context__ would find the request, and the token in its headers.
    def chunks():
        yield frame("conversation.chat.created", chat("created"))
        raise failure

    mock.post(CHAT_URL).mock(side_effect=lambda request: sse_response(chunks()))
    with pytest.raises(CozeError) as caught:
        list(stream_chat(CONFIG, "hi"))
    assert caught.value.__context__ is None and caught.value.__cause__ is None
    mock.post(CHAT_URL).mock(side_effect=failure)
    with pytest.raises(CozeError) as caught:
        list(stream_chat(CONFIG, "hi"))
    assert caught.value.__context__ is None and caught.value.__cause__ is None


def test_recordings_keep_the_shapes_their_readme_describes(recording):
    # The fixtures are what makes the tests above mean something: a checkout that changed their
    # bytes (line endings, a trailing newline) would test a different stream.
    text = recording("chat_text_stream_resp.txt")
    assert not text.endswith(b"\n") and b"\r" not in text
    audio = recording("chat_audio_stream_resp.txt")
    assert audio.endswith(b"\n")
    assert audio.index(b"event:conversation.audio.delta") > audio.index(
        b"event:conversation.chat.completed"
    )
    assert recording("chat_error_resp.txt") == b"event:error\ndata:{}"
    assert recording("chat_invalid_resp.txt") == b"event:invalid\ndata:{}"


def test_errors_survive_pickling_with_every_attribute():
    import pickle

    error = CozeRateLimitError(
        "Coze is busy", code=4009, coze_message="busy", logid="L1", http_status=429, retry_after=2.5
    )
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is CozeRateLimitError and str(copy) == str(error)
    assert (copy.code, copy.coze_message, copy.logid, copy.http_status, copy.retry_after) == (
        4009,
        "busy",
        "L1",
        429,
        2.5,
    )
    # A plain sentence is its own template, with no values.
    assert (copy.template, copy.values, copy.sentence) == ("Coze is busy", {}, "Coze is busy")


def test_an_error_keeps_its_template_and_the_values_that_fill_it():
    import pickle

    template = "Could not reach Coze at {host} within {seconds:g} seconds."
    error = CozeConnectionError(
        template, values={"host": "api.coze.cn", "seconds": 2.5}, coze_message="ConnectError"
    )
    assert error.sentence == "Could not reach Coze at api.coze.cn within 2.5 seconds."
    assert str(error) == f"{error.sentence} (Coze said: ConnectError)"
    assert (error.template, error.values) == (template, {"host": "api.coze.cn", "seconds": 2.5})
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is CozeConnectionError and str(copy) == str(error)
    assert (copy.template, copy.values) == (error.template, error.values)


def test_a_value_from_outside_is_hidden_like_the_sentence():
    error = CozeStreamError("Run {plugins}.", values={"plugins": f"echo {TOKEN}"})
    assert TOKEN not in error.sentence and TOKEN not in repr(error)
    assert TOKEN not in str(error.values) and "[token hidden]" in error.values["plugins"]
    # The configured token, whatever its shape, is hidden where the value is picked.
    config = CozeConfig(
        pat="secret-token-123456", bot_id="1", base_url="https://secret-token-123456.example"
    )
    unreachable = _request.http_error(httpx.ConnectError("x"), config)
    assert "secret-token-123456" not in repr(unreachable.values) + str(unreachable)


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e999"])
def test_a_retry_after_that_is_not_a_finite_number_is_ignored(mock, sleeps, value):
    route = mock.post(CHAT_URL).mock(
        side_effect=[
            httpx.Response(429, json={"code": 4020, "msg": "slow"}, headers={"Retry-After": value}),
            sse_response(FULL_STREAM),
        ]
    )
    assert "".join(stream_text(CONFIG, "hi")) == "你好, world!"
    assert route.call_count == 2 and len(sleeps) == 1 and 0 < sleeps[0] <= 0.5  # own backoff


def test_the_last_event_without_its_blank_line_is_read_through_httpx_sse_public_api(mock):
    # Coze's recorded streams end without the blank line that completes the last event. The
    # client gives httpx-sse a plain httpx.Response whose body adds it: if httpx-sse changed
    # how it reads a response, this (and the recording tests) would fail.
    body = frame("conversation.chat.created", chat("created")) + b"event:done\ndata:[DONE]"
    mock.post(CHAT_URL).mock(return_value=sse_response(body))
    assert [type(e) for e in stream_chat(CONFIG, "hi")] == [ChatStarted]  # done ends it well


def test_a_pool_timeout_is_the_app_being_busy_not_the_visitor_s_network(mock):
    mock.post(CHAT_URL).mock(side_effect=httpx.PoolTimeout("no connection free"))
    with pytest.raises(CozeTimeoutError) as caught:
        list(stream_chat(CozeConfig(pat=TOKEN, bot_id="1", base_url=BASE, max_retries=0), "hi"))
    assert "many people at once" in str(caught.value)
    assert "internet connection" not in str(caught.value)

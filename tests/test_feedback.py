"""send_feedback against faked HTTP (respx): the request's raw bytes, and every kind of reply."""

from __future__ import annotations

import httpx
import pytest

from coze_stream import (
    CozeAPIError,
    CozeAuthError,
    CozeConnectionError,
    CozeRateLimitError,
    CozeTimeoutError,
    send_feedback,
)
from tests.helpers import BASE, CONFIG, TOKEN

CONV, MSG = "7381473525342978089", "7382159487131697202"
URL = f"{BASE}/v1/conversations/{CONV}/messages/{MSG}/feedback"


def ok() -> httpx.Response:
    return httpx.Response(200, json={"code": 0, "msg": ""}, headers={"x-tt-logid": "L0"})


def coze_error(code: int, msg: str, status: int = 200, **headers: str) -> httpx.Response:
    body = {"code": code, "msg": msg, "detail": {"logid": "BODYLOGID"}}
    return httpx.Response(status, json=body, headers={"x-tt-logid": "LOGID1", **headers})


# -- the request ----------------------------------------------------------------------------------


@pytest.mark.parametrize("feedback", ["like", "unlike"])
def test_feedback_is_a_post_of_its_type(mock, feedback):
    route = mock.post(URL).mock(return_value=ok())
    assert send_feedback(CONFIG, CONV, MSG, feedback) is None
    request = route.calls.last.request
    assert request.content == b'{"feedback_type":"%s"}' % feedback.encode()
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["accept"] == "application/json"
    assert route.call_count == 1


def test_none_takes_the_feedback_back_with_a_delete_of_the_same_path(mock):
    route = mock.delete(URL).mock(return_value=ok())
    assert send_feedback(CONFIG, CONV, MSG, None) is None
    request = route.calls.last.request
    assert request.method == "DELETE" and request.content == b""
    assert "content-type" not in request.headers
    assert request.headers["authorization"] == f"Bearer {TOKEN}"


def test_ids_are_one_path_segment_each_whatever_they_hold(mock):
    route = mock.post(url__regex=r".*").mock(return_value=ok())
    send_feedback(CONFIG, "a/../b?c=1#d", "消息 %2F", "like")
    assert route.calls.last.request.url.raw_path == (
        b"/v1/conversations/a%2F..%2Fb%3Fc%3D1%23d/messages/%E6%B6%88%E6%81%AF%20%252F/feedback"
    )


@pytest.mark.parametrize(
    ("conversation_id", "message_id", "error"),
    [
        ("", MSG, ValueError),
        (CONV, " ", ValueError),
        (".", MSG, ValueError),
        (CONV, "..", ValueError),
        (CONV, "a\nb", ValueError),
        (CONV, "1" * 257, ValueError),
        (None, MSG, TypeError),
        (CONV, 7382159487131697202, TypeError),
    ],
)
def test_an_id_that_is_no_id_fails_before_any_request(mock, conversation_id, message_id, error):
    route = mock.route().mock(return_value=ok())
    with pytest.raises(error) as caught:
        send_feedback(CONFIG, conversation_id, message_id, "like")
    assert route.call_count == 0
    assert "a\nb" not in str(caught.value)  # the id itself is not repeated


@pytest.mark.parametrize("feedback", ["love", "LIKE", "", True, 1])
def test_another_feedback_fails_before_any_request(mock, feedback):
    route = mock.route().mock(return_value=ok())
    with pytest.raises(ValueError, match="like"):
        send_feedback(CONFIG, CONV, MSG, feedback)
    assert route.call_count == 0


def test_a_given_client_is_used_and_left_open(mock):
    route = mock.post(URL).mock(return_value=ok())
    with httpx.Client() as client:
        send_feedback(CONFIG, CONV, MSG, "like", client=client)
        send_feedback(CONFIG, CONV, MSG, "unlike", client=client)
        assert not client.is_closed
    assert route.call_count == 2


# -- Coze's replies -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [200, 401])
def test_a_bad_token_is_an_auth_error_with_the_token_hidden_and_the_log_id(mock, status):
    mock.post(URL).mock(return_value=coze_error(4100, f"token {TOKEN} is invalid", status))
    with pytest.raises(CozeAuthError) as caught:
        send_feedback(CONFIG, CONV, MSG, "like")
    error = caught.value
    assert error.code == 4100 and error.logid == "LOGID1" and error.http_status == status
    assert TOKEN not in str(error) and "[token hidden]" in str(error)
    assert "COZE_PAT" in str(error)


@pytest.mark.parametrize("code", [4200, 4001, 4002])
def test_an_answer_coze_does_not_know_is_said_so_not_blamed_on_the_bot(mock, code):
    mock.delete(URL).mock(return_value=coze_error(code, "resource not found"))
    with pytest.raises(CozeAPIError) as caught:
        send_feedback(CONFIG, CONV, MSG, None)
    assert type(caught.value) is CozeAPIError and caught.value.code == code
    assert "does not know this answer" in str(caught.value)
    assert "COZE_BOT_ID" not in str(caught.value)
    assert f"Coze code {code}: resource not found" in str(caught.value)


def test_a_token_without_the_permission_says_so(mock):
    mock.post(URL).mock(return_value=coze_error(4101, "no permission"))
    with pytest.raises(CozeAuthError, match="may not give feedback") as caught:
        send_feedback(CONFIG, CONV, MSG, "like")
    assert caught.value.code == 4101


def test_the_log_id_comes_from_the_body_when_the_header_is_missing(mock):
    reply = httpx.Response(200, json={"code": 4000, "msg": "bad", "detail": {"logid": "BODY7"}})
    mock.post(URL).mock(return_value=reply)
    with pytest.raises(CozeAPIError) as caught:
        send_feedback(CONFIG, CONV, MSG, "like")
    assert caught.value.logid == "BODY7" and caught.value.code == 4000


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        (httpx.Response(404, text="<html>Not Found</html>"), "feedback service was not found"),
        (httpx.Response(200, text="<html>hello</html>"), "something unexpected"),
        (httpx.Response(200, json={"msg": "no code"}), "something unexpected"),
        (httpx.Response(200, json=[0]), "something unexpected"),
        (httpx.Response(200, content=b""), "something unexpected"),
        (httpx.Response(200, json={"code": True, "msg": ""}), "something unexpected"),
        (httpx.Response(500, json={"code": 0, "msg": ""}), "trouble"),
    ],
)
def test_a_reply_that_is_not_coze_s_success_is_an_api_error(mock, sleeps, reply, words):
    mock.post(URL).mock(return_value=reply)
    with pytest.raises(CozeAPIError, match=words):
        send_feedback(CONFIG, CONV, MSG, "like")


@pytest.mark.parametrize(
    "first",
    [
        httpx.Response(502, text="<html>bad gateway</html>"),
        httpx.Response(503, text=""),
        coze_error(4009, "system busy"),
        coze_error(4020, "rpm limit", 429),
    ],
)
def test_a_reply_coze_asks_to_retry_is_retried(mock, sleeps, first):
    route = mock.post(URL).mock(side_effect=[first, ok()])
    send_feedback(CONFIG, CONV, MSG, "like")
    assert route.call_count == 2 and len(sleeps) == 1


def test_retry_after_is_honoured(mock, sleeps):
    busy = coze_error(4020, "slow down", 429, **{"Retry-After": "3"})
    mock.post(URL).mock(side_effect=[busy, ok()])
    send_feedback(CONFIG, CONV, MSG, "unlike")
    assert sleeps == [3.0]


def test_retries_end_after_max_retries(mock, sleeps):
    route = mock.delete(URL).mock(return_value=coze_error(4009, "busy"))
    with pytest.raises(CozeRateLimitError):
        send_feedback(CONFIG, CONV, MSG, None)
    assert route.call_count == CONFIG.max_retries + 1 and len(sleeps) == CONFIG.max_retries


def test_a_daily_limit_is_not_retried(mock, sleeps):
    route = mock.post(URL).mock(return_value=coze_error(4008, "daily limit", 429))
    with pytest.raises(CozeRateLimitError, match="daily"):
        send_feedback(CONFIG, CONV, MSG, "like")
    assert route.call_count == 1 and sleeps == []


def test_a_connection_that_failed_is_retried(mock, sleeps):
    route = mock.post(URL).mock(side_effect=[httpx.ConnectError("refused"), ok()])
    send_feedback(CONFIG, CONV, MSG, "like")
    assert route.call_count == 2
    route.reset()
    route.mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(CozeConnectionError) as caught:
        send_feedback(CONFIG, CONV, MSG, "like")
    assert route.call_count == CONFIG.max_retries + 1
    assert caught.value.__context__ is None and caught.value.__cause__ is None


def test_a_silent_coze_is_a_timeout_about_the_feedback(mock, sleeps):
    route = mock.post(URL).mock(side_effect=httpx.ReadTimeout("silent"))
    with pytest.raises(CozeTimeoutError, match="did not answer the feedback within 10 seconds"):
        send_feedback(CONFIG, CONV, MSG, "like")
    assert route.call_count == 1  # it may have arrived: not sent again


def test_nothing_says_the_token_even_when_every_field_echoes_it(mock):
    reply = httpx.Response(
        200,
        json={"code": 4000, "msg": f"bad {TOKEN}", "detail": {"logid": TOKEN}},
        headers={"x-tt-logid": f"L-{TOKEN}"},
    )
    mock.post(URL).mock(return_value=reply)
    with pytest.raises(CozeAPIError) as caught:
        send_feedback(CONFIG, CONV, MSG, "like")
    assert TOKEN not in str(caught.value) + repr(caught.value)
    assert "CANARY" not in str(caught.value)

"""Files for the bot against faked HTTP (respx): upload_file's exact multipart body and every
reply, Attachment's checks, and questions (and memory) with files as object_string, exactly."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from coze_stream import (
    FILE_TYPES,
    MAX_UPLOAD_BYTES,
    Attachment,
    ContextMessage,
    CozeAPIError,
    CozeAuthError,
    CozeConnectionError,
    CozeError,
    CozeRateLimitError,
    CozeTimeoutError,
    attachment_kind,
    stream_chat,
    upload_file,
)
from coze_stream._files import IMAGE_TYPES
from tests.helpers import BASE, CHAT_URL, CONFIG, SSE, TOKEN, chat, frame

URL = f"{BASE}/v1/files/upload"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


def taken(file_id: object = "7437027806540103730") -> httpx.Response:
    data = {"id": file_id, "bytes": 12, "file_name": "x.png", "created_at": 1731568133}
    body = {"code": 0, "msg": "", "data": data}
    return httpx.Response(200, json=body, headers={"x-tt-logid": "L"})


def refused(code: int, msg: str = "no", status: int = 200, **headers: str) -> httpx.Response:
    body = {"code": code, "msg": msg, "detail": {"logid": "BODYLOGID"}}
    return httpx.Response(status, json=body, headers={"x-tt-logid": "LOGID1", **headers})


def boundary_of(request: httpx.Request) -> bytes:
    content_type = request.headers["content-type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    return content_type.split("boundary=", 1)[1].encode()


# -- the request ----------------------------------------------------------------------------------


def test_an_upload_is_one_multipart_part_named_file_with_the_name_and_type(mock):
    route = mock.post(URL).mock(return_value=taken())
    assert upload_file(CONFIG, "chart.png", PNG, "image/png") == "7437027806540103730"
    request = route.calls.last.request
    boundary = boundary_of(request)
    assert request.content == (
        b"--" + boundary + b"\r\n"
        b'Content-Disposition: form-data; name="file"; filename="chart.png"\r\n'
        b"Content-Type: image/png\r\n\r\n" + PNG + b"\r\n--" + boundary + b"--\r\n"
    )
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["accept"] == "application/json"
    assert route.call_count == 1


def test_the_type_is_guessed_from_the_name_and_a_name_is_sent_as_utf8_with_quotes_escaped(mock):
    route = mock.post(URL).mock(return_value=taken())
    upload_file(CONFIG, '报告 "final".pdf', b"%PDF-1.4")
    content = route.calls.last.request.content
    assert 'filename="报告 %22final%22.pdf"'.encode() in content
    assert b"Content-Type: application/pdf\r\n" in content
    upload_file(CONFIG, "notes.unknownext", b"x")
    assert b"Content-Type: application/octet-stream\r\n" in route.calls.last.request.content


@pytest.mark.parametrize(
    ("name", "data", "mime", "error"),
    [
        ("a.png", b"", None, ValueError),
        ("", b"x", None, ValueError),
        ("  ", b"x", None, ValueError),
        ("a\nb.png", b"x", None, ValueError),
        ("dir/a.png", b"x", None, ValueError),
        ("x" * 256 + ".png", b"x", None, ValueError),
        ("a.png", b"x", "image/png\r\nX-Evil: 1", ValueError),
        ("a.png", b"x", "png", ValueError),
        ("a.png", "text", None, TypeError),
        (b"a.png", b"x", None, TypeError),
    ],
)
def test_what_no_upload_can_carry_is_refused_before_any_request(mock, name, data, mime, error):
    route = mock.post(URL).mock(return_value=taken())
    with pytest.raises(error):
        upload_file(CONFIG, name, data, mime)
    assert route.call_count == 0


def test_a_file_over_coze_s_limit_is_refused_before_any_request(mock, monkeypatch):
    route = mock.post(URL).mock(return_value=taken())
    monkeypatch.setattr("coze_stream._files.MAX_UPLOAD_BYTES", 10)
    with pytest.raises(ValueError, match="at most 10"):
        upload_file(CONFIG, "a.pdf", b"x" * 11)
    upload_file(CONFIG, "a.pdf", b"x" * 10)
    assert route.call_count == 1
    assert MAX_UPLOAD_BYTES == 512 * 1024 * 1024


# -- the reply ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "cls", "words"),
    [
        (4300, CozeAPIError, "no file, or an empty one"),
        (4301, CozeAPIError, "one file per upload"),
        (4302, CozeAPIError, "larger than Coze takes"),
        (4303, CozeAPIError, "does not take files of this type"),
        (4304, CozeAPIError, "invalid or damaged"),
        (4000, CozeAPIError, "may not match its extension"),
        (4100, CozeAuthError, "lacks the uploadFile permission"),
        (4101, CozeAuthError, "give it the uploadFile permission"),
        (4008, CozeRateLimitError, "daily message limit"),
        (5000, CozeAPIError, "internal error"),
    ],
)
def test_each_upload_code_has_its_class_and_sentence_and_keeps_coze_s_words(mock, code, cls, words):
    mock.post(URL).mock(return_value=refused(code, f"msg {code}"))
    with pytest.raises(CozeError) as caught:
        upload_file(CONFIG, "a.png", PNG)
    error = caught.value
    assert type(error) is cls
    assert words in error.sentence
    assert (error.code, error.coze_message, error.logid) == (code, f"msg {code}", "LOGID1")


@pytest.mark.parametrize(("status", "code"), [(401, 4100), (403, 4101)])
def test_a_bare_401_or_403_names_the_permission_too(mock, status, code):
    mock.post(URL).mock(return_value=httpx.Response(status, text="denied"))
    with pytest.raises(CozeAuthError, match="uploadFile"):
        upload_file(CONFIG, "a.png", PNG)


def test_a_404_without_a_code_says_the_upload_is_not_at_this_address(mock):
    mock.post(URL).mock(return_value=httpx.Response(404, text="<html>not found</html>"))
    with pytest.raises(CozeAPIError, match="file upload was not found"):
        upload_file(CONFIG, "a.png", PNG)


@pytest.mark.parametrize(
    "reply",
    [
        httpx.Response(200, json={"code": 0, "msg": ""}),
        httpx.Response(200, json={"code": 0, "data": {"id": ""}}),
        httpx.Response(200, json={"code": 0, "data": {"id": "a\nb"}}),
        httpx.Response(200, json={"code": 0, "data": {"id": "x" * 300}}),
        httpx.Response(200, json={"code": 0, "data": {"id": None}}),
        httpx.Response(200, json={"code": 0, "data": []}),
        httpx.Response(200, text="<html>ok</html>"),
    ],
)
def test_a_reply_without_a_usable_id_is_an_error_not_an_id(mock, reply):
    mock.post(URL).mock(return_value=reply)
    with pytest.raises(CozeAPIError, match="no file id"):
        upload_file(CONFIG, "a.png", PNG)


def test_a_numeric_id_is_read_as_its_digits(mock):
    mock.post(URL).mock(return_value=taken(7437027806540103730))
    assert upload_file(CONFIG, "a.png", PNG) == "7437027806540103730"


def test_busy_replies_and_failed_connections_are_retried_with_the_same_body(mock, sleeps):
    route = mock.post(URL).mock(
        side_effect=[
            refused(4009, "busy", 429),
            httpx.ConnectError("refused"),
            taken("F1"),
        ]
    )
    assert upload_file(CONFIG, "a.png", PNG) == "F1"
    assert route.call_count == 3 and len(sleeps) == 2
    bodies = [c.request.content.replace(boundary_of(c.request), b"B") for c in route.calls]
    assert bodies[0] == bodies[2] and PNG in bodies[0]


def test_a_refused_file_is_not_sent_again(mock, sleeps):
    route = mock.post(URL).mock(return_value=refused(4303))
    with pytest.raises(CozeAPIError):
        upload_file(CONFIG, "a.png", PNG)
    assert route.call_count == 1 and sleeps == []


def test_no_connection_is_a_connection_error_after_the_retries(mock, sleeps):
    route = mock.post(URL).mock(side_effect=httpx.ConnectError("down"))
    with pytest.raises(CozeConnectionError):
        upload_file(CONFIG, "a.png", PNG)
    assert route.call_count == CONFIG.max_retries + 1


def test_silence_after_the_upload_is_a_timeout_naming_the_upload(mock, sleeps):
    route = mock.post(URL).mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(CozeTimeoutError, match="did not answer the upload"):
        upload_file(CONFIG, "a.png", PNG)
    assert route.call_count == 1  # Coze may have the file: it is not sent again


def test_the_token_never_appears_in_an_upload_error_or_the_log(mock, caplog):
    caplog.set_level(logging.DEBUG)
    echo = {"code": 4101, "msg": f"token {TOKEN} may not", "detail": {"logid": f"id-{TOKEN}"}}
    mock.post(URL).mock(return_value=httpx.Response(200, json=echo, headers={"x-tt-logid": TOKEN}))
    with pytest.raises(CozeAuthError) as caught:
        upload_file(CONFIG, "a.png", PNG)
    shown = str(caught.value) + repr(caught.value) + caplog.text + repr(caught.value.__dict__)
    assert "CANARY" not in shown
    assert caught.value.__cause__ is None and caught.value.__context__ is None


# -- Attachment and kinds -------------------------------------------------------------------------


def test_file_types_are_coze_s_documents_and_images_in_lower_case():
    assert {"pdf", "docx", "xlsx", "pptx", "csv", "png", "jpg", "jpeg", "webp"} <= set(FILE_TYPES)
    assert all(t == t.lower() and not t.startswith(".") for t in FILE_TYPES)
    assert set(IMAGE_TYPES) <= set(FILE_TYPES) and len(set(FILE_TYPES)) == len(FILE_TYPES)


@pytest.mark.parametrize(
    ("name", "mime", "kind"),
    [
        ("a.PNG", None, "image"),
        ("photo.jpeg", None, "image"),
        ("scan.tiff", None, "image"),
        ("a.heic", "application/octet-stream", "image"),
        ("report.pdf", "image/png", "file"),  # the extension decides
        ("sheet.xlsx", None, "file"),
        ("noextension", "image/webp", "image"),
        ("noextension", "image/svg+xml", "file"),
        ("noextension", None, "file"),
        (".png", None, "file"),  # a hidden file's name, no extension
    ],
)
def test_attachment_kind(name, mime, kind):
    assert attachment_kind(name, mime) == kind


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        (("", "a.png", "image", 1), ValueError),
        (("id\n", "a.png", "image", 1), ValueError),
        (("x" * 257, "a.png", "image", 1), ValueError),
        (("F", "", "image", 1), ValueError),
        (("F", "a.png", "audio", 1), ValueError),
        (("F", "a.png", "image", -1), ValueError),
        ((7, "a.png", "image", 1), TypeError),
        (("F", "a.png", "image", 1.5), TypeError),
        (("F", "a.png", "image", True), TypeError),
    ],
)
def test_an_attachment_is_checked_when_made(fields, error):
    with pytest.raises(error):
        Attachment(*fields)


def test_only_a_user_s_turn_carries_attachments_kept_as_a_tuple():
    image = Attachment("F1", "a.png", "image", 3)
    turn = ContextMessage("user", "look", [image])
    assert turn.attachments == (image,) and hash(turn)
    with pytest.raises(ValueError, match="only a user"):
        ContextMessage("assistant", "ok", (image,))
    with pytest.raises(TypeError):
        ContextMessage("user", "look", ("F1",))
    with pytest.raises(TypeError):
        ContextMessage("user", "look", "F1")


# -- questions with files: object_string, byte for byte -------------------------------------------


def answer_stream() -> httpx.Response:
    body = frame("conversation.chat.created", chat("created")) + frame("done", "[DONE]")
    return httpx.Response(200, headers=SSE, content=body)


def sent_messages(route) -> list[dict]:
    return json.loads(route.calls.last.request.content)["additional_messages"]


IMAGE = Attachment("7437027806540103730", "图表.png", "image", 1234)
PDF = Attachment("7437027806540103731", "report.pdf", "file", 99)


def test_a_question_with_files_is_one_object_string_message_its_content_a_json_string(mock):
    route = mock.post(CHAT_URL).mock(return_value=answer_stream())
    list(stream_chat(CONFIG, "这是什么？", attachments=[IMAGE, PDF]))
    content = (
        '[{"type":"text","text":"这是什么？"},'
        '{"type":"image","file_id":"7437027806540103730"},'
        '{"type":"file","file_id":"7437027806540103731"}]'
    )
    assert sent_messages(route) == [
        {"role": "user", "type": "question", "content": content, "content_type": "object_string"}
    ]
    # The JSON string inside the JSON body, as it goes over the wire.
    assert json.dumps(content, ensure_ascii=False).encode() in route.calls.last.request.content
    assert b"\\u" not in route.calls.last.request.content
    assert "图表.png".encode() not in route.calls.last.request.content  # names are never sent


def test_a_question_without_files_stays_text(mock):
    route = mock.post(CHAT_URL).mock(return_value=answer_stream())
    list(stream_chat(CONFIG, "hi", attachments=()))
    assert sent_messages(route) == [
        {"role": "user", "type": "question", "content": "hi", "content_type": "text"}
    ]


def test_memory_carries_earlier_files_by_id(mock):
    route = mock.post(CHAT_URL).mock(return_value=answer_stream())
    context = [ContextMessage("user", "看图", (IMAGE,)), ContextMessage("assistant", "一张图表")]
    list(stream_chat(CONFIG, "还有这个", context=context, attachments=[PDF]))
    messages = sent_messages(route)
    assert [m["content_type"] for m in messages] == ["object_string", "text", "object_string"]
    assert json.loads(messages[0]["content"]) == [
        {"type": "text", "text": "看图"},
        {"type": "image", "file_id": IMAGE.file_id},
    ]
    assert messages[1] == {
        "role": "assistant",
        "type": "answer",
        "content": "一张图表",
        "content_type": "text",
    }
    assert json.loads(messages[2]["content"])[1] == {"type": "file", "file_id": PDF.file_id}


def test_files_still_need_a_message_and_bad_attachments_are_refused_before_any_request(mock):
    route = mock.post(CHAT_URL).mock(return_value=answer_stream())
    with pytest.raises(ValueError):
        stream_chat(CONFIG, " ", attachments=[IMAGE])
    with pytest.raises(TypeError):
        stream_chat(CONFIG, "hi", attachments=["7437027806540103730"])
    with pytest.raises(TypeError):
        stream_chat(CONFIG, "hi", attachments="F1")
    broken = Attachment("F1", "a.png", "image")
    object.__setattr__(broken, "kind", "video")
    with pytest.raises(ValueError):
        stream_chat(CONFIG, "hi", attachments=[broken])
    assert route.call_count == 0

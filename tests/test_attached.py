"""A question's files before they reach Coze, what a turn keeps of them (on the page, in the
browser, in the exports, as memory), and answers made ready to be read aloud."""

from __future__ import annotations

import io
import json
import wave

from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from coze_answer import (
    KEEP_VERSION,
    Attached,
    Dropped,
    Turn,
    chat_json,
    chat_markdown,
    chat_title,
    choose_files,
    file_size,
    join_wav,
    pick_context,
    pick_voice,
    read_chat,
    sendable_name,
    speech_inputs,
    speech_text,
    stored_thumbnail,
    thumbnail,
    turn_record,
    words,
)
from coze_answer._attached import MAX_THUMBNAIL_BYTES, MAX_THUMBNAIL_SIDE
from coze_stream import Attachment, ContextMessage, Voice

TYPES = ("png", "jpg", "pdf", "txt")
MB = 1_000_000


def picture(width: int, height: int, kind: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, kind)
    return out.getvalue()


def tone(seconds: float, rate: int = 16_000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(b"\x01\x00" * int(seconds * rate))
    return out.getvalue()


# -- which files are sent --


def test_every_file_left_out_is_named_with_its_reason() -> None:
    files = [
        ("a.png", 10),
        ("virus.exe", 10),
        ("big.pdf", 21 * MB),
        ("empty.txt", 0),
        ("b.JPG", 10),
        ("c.txt", 10),
        ("d.pdf", 10),
    ]
    chosen, dropped = choose_files(files, max_files=3, max_bytes=20 * MB, types=TYPES)
    assert chosen == [0, 4, 5]
    assert dropped == [
        Dropped("virus.exe", "type"),
        Dropped("big.pdf", "size"),
        Dropped("empty.txt", "empty"),
        Dropped("d.pdf", "count"),
    ]


def test_a_name_without_an_extension_or_only_a_dot_is_no_type() -> None:
    chosen, dropped = choose_files(
        [("png", 1), (".png", 1), ("x.", 1)], max_files=4, max_bytes=MB, types=TYPES
    )
    assert chosen == [] and [d.reason for d in dropped] == ["type"] * 3


@given(st.lists(st.tuples(st.text(max_size=30), st.integers(-5, 3 * MB)), max_size=12))
def test_each_file_is_either_sent_or_named(files: list[tuple[str, int]]) -> None:
    chosen, dropped = choose_files(files, max_files=4, max_bytes=2 * MB, types=TYPES)
    assert len(chosen) + len(dropped) == len(files)
    assert len(chosen) <= 4
    assert all(0 < files[i][1] <= 2 * MB for i in chosen)
    assert all(d.name.isprintable() for d in dropped)


def test_sizes_read_as_people_read_them() -> None:
    sizes = (0, 1023, 12_345, 3_565_158)
    assert [file_size(n) for n in sizes] == ["0 B", "1023 B", "12 KB", "3.4 MB"]


# -- thumbnails --


def test_an_image_gets_a_small_jpeg() -> None:
    made = thumbnail(picture(1200, 600))
    assert made.startswith(b"\xff\xd8\xff") and len(made) <= MAX_THUMBNAIL_BYTES
    with Image.open(io.BytesIO(made)) as image:
        assert max(image.size) == MAX_THUMBNAIL_SIDE and image.size[0] == 2 * image.size[1]


def test_what_is_no_image_or_too_big_to_decode_gets_no_picture() -> None:
    assert thumbnail(b"%PDF-1.4 not an image") == b""
    assert thumbnail(picture(10, 10)[:40]) == b""  # cut short
    # A PNG header announcing 100,000 x 100,000 pixels: refused before decoding.
    header = bytearray(picture(1, 1))
    header[16:24] = (100_000).to_bytes(4, "big") * 2
    assert thumbnail(bytes(header)) == b""


def test_a_stored_picture_passes_only_as_a_small_whole_jpeg() -> None:
    small = thumbnail(picture(300, 200))
    assert stored_thumbnail(small) == small
    assert stored_thumbnail(small[:-200]) == b""  # cut short: it would not decode
    assert stored_thumbnail(picture(100, 100)) == b""  # a PNG
    header = bytearray(small)
    sof = header.index(b"\xff\xc0")  # the frame header: claim 60,000 x 60,000 pixels
    header[sof + 5 : sof + 9] = (60_000).to_bytes(2, "big") * 2
    assert stored_thumbnail(bytes(header)) == b""


def test_names_are_sent_as_coze_takes_them() -> None:
    assert sendable_name("Screenshot 2026-12-07 at 10.00.00\u202fAM.png") == (
        "Screenshot 2026-12-07 at 10.00.00 AM.png"
    )
    long = sendable_name("x" * 400 + ".pdf")
    assert len(long) == 255 and long.endswith(".pdf")
    assert sendable_name("\x00\u202e") == "file"


# -- what a turn keeps --


def sent(name: str = "chart.png", kind: str = "image", size: int = 2048) -> Attached:
    picture_bytes = thumbnail(picture(300, 200)) if kind == "image" else b""
    return Attached(Attachment(f"file-{name}", name, kind, size), picture_bytes)  # type: ignore[arg-type]


def test_files_come_back_from_the_browser_with_their_pictures_never_their_bytes() -> None:
    question = Turn(
        "user", ["what is this?"], at=1_700_000_000.0, files=(sent(), sent("a.pdf", "file"))
    )
    record = turn_record(question)
    assert [f["name"] for f in record["files"]] == ["chart.png", "a.pdf"]
    assert "thumb" in record["files"][0] and "thumb" not in record["files"][1]
    raw = json.dumps({"v": KEEP_VERSION, "id": "0123456789abcdef", "turns": [record]})
    kept = read_chat(raw)
    assert kept is not None and kept.turns[0].files == question.files


def test_a_question_of_files_alone_is_kept_and_titled_by_its_files() -> None:
    question = Turn("user", [""], at=1_700_000_000.0, files=(sent("report.pdf", "file"),))
    raw = json.dumps(
        {"v": KEEP_VERSION, "id": "0123456789abcdef", "turns": [turn_record(question)]}
    )
    kept = read_chat(raw)
    assert kept is not None and kept.turns[0].files == question.files
    assert chat_title(kept.turns) == "📎 report.pdf"


def test_hostile_kept_files_are_refused_or_lose_their_picture() -> None:
    good = {"id": "file-1", "name": "a.png", "kind": "image", "size": 10}

    def one(files: object) -> list[Turn] | None:
        turn = {"role": "user", "id": "t1", "at": 1_700_000_000.0, "text": "hi", "files": files}
        kept = read_chat(json.dumps({"v": KEEP_VERSION, "id": "0123456789abcdef", "turns": [turn]}))
        return None if kept is None else kept.turns

    assert one([good]) and one([good])[0].files[0].file.name == "a.png"  # type: ignore[index]
    for bad in (
        [good | {"id": "../../etc"}],
        [good | {"kind": "script"}],
        [good | {"size": -1}],
        [good | {"name": ""}],
        [good | {"name": 7}],
        "files",
        [good] * 21,
    ):
        assert one(bad) == [], bad
    # A picture that is not a JPEG (an SVG with a script, say) is dropped; the file stays.
    import base64

    garbage = base64.b64encode(b"\xff\xd8\xff" + b"garbage").decode()  # a JPEG's start only
    big = io.BytesIO()
    Image.new("RGB", (400, 300)).save(big, "JPEG")  # a JPEG, but no thumbnail's size
    large = base64.b64encode(big.getvalue()).decode()
    for thumb in ("PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+", "!!not base64!!", "A" * 40_000, garbage, large):
        turns = one([good | {"thumb": thumb}])
        assert turns and turns[0].files[0].thumbnail == b""
    # Control characters in a name are taken out.
    turns = one([good | {"name": "a\u202e\x00gnp.exe"}])
    assert turns and turns[0].files[0].file.name == "agnp.exe"


def test_memory_carries_earlier_files_by_id_and_a_text_for_files_alone() -> None:
    chart = sent()
    history = [
        Turn("user", [""], files=(chart,)),
        Turn("assistant", ["A bar chart."], question="", files=(chart,)),
    ]
    context = pick_context(history, files_only_text="Please look at the attached files.")
    assert context == [
        ContextMessage("user", "Please look at the attached files.", attachments=(chart.file,)),
        ContextMessage("assistant", "A bar chart."),
    ]


def test_exports_name_the_files() -> None:
    question = Turn("user", ["look"], at=1_700_000_000.0, files=(sent("a*b.png"),))
    markdown = chat_markdown([question], words("en"), now=1_700_000_000.0)
    assert "- 📎 a\\*b\\.png (2 KB)" in markdown
    data = json.loads(chat_json([question]))
    assert data["messages"][0]["files"] == [
        {"file_id": "file-a*b.png", "name": "a*b.png", "kind": "image", "bytes": 2048}
    ]


# -- read aloud --


def test_only_words_are_read_aloud() -> None:
    markdown = (
        "# Title\n\nSome **bold** and `code` with a [link](https://x.y) and "
        "![img](https://x.y/a.png) and $x^2$.\n\n```python\nprint(1)\n```\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n- item <b>one</b>\n> quoted https://x.y/z"
    )
    assert speech_text(markdown) == (
        "Title\nSome bold and code with a link and and .\na b\n1 2\nitem one\nquoted"
    )


def test_inputs_are_sentences_within_the_byte_limit() -> None:
    text = "第一句话。" * 300 + " Then English. " * 40
    pieces = speech_inputs(text)
    assert all(len(p.encode()) <= 1024 for p in pieces)
    assert "".join(pieces).replace(" ", "") == text.replace(" ", "").strip()
    assert all(p.endswith(("。", ".")) for p in pieces)  # cut at sentence ends


@given(st.text(max_size=3000), st.integers(4, 1024))
def test_no_input_is_ever_over_the_limit_or_empty(text: str, limit: int) -> None:
    assert all(0 < len(piece.encode()) <= limit for piece in speech_inputs(text, limit))


def test_the_voice_is_the_owners_or_one_in_the_answers_language() -> None:
    voices = [Voice("v-en", "Amy", "en"), Voice("v-zh", "小美", "zh")]
    assert pick_voice(voices, "你好，世界", "owner-voice") == "owner-voice"
    assert pick_voice(voices, "你好，世界 hello") == "v-zh"
    assert pick_voice(voices, "Hello there") == "v-en"
    assert pick_voice([Voice("v-ja", "A", "ja")], "Hello") == "v-ja"
    assert pick_voice([], "Hello") is None


def test_pieces_of_audio_play_as_one() -> None:
    joined = join_wav([tone(0.25), tone(0.5)])
    with wave.open(io.BytesIO(joined)) as reader:
        assert reader.getnframes() == int(0.75 * 16_000)
    # Another format: left out from there; no WAV at all: the first as it is.
    with wave.open(io.BytesIO(join_wav([tone(0.25), tone(0.5, 8000)]))) as reader:
        assert reader.getnframes() == 4000
    assert join_wav([b"ID3mp3", tone(0.1)]) == b"ID3mp3"
    assert join_wav([]) == b""

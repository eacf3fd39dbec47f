"""Files in the chat box, with AppTest against the simulator over real HTTP: what reaches Coze
(uploads, the question's object string, memory), what the bubble shows, every file left out
named, a failed upload sending nothing, and Retry sending the same files without uploading."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import AppTestError

from coze_answer import KEEP_VERSION, read_chat, speech_inputs, turn_record, words
from coze_stream.simulator.voice import VOICES
from tests.helpers import all_text, as_text, bubble_text, send, start, trouble

DELTAS_PER_SECOND = 4000

pytestmark = pytest.mark.timeout(60)
EN = words("en")


def png(width: int = 64, height: int = 48) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(out, "PNG")
    return out.getvalue()


PDF = b"%PDF-1.4\n" + b"0" * 3000


def ask(at: AppTest, text: str, *files: tuple[str, bytes, str]) -> AppTest:
    box = at.chat_input[0]
    for name, data, mime in files:
        box.upload(name, data, mime)
    box.set_value(text or None).run()
    assert not at.exception, at.exception
    return at


def test_files_reach_the_bot_with_the_question_and_show_in_the_bubble(monkeypatch, sim):
    at = start(monkeypatch, sim)
    ask(
        at,
        "what are these?",
        ("chart.png", png(), "image/png"),
        ("report.pdf", PDF, "application/pdf"),
    )
    uploads = sim.uploads[-2:]
    assert [(u.name, u.size, u.code) for u in uploads] == [
        ("chart.png", len(png()), 0),
        ("report.pdf", len(PDF), 0),
    ]
    stream = sim.streams[-1]
    assert stream.message == "what are these?"
    assert [(kind, f.name, f.size) for kind, f in stream.files] == [
        ("image", "chart.png", len(png())),
        ("file", "report.pdf", len(PDF)),
    ]
    question, answer = at.chat_message[0], at.chat_message[1]
    text = as_text(bubble_text(question))
    assert "what are these?" in text and "chart.png" in text and "report.pdf · 3 KB" in text
    assert len(question.image) == 1  # the picture of the image; the PDF gets a line
    assert "chart.png" in bubble_text(answer)  # the simulator says what it received
    turn = at.session_state.history[0]
    assert [a.file.file_id for a in turn.files] == [u.file_id for u in uploads]
    assert turn.files[0].thumbnail.startswith(b"\xff\xd8") and turn.files[1].thumbnail == b""


def test_files_alone_go_with_a_short_text_in_the_page_s_language(monkeypatch, sim):
    at = start(monkeypatch, sim, locale="zh-CN")
    ask(at, "", ("report.pdf", PDF, "application/pdf"))
    assert sim.streams[-1].message == words("zh").files_only_question
    assert at.session_state.history[0].content == ""
    assert not at.session_state.history[1].failed


def test_regenerate_after_a_reload_keeps_the_question_s_pictures(monkeypatch, sim):
    at = start(monkeypatch, sim)
    ask(at, "look", ("chart.png", png(), "image/png"))
    stored = json.dumps(
        {
            "v": KEEP_VERSION,
            "id": "0123456789abcdef",
            "turns": [turn_record(turn) for turn in at.session_state.history],
        }
    )
    kept = read_chat(stored)
    assert kept is not None and kept.turns[1].files[0].thumbnail == b""  # kept without
    at.session_state["history"] = kept.turns  # as a reload restores them
    at.run()
    [regenerate] = [b for b in at.chat_message[1].button if b.label == EN.regenerate]
    regenerate.click().run()
    question = at.session_state.history[0]
    assert question.files[0].thumbnail and len(at.chat_message[0].image) == 1


def test_memory_and_retry_carry_the_files_by_id_and_upload_nothing_again(monkeypatch, sim):
    at = start(monkeypatch, sim)
    ask(at, "look", ("chart.png", png(), "image/png"))
    uploaded = len(sim.uploads)
    file_id = at.session_state.history[0].files[0].file.file_id
    [regenerate] = [b for b in at.chat_message[1].button if b.label == EN.regenerate]
    regenerate.click().run()
    assert [f.file_id for _, f in sim.streams[-1].files] == [file_id]
    send(at, "/recall")
    [earlier_question, _] = sim.streams[-1].earlier
    assert [f.file_id for _, f in earlier_question.files] == [file_id]
    assert len(sim.uploads) == uploaded


def test_files_the_box_should_not_have_taken_are_named_and_the_rest_is_sent(monkeypatch, sim):
    # AppTest skips the browser's checks, as a script could.
    at = start(monkeypatch, sim, COZE_MAX_FILES="2", COZE_MAX_FILE_MB="1")
    big = b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024)
    ask(
        at,
        "three files",
        ("a.png", png(), "image/png"),
        ("big.pdf", big, "application/pdf"),
        ("b.png", png(), "image/png"),
        ("c.png", png(), "image/png"),
    )
    warnings = [as_text(w.value) for w in at.warning]
    assert warnings == [
        EN.dropped_file("big.pdf", "size", max_files=2, max_mb=1),
        EN.dropped_file("c.png", "count", max_files=2, max_mb=1),
    ]
    assert [f.name for _, f in sim.streams[-1].files] == ["a.png", "b.png"]


def test_a_failed_upload_sends_nothing_and_gives_the_text_back(monkeypatch, sim):
    at = start(monkeypatch, sim)
    streams = len(sim.streams)
    ask(at, "keep these words", ("fail-4303.png", png(), "image/png"))
    assert len(sim.streams) == streams and at.session_state.history == []
    assert at.chat_input[0].value == "keep these words"
    headline, details = trouble(at)
    assert headline.startswith(EN.upload_failed.format(name="fail-4303.png"))
    assert "4303" in details
    assert "fail-4303.png" not in all_text(at).split(headline, 1)[1]  # named once


def test_uploads_count_against_the_visitor_s_messages_a_minute(monkeypatch, sim):
    at = start(monkeypatch, sim, COZE_MESSAGES_PER_MINUTE="3")
    streams = len(sim.streams)
    ask(at, "four", *[(f"{n}.png", png(), "image/png") for n in range(3)])
    assert len(sim.streams) == streams  # three uploads and the message would be four
    assert at.chat_input[0].value == "four"
    assert [as_text(w.value) for w in at.warning] == [EN.refused_too_much]
    ask(at, "two", ("a.png", png(), "image/png"))  # two of three
    assert sim.streams[-1].message == "two"
    ask(at, "three", ("b.png", png(), "image/png"))  # the minute's third is not enough
    assert sim.streams[-1].message == "two" and at.chat_input[0].value == "three"
    [note] = [as_text(w.value) for w in at.warning]
    assert note.startswith("That is more messages in a minute")


def test_a_message_held_back_says_its_files_must_be_added_again(monkeypatch, sim):
    at = start(monkeypatch, sim, COZE_MESSAGES_PER_MINUTE="1")
    send(at, "one")
    ask(at, "with a file", ("a.png", png(), "image/png"))
    assert at.chat_input[0].value == "with a file"
    [note] = [as_text(w.value) for w in at.warning]
    assert note.endswith(EN.files_not_kept)


def test_a_name_with_invisible_spaces_is_uploaded(monkeypatch, sim):
    at = start(monkeypatch, sim)
    ask(at, "", ("Screenshot 2026-12-07 at 10.00.00\u202fAM.png", png(), "image/png"))
    assert sim.uploads[-1].name == "Screenshot 2026-12-07 at 10.00.00 AM.png"
    assert not at.session_state.history[1].failed


def test_a_file_coze_refuses_gets_a_visitor_sentence_and_the_owner_s_reason(monkeypatch, sim):
    at = start(monkeypatch, sim, locale="zh-CN")
    ask(at, "", ("fail-4302.pdf", PDF, "application/pdf"))
    zh = words("zh")
    headline, details = trouble(at)
    assert headline == (
        f"{zh.upload_failed.format(name='fail-4302.pdf')} {zh.upload_nothing_sent_no_text} "
        f"{zh.trouble_file_refused}"
    )
    assert "4302" in details


def test_the_owner_can_turn_files_off(monkeypatch, sim):
    at = start(monkeypatch, sim, COZE_ATTACHMENTS="off")
    with pytest.raises(AppTestError):
        at.chat_input[0].upload("a.png", png(), "image/png")
    send(at, "text only")
    assert sim.streams[-1].files == []


def test_the_server_keeps_none_of_the_box_s_files_once_coze_has_them(monkeypatch, sim):
    # Streamlit drops a chat box's files once a run has read them; the page relies on it.
    from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager

    managers: list[MemoryUploadedFileManager] = []
    add = MemoryUploadedFileManager.add_file

    def adding(self, session_id, file) -> None:
        managers.append(self)
        add(self, session_id, file)

    monkeypatch.setattr(MemoryUploadedFileManager, "add_file", adding)
    at = start(monkeypatch, sim)
    ask(at, "sent", ("a.png", png(), "image/png"), ("b.pdf", PDF, "application/pdf"))
    ask(at, "failed", ("fail-4302.pdf", PDF, "application/pdf"))
    assert len(managers) == 3
    assert all(not files for manager in managers for files in manager.file_storage.values())


def speech_requests(sim) -> list:
    return [r for r in sim.requests if r.path == "/v1/audio/speech"]


def test_listen_reads_the_answer_aloud_in_pieces_in_its_bubble(monkeypatch, sim):
    at = start(monkeypatch, sim, COZE_VOICE="on")
    send(at, "/long 3000")
    assert len(speech_inputs(at.session_state.history[1].content)) > 6
    spoken = len(speech_requests(sim))
    [listen] = [b for b in at.chat_message[1].button if b.label == EN.listen]
    listen.click().run()
    assert not at.exception
    requests = speech_requests(sim)[spoken:]
    assert len(requests) == 6  # at most six pieces a click
    assert all(len(r.body["input"].encode()) <= 1024 for r in requests)
    assert all(r.body["response_format"] == "wav" for r in requests)
    assert "`" not in requests[0].body["input"] and "**" not in requests[0].body["input"]
    assert len(at.chat_message[1].get("audio")) == 1
    assert EN.speech_shortened in [c.value for c in at.chat_message[1].caption]
    at.run()  # the audio stays in its bubble on the next run, made once
    assert len(at.chat_message[1].get("audio")) == 1 and len(speech_requests(sim)) == spoken + 6


def test_the_owner_s_voice_is_used_and_read_aloud_counts_against_the_rate(monkeypatch, sim):
    english = next(voice[0] for voice in VOICES if voice[2] == "en")
    at = start(
        monkeypatch, sim, COZE_VOICE="on", COZE_MESSAGES_PER_MINUTE="3", COZE_VOICE_ID=english
    )
    send(at, "/long 3000")  # one message of three; the answer is mostly Chinese
    spoken = len(speech_requests(sim))
    [listen] = [b for b in at.chat_message[1].button if b.label == EN.listen]
    listen.click().run()
    requests = speech_requests(sim)[spoken:]
    assert len(requests) == 2  # the rest of the minute's share
    assert {r.body["voice_id"] for r in requests} == {english}
    assert EN.speech_shortened in [c.value for c in at.chat_message[1].caption]
    # Without the owner's voice: the simulator's Chinese one, for a Chinese answer.
    monkeypatch.delenv("COZE_VOICE_ID")
    at = start(monkeypatch, sim, COZE_VOICE="on")
    send(at, "/long 300")
    [listen] = [b for b in at.chat_message[1].button if b.label == EN.listen]
    listen.click().run()
    chinese = next(voice[0] for voice in VOICES if voice[2] == "zh")
    assert speech_requests(sim)[-1].body["voice_id"] == chinese


def test_without_the_owner_s_voice_setting_there_is_no_listen_nor_microphone(monkeypatch, sim):
    at = start(monkeypatch, sim)
    send(at, "hello")
    assert EN.listen not in [b.label for b in at.chat_message[1].button]
    assert not at.chat_input[0].proto.accept_audio


def test_demo_mode_shows_voice_too(monkeypatch, sim):
    at = start(monkeypatch, sim, COZE_DEMO="1")
    assert at.chat_input[0].proto.accept_audio
    send(at, "hello")
    [listen] = [b for b in at.chat_message[1].button if b.label == EN.listen]
    listen.click().run()
    assert not at.exception and len(at.chat_message[1].get("audio")) == 1

"""The page's two languages, the chat exports and the memory setting, without Streamlit."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import timedelta, timezone

import pytest
from markdown_it import MarkdownIt

from coze_answer import (
    CONTEXT_CHARS,
    CONTEXT_MESSAGES,
    Turn,
    chat_json,
    chat_markdown,
    context_budget,
    language_of,
    turn_notes,
    words,
)
from coze_stream import MAX_CONTEXT_MESSAGES, CozeRateLimitError, Usage
from tests.helpers import CJK

ENGLISH, CHINESE = words("en"), words("zh")
TEXT_FIELDS = [f.name for f in dataclasses.fields(ENGLISH) if f.name not in ("code",)]


@pytest.mark.parametrize(
    ("locale", "language"),
    [
        ("zh", "zh"),
        ("zh-CN", "zh"),
        ("zh-Hant-TW", "zh"),
        ("ZH-cn", "zh"),
        ("en-US", "en"),
        ("fr-FR", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_the_browser_locale_picks_the_language(locale, language):
    assert language_of(locale) == language


@pytest.mark.parametrize("name", TEXT_FIELDS)
def test_every_sentence_exists_in_both_languages_and_is_translated(name):
    english, chinese = getattr(ENGLISH, name), getattr(CHINESE, name)
    assert english.strip() and chinese.strip()
    assert not CJK.search(english), f"{name}: Chinese in the English sentence"
    assert CJK.search(chinese), f"{name}: no Chinese in the Chinese sentence"
    # Templates take the same fields, icons and settings in both.
    assert set(re.findall(r"{(\w+)}", english)) == set(re.findall(r"{(\w+)}", chinese))
    assert re.findall(r":material/\w+:", english) == re.findall(r":material/\w+:", chinese)
    assert set(re.findall(r"COZE_\w+", english)) == set(re.findall(r"COZE_\w+", chinese))


def test_an_unknown_language_reads_english():
    assert words("fr") is ENGLISH  # type: ignore[arg-type]


def test_captions_in_both_languages():
    turn = Turn("assistant", ["hi"], usage=Usage(1234, 1000, 234))
    turn.first_text_seconds, turn.total_seconds = 0.42, 12.5
    turn.awaiting_reply = True
    assert turn_notes(turn, ENGLISH) == (
        f"{ENGLISH.awaiting_reply}  \n1,234 tokens (1,000 in, 234 out) · first text after 0.4 s"
        " · total 12.5 s"
    )
    assert turn_notes(turn, CHINESE).endswith(
        "1,234 个 token（输入 1,000，输出 234） · 0.4 秒后开始输出 · 共 12.5 秒"
    )
    assert ENGLISH.thought_label(3.25) == "Thought for 3.2 s"
    assert CHINESE.thought_label(42.0) == "思考了 42 秒"
    assert CHINESE.status(True, 3.4) == ":material/hourglass_top: 智能体正在处理… 3 秒"
    assert ENGLISH.status(False, 7) == ":material/hourglass_top: Still answering… 7 s"
    assert "16,001" in CHINESE.too_long_warning(16001, 16000)


@pytest.mark.parametrize(
    ("setting", "budget"),
    [
        (None, (CONTEXT_MESSAGES, CONTEXT_CHARS)),
        ("", (CONTEXT_MESSAGES, CONTEXT_CHARS)),
        ("on", (CONTEXT_MESSAGES, CONTEXT_CHARS)),
        (" ON ", (CONTEXT_MESSAGES, CONTEXT_CHARS)),
        ("off", None),
        ("false", None),
        ("0", None),
        ("10", (10, CONTEXT_CHARS)),
        ("1", (1, CONTEXT_CHARS)),
        ("10,8000", (10, 8000)),
        ("10, 8000", (10, 8000)),
        ("500", (MAX_CONTEXT_MESSAGES, CONTEXT_CHARS)),
        ("10,0", None),
    ],
)
def test_the_memory_setting(setting, budget):
    assert context_budget(setting) == budget


@pytest.mark.parametrize("setting", ["lots", "10,20,30", "-3", "10,x"])
def test_a_malformed_memory_setting_names_itself(setting):
    with pytest.raises(ValueError, match="COZE_CONTEXT"):
        context_budget(setting)


def chat() -> list[Turn]:
    question = Turn("user", ["# not a heading\nsecond line"], at=1_764_160_000.0)
    answer = Turn(
        "assistant",
        ["## Answer\n\n", "Some **text**."],
        question=question.content,
        at=1_764_160_001.5,
        usage=Usage(30, 10, 20),
        first_text_seconds=0.5,
        total_seconds=1.25,
        conversation_id="c1",
        chat_id="k1",
        message_id="m1",
        feedback="like",
        remembered=2,
    )
    failed = Turn(
        "assistant",
        ["half"],
        question="again",
        at=1_764_160_100.0,
        error=CozeRateLimitError("Coze is busy.", code=4009, coze_message="busy", logid="L1"),
    )
    broken = Turn("assistant", [], at=1_764_160_200.0, error=RuntimeError("secret detail"))
    stopped = Turn("assistant", ["partial"], at=1_764_160_300.0, stopped=True)
    return [question, answer, Turn("user", ["again"], at=1_764_160_099.0), failed, broken, stopped]


def test_the_markdown_export_reads_as_the_chat():
    text = chat_markdown(chat(), ENGLISH, timezone(timedelta(hours=8)), now=1_764_170_000)
    assert text.startswith("# Chat with your Coze bot\n\n*Exported 2025-11-26 23:13*\n")
    # Who and when (in the visitor's zone), message by message, set apart by rules.
    assert text.count("\n---\n") == 6
    assert "**You** · 2025-11-26 20:26\n" in text and "**Bot** · 2025-11-26 20:26\n" in text
    assert "> ## Answer\n>\n> Some **text**.\n" in text  # an answer is a block quote
    assert "*Coze is busy right now. Please try again in a moment. (Coze code: 4009;" in text
    assert "Log id: L1)*" in text
    assert "(Error type: RuntimeError)*" in text and "secret detail" not in text
    assert "*Stopped before the answer was complete.*" in text
    # Rendered, the person's words read as typed: no heading made of them.
    html = MarkdownIt("commonmark").render(text)
    assert "<h1>Chat with your Coze bot</h1>" in html and html.count("<h1>") == 1
    assert "# not a heading<br />" in html and "<h2>Answer</h2>" in html


def test_the_markdown_export_speaks_the_visitor_s_language():
    text = chat_markdown(chat(), CHINESE, now=1_764_170_000)
    assert text.startswith("# 和你的 Coze 智能体聊天\n\n*导出于 2025-11-26 15:13*")
    assert "**智能体** · " in text and "**你** · " in text
    assert "*Coze 现在有点忙，请稍后再试。 (Coze 错误码: 4009;" in text
    assert "*回答还没完成就停止了。*" in text
    refused = Turn("assistant", [], refusal=object())
    assert "*没有发给智能体：当时这个页面太忙了。*" in chat_markdown([refused], CHINESE)
    for sentence in ("Stopped before", "Please try again", "Something went wrong", "Bot**"):
        assert sentence not in text


def test_the_json_export_keeps_ids_usage_and_timings():
    data = json.loads(chat_json(chat()))
    assert data["format"] == "coze-stream-chat/1"
    question, answer, _, failed, broken, stopped = data["messages"]
    assert question == {
        "role": "user",
        "text": "# not a heading\nsecond line",
        "at": "2025-11-26T12:26:40+00:00",
    }
    assert answer["text"] == "## Answer\n\nSome **text**."
    assert (answer["conversation_id"], answer["chat_id"], answer["message_id"]) == (
        "c1",
        "k1",
        "m1",
    )
    assert answer["usage"] == {"token_count": 30, "input_count": 10, "output_count": 20}
    assert (answer["first_text_seconds"], answer["total_seconds"]) == (0.5, 1.25)
    assert answer["feedback"] == "like" and answer["remembered_messages"] == 2
    assert answer["error"] is None and answer["stopped"] is False
    assert failed["error"] == {
        "kind": "CozeRateLimitError",
        "code": 4009,
        "message": "busy",
        "log_id": "L1",
        "http_status": None,
        "sentence": "Coze is busy.",
    }
    assert failed["question"] == "again" and failed["conversation_id"] is None
    assert broken["error"] == {"kind": "RuntimeError"}  # its message may carry anything
    assert stopped["stopped"] is True

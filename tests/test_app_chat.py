"""What people expect of the chat, with AppTest against the simulator over real HTTP: memory,
both languages, Retry and Regenerate, ratings, the time stamp, the demo link and downloads."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from coze_answer import words
from tests.helpers import APP, CJK, bubble_text, notes, send, start, trouble

EN = words("en")

DELTAS_PER_SECOND = 2000  # the simulator's rate (see conftest.py's sim)

pytestmark = pytest.mark.timeout(60)


def earlier(sim) -> list[tuple[str, str]]:
    return [(m.role, m.content) for m in sim.streams[-1].earlier]


def test_the_bot_is_sent_the_earlier_turns_and_the_switch_turns_it_off(monkeypatch, sim):
    at = start(monkeypatch, sim)
    send(at, "我叫小明")
    first_answer = at.session_state.history[1].content
    send(at, "/recall")
    assert earlier(sim) == [("user", "我叫小明"), ("assistant", first_answer)]
    assert at.session_state.history[3].remembered == 2
    assert "user: 我叫小明" in bubble_text(at.chat_message[3])
    [memory] = [t for t in at.sidebar.toggle if t.key == "memory"]
    assert memory.value is True and memory.label == "Remember this chat"
    memory.set_value(False).run()
    assert "Memory is off" in " ".join(c.value for c in at.caption)
    send(at, "/recall")
    assert earlier(sim) == []


def test_a_failed_turn_is_left_out_and_a_stopped_one_goes_as_shown(monkeypatch, sim):
    at = start(monkeypatch, sim)
    send(at, "/fail busy q1")
    send(at, "/recall")
    assert earlier(sim) == [("user", "/fail busy q1")]  # the failed answer is not sent


def test_the_owner_sets_the_budget_or_turns_memory_off(monkeypatch, sim):
    at = start(monkeypatch, sim, COZE_CONTEXT="1")
    send(at, "one")
    send(at, "/recall")
    assert len(earlier(sim)) == 1 and earlier(sim)[0][0] == "assistant"
    at = start(monkeypatch, sim, COZE_CONTEXT="off")
    assert "memory" not in [t.key for t in at.sidebar.toggle]
    assert any(words("en").memory_off_caption == c.value for c in at.caption)
    send(at, "one")
    send(at, "/recall")
    assert earlier(sim) == []


def test_a_chinese_browser_reads_chinese_and_can_switch(monkeypatch, sim):
    at = start(monkeypatch, sim, locale="zh-CN")
    zh = words("zh")
    assert at.title[0].value == zh.title
    assert at.chat_input[0].placeholder == zh.placeholder
    send(at, "/fail busy 你好")
    headline, details = trouble(at.chat_message[1])
    assert CJK.search(headline) and "Coze 错误码" in details and "4009" in details
    assert [b.label for b in at.chat_message[1].button] == [zh.retry]
    send(at, "/think 天空")
    assert notes(at.chat_message[3])[-1].startswith(tuple("0123456789"))
    assert "个 token" in notes(at.chat_message[3])[-1]
    at.run()  # replayed: the reasoning behind an expander titled with the thinking time
    assert at.chat_message[3].expander[0].label.startswith("思考了")
    # Switched to English in the sidebar: the page and the turns already on it.
    at.sidebar.radio[0].set_value("en").run()
    assert at.title[0].value == words("en").title
    headline, details = trouble(at.chat_message[1])
    assert not CJK.search(headline) and "Coze code" in details
    assert "tokens" in notes(at.chat_message[3])[-1]


def test_an_english_browser_reads_english(monkeypatch, sim):
    at = start(monkeypatch, sim, locale="en-US")
    assert at.title[0].value == words("en").title
    assert at.sidebar.radio[0].value == "en"


def test_retry_asks_the_same_question_in_place_of_the_failed_answer(monkeypatch, sim):
    at = start(monkeypatch, sim)
    send(at, "/fail cut retried")
    count = sum(1 for r in sim.requests if r.path == "/v3/chat")
    [retry] = at.chat_message[1].button
    assert retry.label == "Retry"
    retry.click().run()
    assert sum(1 for r in sim.requests if r.path == "/v3/chat") == count + 1
    body = [r for r in sim.requests if r.path == "/v3/chat"][-1].body
    sent = [(m["role"], m["content"]) for m in body["additional_messages"]]
    assert sent == [("user", "/fail cut retried")]  # the failed answer is not remembered
    history = at.session_state.history
    assert [t.role for t in history] == ["user", "assistant"]
    assert history[1].question == "/fail cut retried" and history[1].error is not None


def test_regenerate_replaces_the_last_answer_and_only_the_last(monkeypatch, sim):
    at = start(monkeypatch, sim)
    send(at, "first")
    send(at, "second")
    labels = [[b.label for b in m.button if b.key.startswith("redo")] for m in at.chat_message]
    assert labels == [[], [], [], ["Regenerate"]]
    old = at.session_state.history[3].chat_id
    [regenerate] = [b for b in at.chat_message[3].button if b.label == "Regenerate"]
    regenerate.click().run()
    history = at.session_state.history
    assert [t.content for t in history[::2]] == ["first", "second"]
    assert history[3].chat_id != old and sim.streams[-1].message == "second"
    # The question went with the same memory as the first time: the first turn only.
    assert [m.role for m in sim.streams[-1].earlier] == ["user", "assistant"]


def test_no_thumbs_or_regenerate_where_they_cannot_work(monkeypatch, sim):
    at = start(monkeypatch, sim)
    send(at, "/fail auth not set up")  # retrying cannot mend a wrong token
    assert not at.chat_message[1].feedback and not at.chat_message[1].button


def test_a_thumb_reaches_coze_and_can_be_taken_back(monkeypatch, sim):
    at = start(monkeypatch, sim)
    send(at, "rate me")
    turn = at.session_state.history[1]
    assert turn.conversation_id and turn.message_id
    at.chat_message[1].feedback[0].set_value(1).run()
    assert sim.feedback_of(turn.conversation_id, turn.message_id) == "like"
    assert turn.feedback == "like"
    at.chat_message[1].feedback[0].set_value(0).run()
    assert sim.feedback_of(turn.conversation_id, turn.message_id) == "unlike"
    at.chat_message[1].feedback[0].set_value(None).run()
    assert sim.feedback_of(turn.conversation_id, turn.message_id) is None
    assert sim.feedbacks[-1].method == "DELETE" and turn.feedback is None


def test_a_refused_rating_is_said_and_the_thumb_goes_back(monkeypatch, sim):
    at = start(monkeypatch, sim)
    send(at, "rate me")
    turn = at.session_state.history[1]
    turn.message_id = "0000"  # a message Coze does not know: refused with 4200
    at.chat_message[1].feedback[0].set_value(1).run()
    assert sim.feedbacks[-1].code != 0 and turn.feedback is None
    [toast] = at.toast  # a toast: the row under the answer keeps its shape
    assert toast.value.startswith("Your rating was not sent:")
    assert at.chat_message[1].feedback[0].value is None


def test_every_answer_has_its_time_in_the_visitor_s_zone(monkeypatch, sim):
    at = start(monkeypatch, sim)
    at.context["timezone"] = "Asia/Shanghai"
    send(at, "what time")
    turn = at.session_state.history[1]
    from datetime import datetime
    from zoneinfo import ZoneInfo

    expected = datetime.fromtimestamp(turn.at, ZoneInfo("Asia/Shanghai")).strftime("%H:%M")
    assert expected in [c.value for c in at.chat_message[1].caption]


def test_the_demo_link_opens_demo_mode_and_the_link_follows_the_switch(monkeypatch, sim):
    for name in ("COZE_PAT", "COZE_BOT_ID", "COZE_API_BASE_URL", "COZE_DEMO"):
        monkeypatch.delenv(name, raising=False)
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["demo"] = "1"
    at.run()
    assert at.session_state.demo and not at.chat_input[0].disabled
    [demo] = [t for t in at.sidebar.toggle if t.label == EN.demo_toggle]
    demo.set_value(False).run()
    assert "demo" not in at.query_params
    [demo] = [t for t in at.sidebar.toggle if t.label == EN.demo_toggle]
    demo.set_value(True).run()
    assert at.query_params["demo"] == "1"


def test_the_demo_link_does_nothing_where_the_owner_removed_demo_mode(monkeypatch):
    for name in ("COZE_PAT", "COZE_BOT_ID", "COZE_API_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COZE_DEMO", "off")
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["demo"] = "1"
    at.run()
    assert not at.session_state.demo and at.chat_input[0].disabled
    assert "demo" not in at.query_params


def test_the_chat_can_be_downloaded_once_it_has_a_message(monkeypatch, sim):
    at = start(monkeypatch, sim)
    assert not at.sidebar.download_button
    send(at, "keep me")
    labels = [b.label for b in at.sidebar.download_button]
    assert labels == ["Download as Markdown", "Download as JSON"]
    from coze_answer import chat_json

    data = json.loads(chat_json(at.session_state.history))
    assert [m["role"] for m in data["messages"]] == ["user", "assistant"]


def test_typed_spaces_and_line_breaks_are_kept(monkeypatch, sim):
    at = start(monkeypatch, sim)
    send(at, "a   b\n    indented")
    shown = at.chat_message[0].markdown[0].value
    assert shown == "a \u00a0\u00a0b  \n\u00a0\u00a0\u00a0\u00a0indented"


def test_addresses_in_details_are_code_not_links_that_swallow_punctuation():
    from markdown_it import MarkdownIt

    from chat_page.answer_bubble import detail_markdown

    # In code spans, which no renderer turns into links (GFM's autolinks skip code).
    renderer = MarkdownIt("commonmark")
    html = renderer.render(detail_markdown("设置 https://api.coze.com，在 https://api.coze.cn。"))
    assert "<a " not in html
    assert "<code>https://api.coze.com</code>，在 <code>https://api.coze.cn</code>。" in html
    html = renderer.render(detail_markdown("set COZE_API_BASE_URL=https://api.coze.com, or not."))
    assert "<code>https://api.coze.com</code>, or not." in html and "<a " not in html


def test_a_question_node_s_zero_usage_is_not_shown(monkeypatch, sim):
    at = start(monkeypatch, sim)
    send(at, "/question 订票")
    [line] = notes(at.chat_message[1])[-1:]
    assert "tokens" not in line and "total" in line

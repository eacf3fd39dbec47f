"""Chats kept in the browser, the page's side, with AppTest against the simulator: what the
browser's component is sent (only the turns that changed), a chat restored after a reload (as it
was, with memory and ratings working), the memory budget, a hostile store, demo apart from live,
and COZE_KEEP_CHATS=off. The component's own JavaScript is tested in tests/e2e/test_keep.py."""

from __future__ import annotations

import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from chat_page.conversation import FOLD_STEP, SHOWN_TURNS
from coze_answer import KEEP_VERSION, turn_record
from tests.helpers import APP, all_text, bubble_text, send, start

DELTAS_PER_SECOND = 4000

pytestmark = pytest.mark.timeout(120)


def kept(at: AppTest) -> dict:
    """What the page last sent the browser's store component."""
    for element in at.sidebar:
        proto = getattr(element, "proto", None)
        if getattr(proto, "component_name", "") == "coze_keep":
            return json.loads(proto.bytes)
    raise AssertionError("the store's component is not on the page")


def stored(at: AppTest, *, demo: bool = False, chat_id: str = "00112233445566aa") -> str:
    """The page's chat as the browser would keep it."""
    turns = [turn_record(turn) for turn in at.session_state.history]
    return json.dumps({"v": KEEP_VERSION, "id": chat_id, "demo": demo, "turns": turns})


def from_browser(at: AppTest, *messages: tuple[str, object]) -> AppTest:
    """Run the page as after the component sent ``messages`` (its state and triggers)."""
    at.session_state["keep_inbox"] = list(messages)
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_reload_restores_the_chat_and_memory_and_ratings_still_work(monkeypatch, sim):
    at = start(monkeypatch, sim)
    assert kept(at)["chat"]["turns"] == [] and kept(at)["ready"] is None
    send(at, "我叫小明")
    send(at, "/think")
    first = kept(at)["chat"]
    assert first["base"] == 2 and [t["role"] for t in first["turns"]] == ["user", "assistant"]
    raw = stored(at)
    shown = [bubble_text(message) for message in at.chat_message]
    answer = at.session_state.history[1]

    reloaded = from_browser(start(monkeypatch, sim), ("found", {"nonce": "n1", "raw": raw}))
    assert [bubble_text(message) for message in reloaded.chat_message] == shown
    assert reloaded.chat_message[3].expander[0].label.startswith("Thought for")
    data = kept(reloaded)
    assert data["ready"] == "n1" and data["chat"]["id"] == "00112233445566aa"
    assert data["chat"]["turns"] == []  # the browser has them all: nothing is sent again

    send(reloaded, "/recall")
    assert sim.streams[-1].earlier[0].content == "我叫小明"
    assert len(sim.streams[-1].earlier) == 4
    after = kept(reloaded)["chat"]
    assert after["base"] == 4 and len(after["turns"]) == 2  # only the new turns

    reloaded.chat_message[1].feedback[0].set_value(1).run()
    assert sim.feedback_of(answer.conversation_id, answer.message_id) == "like"
    after = kept(reloaded)["chat"]
    assert after["base"] == 1 and after["turns"][0]["feedback"] == "like"

    # A second report of the same page load changes nothing; a new one (a restart) restores
    # only a chat still as it was restored: this one has turns of its own since.
    from_browser(reloaded, ("found", {"nonce": "n1", "raw": raw}))
    from_browser(reloaded, ("found", {"nonce": "n2", "raw": raw}))
    assert len(reloaded.session_state.history) == 6 and kept(reloaded)["ready"] == "n2"


def test_a_restored_long_chat_sends_coze_no_more_than_the_memory_budget(monkeypatch, sim):
    at = start(monkeypatch, sim, COZE_CONTEXT="6,5000")
    turns = []
    for number in range(100):
        turns.append({"role": "user", "at": 1_700_000_000 + number, "text": f"question {number}"})
        turns.append(
            {
                "role": "assistant",
                "at": 1_700_000_000 + number,
                "blocks": [f"answer {number} " + "x" * 3000],
                "total_seconds": 1.0,
            }
        )
    raw = json.dumps({"v": KEEP_VERSION, "id": "00112233445566bb", "turns": turns})
    from_browser(at, ("found", {"nonce": "n", "raw": raw}))
    assert len(at.session_state.history) == 200
    # Only the newest turns are drawn; the rest wait behind "Earlier messages".
    folded = (200 - SHOWN_TURNS) // FOLD_STEP * FOLD_STEP
    assert SHOWN_TURNS <= len(at.chat_message) == 200 - folded < SHOWN_TURNS + FOLD_STEP
    assert f"question {folded // 2}" in bubble_text(at.chat_message[0])
    [earlier] = [b for b in at.button if b.key == "earlier-messages"]
    assert earlier.label == f"Earlier messages ({folded})"
    earlier.click().run()
    assert len(at.chat_message) == 200 and "question 0" in bubble_text(at.chat_message[0])
    send(at, "/recall")
    earlier = sim.streams[-1].earlier
    assert 0 < len(earlier) <= 6 and sum(len(m.content) for m in earlier) <= 5000
    assert earlier[-1].content.startswith("answer 99 ")


def test_a_hostile_store_shows_only_what_the_guards_allow_and_the_chat_goes_on(monkeypatch, sim):
    at = start(monkeypatch, sim)
    hostile = json.dumps(
        {
            "v": KEEP_VERSION,
            "id": "00112233445566cc",
            "turns": [
                {
                    "role": "user",
                    "at": 1,
                    "text": "<script>alert(1)</script>\u202e![p](https://evil.example/u)",
                },
                {
                    "role": "assistant",
                    "at": 2,
                    "blocks": [
                        "![pixel](https://evil.example/track.png) <img src=x onerror=alert(1)>",
                        "$a$ " * 500,
                    ],
                    "reasoning": "![r](http://evil.example/r.png)",
                    "follow_ups": ["![f](https://evil.example/f.png)"],
                    "total_seconds": 1,
                    "conversation_id": "c1",
                    "message_id": "m1",
                },
                {"role": "assistant", "at": 3, "blocks": "<img onerror>"},
                {"role": "assistant", "at": 4, "blocks": [], "failure": {"kind": "app"}},
            ],
        }
    )
    from_browser(at, ("found", {"nonce": "n", "raw": hostile}))
    assert len(at.session_state.history) == 3  # the malformed turn is left out
    text = "\n".join(m.value for m in at.markdown)
    assert not re.search(r"(?<!\\)!\[(pixel|r)\]", text)  # links at most, never images
    assert "\\!\\[p\\]" in text and "\u202e" not in text  # the person's words, as typed
    assert at.session_state.history[1].math_capped is False and text.count("\\$") > 0
    assert "could not be read" in " ".join(str(t.value) for t in at.toast)
    assert "failed" in all_text(at).lower() or at.error
    for garbage in ("{{{", json.dumps({"v": 99}), json.dumps([1, 2]), "null"):
        fresh = from_browser(start(monkeypatch, sim), ("found", {"nonce": "g", "raw": garbage}))
        assert fresh.session_state.history == [] and not fresh.exception
    send(at, "hello")
    assert len(at.session_state.history) == 5 and not at.exception


def test_demo_chats_stay_demo_and_never_become_live_memory(monkeypatch, sim):
    at = start(monkeypatch, sim)
    send(at, "hello")
    demo_chat = stored(at, demo=True)
    offered = start(monkeypatch, sim, COZE_DEMO="on")  # a live page that offers demo mode
    live = from_browser(offered, ("found", {"nonce": "n", "raw": demo_chat}))
    assert live.session_state.demo is True and len(live.session_state.history) == 2
    assert kept(live)["chat"]["demo"] is True

    no_demo = start(monkeypatch, sim, COZE_DEMO="off")
    from_browser(no_demo, ("found", {"nonce": "n", "raw": demo_chat}))
    assert no_demo.session_state.history == [] and no_demo.session_state.demo is False
    send(no_demo, "/recall")
    assert sim.streams[-1].earlier == []


def test_open_delete_forget_and_new_chat(monkeypatch, sim):
    at = start(monkeypatch, sim)
    send(at, "first chat")
    raw = stored(at, chat_id="00112233445566dd")
    first_id = kept(at)["chat"]["id"]
    [new_chat] = [b for b in at.sidebar.button if b.label == "New chat"]
    new_chat.click().run()
    assert at.session_state.history == [] and kept(at)["chat"]["id"] != first_id
    send(at, "second chat")
    from_browser(at, ("open", {"raw": raw}))
    assert "first chat" in bubble_text(at.chat_message[0])
    assert kept(at)["chat"]["id"] == "00112233445566dd"
    from_browser(at, ("deleted", "00112233445566dd"))
    assert at.session_state.history == [] and kept(at)["chat"]["id"] != "00112233445566dd"
    send(at, "third chat")
    from_browser(at, ("forgot", True))
    assert at.session_state.history == []
    from_browser(at, ("open", {"raw": "not a chat"}))
    assert at.session_state.history == []


def test_keeping_off_stores_nothing_and_restores_nothing(monkeypatch, sim):
    at = start(monkeypatch, sim, COZE_KEEP_CHATS="off")
    send(at, "hello")
    raw = stored(at)
    data = kept(at)
    assert data["keep"] is False and data["chat"] is None
    fresh = from_browser(
        start(monkeypatch, sim, COZE_KEEP_CHATS="off"), ("found", {"nonce": "n", "raw": raw})
    )
    assert fresh.session_state.history == []


def test_after_a_restart_the_stored_chat_and_the_new_sessions_turns_are_merged(monkeypatch, sim):
    at = start(monkeypatch, sim)
    send(at, "one")
    at_page_load = stored(at)  # what the page read when it loaded
    send(at, "two")
    in_the_store = stored(at)  # what the browser holds when the server restarts
    # The new session first gets the page's old report, then a message, then a fresh report.
    restarted = from_browser(
        start(monkeypatch, sim), ("found", {"nonce": "a", "raw": at_page_load})
    )
    send(restarted, "three")
    from_browser(restarted, ("found", {"nonce": "b", "raw": in_the_store}))
    questions = [t.content for t in restarted.session_state.history if t.role == "user"]
    assert questions == ["one", "two", "three"]
    chat = kept(restarted)["chat"]
    assert chat["base"] == 4 and chat["turns"][0]["text"] == "three"
    # A demo chat in the store is not merged with live turns: the page stays as it is.
    demo_store = stored(restarted, demo=True, chat_id="00112233445566ee")
    live = from_browser(
        start(monkeypatch, sim, COZE_DEMO="on"), ("found", {"nonce": "a", "raw": None})
    )
    send(live, "live turn")
    from_browser(live, ("found", {"nonce": "b", "raw": demo_store}))
    assert [t.content for t in live.session_state.history if t.role == "user"] == ["live turn"]
    assert live.session_state.demo is False


def test_questions_sent_before_the_browser_reports_are_answered_in_turn(monkeypatch, sim):
    """After a restart, a page's first message reaches a new session, which parks it until the
    browser reports the tab's chat. A second message before that report is not lost: the first
    is answered, then the second."""
    start(monkeypatch, sim)  # the environment
    restarted = AppTest.from_file(APP, default_timeout=30)
    restarted.session_state["asked"] = "one"  # the session's first run brings a question
    restarted.run()
    assert restarted.session_state.history == []  # parked: no report yet
    send(restarted, "two")  # sent before the report came
    turns = restarted.session_state.history
    assert [t.content for t in turns if t.role == "user"] == ["one", "two"]
    assert [t.question for t in turns if t.role == "assistant"] == ["one", "two"]
    assert all(t.total_seconds is not None for t in turns if t.role == "assistant")
    assert 'You asked: "two"' in bubble_text(restarted.chat_message[-1])
    # The report that comes after changes nothing, and no question waits any more.
    from_browser(restarted, ("found", {"nonce": "a", "raw": None}))
    assert [t.content for t in restarted.session_state.history if t.role == "user"] == [
        "one",
        "two",
    ]

"""One click, one action; demo mode apart from the live budget; a newcomer's first minute. With
AppTest against the simulator over real HTTP."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from coze_answer import MAX_MESSAGE_CHARS, words
from tests.helpers import APP, CJK, TIME, bubble_text, send, start

pytestmark = pytest.mark.timeout(60)

EN = words("en")


def stale_clicks() -> None:
    """The page, with the clicks a test put in ``stale_clicks`` run first, as Streamlit runs
    the callback of a button that is still on the visitor's screen but no longer in the app."""
    import streamlit as st

    import streamlit_app
    from chat_page import controls

    for name, *args in st.session_state.pop("stale_clicks", []):
        getattr(controls, name)(*args)
    streamlit_app.main()


def page_with_stale_clicks(monkeypatch, sim) -> AppTest:
    start(monkeypatch, sim)  # the environment
    at = AppTest.from_function(stale_clicks, default_timeout=30)
    at.run()
    return at


def test_a_second_regenerate_on_an_answer_being_redone_does_nothing(monkeypatch, sim):
    at = page_with_stale_clicks(monkeypatch, sim)
    send(at, "twice")
    first = at.session_state.history[1]
    chats = len(sim.streams)
    at.button(key=f"redo-{first.id}").click()
    # The second click reaches the app in the same moment: its answer is gone already.
    at.session_state["stale_clicks"] = [("_redo", first.id), ("_ask", "a suggestion", first.id)]
    at.run()
    assert not at.exception
    history = at.session_state.history
    assert [t.role for t in history] == ["user", "assistant"]
    assert history[0].content == "twice" and history[1].id != first.id
    assert not history[1].stopped
    assert len(sim.streams) == chats + 1  # the question went once


def test_a_question_whose_run_a_second_click_ended_before_its_answer_is_asked(monkeypatch, sim):
    """A double click's second half can end the redo's run between the question and its
    answer: the question stood alone, and is asked again."""
    at = page_with_stale_clicks(monkeypatch, sim)
    send(at, "cut short")
    first = at.session_state.history[1]
    del at.session_state.history[1]  # the run ended before the answer began
    chats = len(sim.streams)
    at.session_state["stale_clicks"] = [("_redo", first.id)]
    at.run()
    assert not at.exception
    history = at.session_state.history
    assert [(t.role, t.content if t.role == "user" else t.question) for t in history] == [
        ("user", "cut short"),
        ("assistant", "cut short"),
    ]
    assert not history[1].stopped and "cut short" in history[1].content
    assert len(sim.streams) == chats + 1


def test_a_stale_suggestion_of_an_older_answer_sends_nothing(monkeypatch, sim):
    at = page_with_stale_clicks(monkeypatch, sim)
    send(at, "first")
    older = at.session_state.history[1]
    send(at, "second")
    chats = len(sim.streams)
    at.session_state["stale_clicks"] = [("_ask", older.follow_ups[0], older.id)]
    at.run()
    assert len(sim.streams) == chats and len(at.session_state.history) == 4
    # The last answer's own suggestion is sent.
    last = at.session_state.history[3]
    at.button(key=f"follow-up-{last.id}-0").click().run()
    assert len(sim.streams) == chats + 1
    assert at.session_state.history[4].content == last.follow_ups[0]


def test_a_suggestion_longer_than_a_message_may_be_is_not_offered(live, sim):
    send(live, "suggest")
    turn = live.session_state.history[1]
    turn.follow_ups = ["x" * (MAX_MESSAGE_CHARS + 1), "short enough"]
    live.run()
    labels = [b.label for b in live.chat_message[1].button if b.key.startswith("follow-up")]
    assert labels == ["short enough"]


def test_ratings_count_against_the_visitor_s_messages_a_minute(monkeypatch, sim):
    at = start(monkeypatch, sim, COZE_MESSAGES_PER_MINUTE="3")
    send(at, "rate me")  # one
    turn = at.session_state.history[1]
    at.chat_message[1].feedback[0].set_value(1).run()  # two
    at.chat_message[1].feedback[0].set_value(0).run()  # three
    sent = len(sim.feedbacks)
    at.chat_message[1].feedback[0].set_value(1).run()  # one too many: not sent
    assert len(sim.feedbacks) == sent
    assert turn.feedback == "unlike" and at.chat_message[1].feedback[0].value == 0
    assert "more messages in a minute" in at.warning[0].value


def test_the_header_s_stop_leaves_the_row_retry_and_downloads(sim, live):
    # Streamlit's own Stop ends the run (a StopException at the next check) and no run follows:
    # the row, Retry and the downloads must be drawn all the same.
    def stopped_by_the_header():
        from streamlit.runtime.scriptrunner_utils.exceptions import StopException

        import streamlit_app
        from coze_stream import AnswerDelta, BackgroundChat, ChatStarted

        calls = []

        def take(self, timeout):
            calls.append(timeout)
            if len(calls) == 1:
                return [ChatStarted("conversation", "chat"), AnswerDelta("Half an", "m1")]
            raise StopException()

        take_before, BackgroundChat.take = BackgroundChat.take, take
        try:
            streamlit_app.main()
        finally:
            BackgroundChat.take = take_before

    at = AppTest.from_function(stopped_by_the_header, default_timeout=30)
    at.run()
    assert not at.sidebar.download_button
    at.chat_input[0].set_value("stop me from the header").run()
    bubble = at.chat_message[1]
    assert "Half an" in bubble_text(bubble)
    assert at.session_state.history[1].stopped
    assert EN.retry in [b.label for b in bubble.button]
    assert [c.value for c in bubble.caption if TIME.fullmatch(c.value)]
    assert [b.label for b in at.sidebar.download_button] == [
        EN.download_markdown,
        EN.download_json,
    ]


def test_with_a_live_bot_demo_mode_is_off_unless_the_owner_offers_it(monkeypatch, sim):
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["demo"] = "1"
    start(monkeypatch, sim)  # the environment, with a live bot
    at.run()
    assert not at.session_state.demo and EN.demo_toggle not in [t.label for t in at.sidebar.toggle]
    at = start(monkeypatch, sim, COZE_DEMO="on")
    assert not at.session_state.demo  # offered, not started
    [demo] = [t for t in at.sidebar.toggle if t.label == EN.demo_toggle]
    demo.set_value(True).run()
    assert at.session_state.demo


def test_a_rerun_the_browser_sent_before_it_saw_demo_mode_does_not_undo_it(monkeypatch):
    """The browser sends every widget's value with each rerun. On a page just opened, the
    stored chat's report can start a rerun right after a click on Try demo mode: it cuts the
    click's run short after its callback turned demo mode on, before the switch was drawn, and
    it still has the switch off. It must not turn demo mode off again."""
    for name in ("COZE_PAT", "COZE_BOT_ID", "COZE_API_BASE_URL", "COZE_DEMO"):
        monkeypatch.delenv(name, raising=False)
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    before_the_click = at._tree.get_widget_states()  # what the browser still has
    at.session_state["demo"] = True  # what the click's callback did in the run cut short
    at._run(before_the_click)
    assert at.session_state.demo and not at.chat_input[0].disabled
    [switch] = [t for t in at.sidebar.toggle if t.label == EN.demo_toggle]
    assert switch.value
    # The switch still works both ways after it, and so does the button.
    switch.set_value(False).run()
    assert not at.session_state.demo and at.chat_input[0].disabled
    [switch] = [t for t in at.sidebar.toggle if t.label == EN.demo_toggle]
    switch.set_value(True).run()
    assert at.session_state.demo and not at.chat_input[0].disabled
    [switch] = [t for t in at.sidebar.toggle if t.label == EN.demo_toggle]
    switch.set_value(False).run()
    [try_demo] = [b for b in at.button if b.label == EN.try_demo]
    try_demo.click().run()
    assert at.session_state.demo and not at.chat_input[0].disabled


@pytest.mark.parametrize(
    ("demo", "placeholder"), [("", EN.placeholder_unset_demo), ("off", EN.placeholder_unset)]
)
def test_the_disabled_box_says_why(monkeypatch, demo, placeholder):
    for name in ("COZE_PAT", "COZE_BOT_ID", "COZE_API_BASE_URL", "COZE_DEMO"):
        monkeypatch.delenv(name, raising=False)
    if demo:
        monkeypatch.setenv("COZE_DEMO", demo)
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    box = at.chat_input[0]
    assert box.disabled and box.placeholder == placeholder


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_demo_answers_and_suggestions_follow_the_page_s_language(monkeypatch, locale):
    for name in ("COZE_PAT", "COZE_BOT_ID", "COZE_API_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COZE_DEMO", "1")
    at = AppTest.from_file(APP, default_timeout=30)
    at.context["locale"] = locale
    at.run()
    send(at, "/think hello")
    turn = at.session_state.history[1]
    chinese = locale.startswith("zh")
    for text in (turn.content, turn.reasoning, *turn.follow_ups):
        assert bool(CJK.search(text)) == chinese, text
    if not chinese:
        assert "hello" in turn.content


def test_an_answer_a_no_op_click_interrupted_is_asked_again(monkeypatch, sim):
    # A double click's second half reaches the app while the first half's answer streams: its
    # run ends that answer (every click does), and its callback finds its answer gone.
    at = page_with_stale_clicks(monkeypatch, sim)
    send(at, "once")
    interrupted = at.session_state.history[1]
    interrupted.stopped = True
    at.session_state["interrupted"] = interrupted.id
    at.session_state["stale_clicks"] = [("_redo", "an-answer-gone-already")]
    chats = len(sim.streams)
    at.run()
    history = at.session_state.history
    assert [(t.role, t.content if t.role == "user" else t.question) for t in history] == [
        ("user", "once"),
        ("assistant", "once"),
    ]
    assert not history[1].stopped and history[1].id != interrupted.id
    assert len(sim.streams) == chats + 1
    # Only the run right after the interruption asks again: a later stale click does nothing.
    at.session_state["stale_clicks"] = [("_redo", "an-answer-gone-already")]
    at.run()
    assert len(sim.streams) == chats + 1 and len(at.session_state.history) == 2


def test_demo_chats_go_on_while_every_live_place_is_taken(monkeypatch, sim):

    # Settings of this test only: the process's gate for them is this test's.
    limits = {"COZE_MAX_CHATS": "1", "COZE_MESSAGES_PER_MINUTE": "17", "COZE_MAX_DEMO_CHATS": "2"}
    live = start(monkeypatch, sim, **limits)
    with live.session_state.gate.admit("a live visitor"):  # the page's own gate
        send(live, "live question")
        # The live place is taken: the message waits in the box.
        assert live.session_state.history == [] and live.warning[0].value == EN.refused_busy_in_box
        demo = start(monkeypatch, sim, COZE_DEMO="1", **limits)
        assert demo.session_state.demo
        send(demo, "demo question")
        turn = demo.session_state.history[1]
        assert turn.refusal is None and "demo question" in turn.content


def test_an_answer_the_page_s_stop_ended_is_not_asked_again(monkeypatch, sim):
    at = page_with_stale_clicks(monkeypatch, sim)
    send(at, "stopped on purpose")
    interrupted = at.session_state.history[1]
    interrupted.stopped = True
    at.session_state["interrupted"] = interrupted.id
    at.session_state["stop-answer"] = True  # the page's Stop, with the stale click
    at.session_state["stale_clicks"] = [("_redo", "an-answer-gone-already")]
    chats = len(sim.streams)
    at.run()
    assert len(sim.streams) == chats and at.session_state.history[1] is interrupted

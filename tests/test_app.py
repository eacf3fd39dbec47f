"""The chat page, driven with Streamlit's AppTest against the simulator over real HTTP."""

from __future__ import annotations

import socket

import pytest
from streamlit.testing.v1 import AppTest

from coze_answer import explain, words
from coze_stream.simulator import build_answer
from tests.helpers import (
    APP,
    BOT_ID,
    TOKEN,
    all_text,
    bubble_text,
    notes,
    send,
    trouble,
)

DELTAS_PER_SECOND = 2000  # the simulator's rate (see conftest.py's sim)

pytestmark = pytest.mark.timeout(60)


def test_streamed_answer_lands_in_history(live, sim):
    send(live, "你好 streamlit")
    user, assistant = live.chat_message
    assert (user.name, assistant.name) == ("user", "assistant")
    assert user.markdown[0].value == "你好 streamlit"
    expected = sim.streams[-1].answer
    assert "你好 streamlit" in expected
    assert bubble_text(assistant).replace("\n", "") == expected.replace("\n", "")
    history = live.session_state.history
    assert [turn.role for turn in history] == ["user", "assistant"]
    assert history[1].content == expected and not history[1].error and not history[1].stopped
    streamed = [element.value for element in live.chat_message[1].markdown]
    # Streamed block by block, it ends as one element holding the whole text, exactly as the
    # whole text renders (and, at or over Streamlit's cache size, sent only once per session).
    assert [text.strip() for text in streamed] == [expected.strip()]
    live.run()  # replayed on the next run element for element, exactly as it ended
    assert [element.value for element in live.chat_message[1].markdown] == streamed


def test_each_message_starts_a_new_conversation_with_a_fresh_user(live, sim):
    send(live, "first")
    send(live, "second")
    bodies = [r.body for r in sim.requests[-2:]]
    assert bodies[0]["user_id"] != bodies[1]["user_id"]
    assert all("conversation_id" not in body for body in bodies)
    assert len(live.chat_message) == 4


def test_reasoning_usage_and_follow_ups(live, sim):
    send(live, "/think why is the sky blue")
    record = sim.streams[-1]
    assistant = live.chat_message[1]
    assert record.reasoning and record.reasoning in bubble_text(assistant)
    caption = notes(assistant)[-1]
    assert "tokens" in caption and "first text after" in caption and "total" in caption
    labels = [b.label for b in assistant.button if b.key.startswith("follow-up")]
    assert len(labels) == 3
    live.run()  # the reasoning stays behind an expander titled with the thinking time
    assert live.chat_message[1].expander[0].label.startswith("Thought for")
    [first] = [b for b in live.chat_message[1].button if b.label == labels[0]]
    first.click().run()
    assert sim.streams[-1].message == labels[0]
    assert [turn.content for turn in live.session_state.history[::2]] == [
        "/think why is the sky blue",
        labels[0],
    ]


def test_an_answer_without_text_says_so_instead_of_an_empty_bubble(live, sim):
    NO_TEXT_NOTICE = words("en").no_text
    send(live, "/card a card please")
    assistant = live.chat_message[1]
    assert bubble_text(assistant) == ""
    assert [w.value for w in assistant.warning] == [NO_TEXT_NOTICE]
    assert not assistant.error and live.session_state.history[1].no_text
    live.run()  # replayed the same way
    assert [w.value for w in live.chat_message[1].warning] == [NO_TEXT_NOTICE]
    send(live, "text again")  # an answer with text has no such notice
    assert not live.chat_message[3].warning and notes(live.chat_message[3])


def test_a_question_node_s_question_is_the_answer_with_a_neutral_note(live, sim):
    from coze_stream.simulator.answers import QUESTION_NODE_TEXT

    AWAITING_REPLY_NOTE = words("en").awaiting_reply
    send(live, "/question 订票")
    assistant = live.chat_message[1]
    assert bubble_text(assistant) == QUESTION_NODE_TEXT
    assert not assistant.error and not assistant.warning
    assert notes(assistant)[0].startswith(AWAITING_REPLY_NOTE)
    live.run()  # replayed the same way
    assert notes(live.chat_message[1])[0].startswith(AWAITING_REPLY_NOTE)


def test_an_object_string_answer_shows_its_text_image_and_file(live, sim, monkeypatch):
    send(live, "/rich 销售")  # the image's host (127.0.0.1) is not allowed: a link
    assert f"\n\\![chart.png](<{sim.base_url}/files/chart.png>)" in bubble_text(
        live.chat_message[1]
    )
    monkeypatch.setenv("COZE_IMAGE_HOSTS", "127.0.0.1")
    send(live, "/rich 销售")
    text = bubble_text(live.chat_message[3])
    assert "Chart and report for “销售”" in text
    assert f"![chart.png](<{sim.base_url}/files/chart.png>)" in text
    assert f"[report.pdf](<{sim.base_url}/files/report.pdf>)" in text
    assert "not-a-web-link.txt" in text and "javascript" not in text and "file_url" not in text
    assert not live.chat_message[3].error and not live.chat_message[3].warning


def test_whitespace_input_is_ignored(live, sim):
    before = len(sim.requests)
    send(live, "   \n\t ")
    assert len(live.chat_message) == 0 and len(sim.requests) == before


def test_a_message_over_the_limit_goes_back_in_the_box_with_a_note(live, sim):
    from coze_answer import MAX_MESSAGE_CHARS

    send(live, "first")
    before = len(sim.requests)
    history = [(turn.role, turn.content) for turn in live.session_state.history]
    text = "  " + "abcdefghi " * (MAX_MESSAGE_CHARS // 10) + "x\n"  # 16,001 once trimmed
    send(live, text)
    assert len(sim.requests) == before  # nothing was sent
    assert [(turn.role, turn.content) for turn in live.session_state.history] == history
    (warning,) = live.warning
    assert "16,001 characters" in warning.value and "16,000" in warning.value
    box = live.chat_input[0].proto
    assert box.set_value and box.value == text  # exactly as typed, back in the box
    live.run()  # the note is for the attempt, not for every run after it
    assert not live.warning
    at_limit = text.strip()[: MAX_MESSAGE_CHARS - 1] + "!"
    send(live, at_limit)  # shortened to the limit: sent
    assert sim.streams[-1].message == at_limit
    assert not live.session_state.history[-1].error


def test_control_characters_are_removed_before_sending(live, sim):
    send(live, "he\x00ll\x1bo\tthere")
    assert sim.streams[-1].message == "hello\tthere"


@pytest.mark.parametrize(
    ("command", "words", "context", "partial"),
    [
        ("/fail auth", "wrong or has expired", "Coze code 4100", False),
        ("/fail echo-token", "no permission", "Coze code 4101", False),
        ("/fail echo-token-everywhere", "no permission", "Coze code 4101", False),
        ("/fail bot", "COZE_BOT_ID", "Coze code 4200", False),
        ("/fail unpublished", "not published", "Coze code 4015", False),
        ("/fail busy", "busy", "Coze code 4009", False),
        ("/fail 502", "HTTP status:** 502", "HTTP 502", False),
        ("/fail error-event", "stopped the answer with an error", "Coze code 5000", True),
        ("/fail chat-failed", "could not finish", "Coze code 5000", True),
        ("/fail cut", "broke before the answer was complete", "", True),
        ("/fail malformed", "cannot read", "", True),
        ("/fail failed-bare", "run out of tokens", "Coze code 4011: balance is not enough", True),
        ("/fail error-code-string", "run out of tokens", "Coze code 4011", True),
        ("/fail bare-json", "no permission", "Coze code 4101", False),
        ("/plugin", "its plugin get_weather", "", False),
    ],
)
def test_errors_show_their_sentence_in_the_bubble_and_keep_the_text(
    live, sim, command, words, context, partial
):
    send(live, f"{command} question")
    assistant = live.chat_message[1]
    headline, details = trouble(assistant)
    turn = live.session_state.history[1]
    # The visitor reads what they can do; the owner's sentence, Coze's code and the log id
    # Coze support needs are in the collapsed Details.
    assert headline == explain(turn.error, "en").headline
    assert turn.error.sentence not in headline and "log id" not in headline.lower()
    assert words in details and context in str(turn.error)
    if turn.error.coze_message:  # Coze's own words, for the owner
        assert turn.error.coze_message in details
    assert TOKEN not in all_text(live) and "CANARY" not in details + str(turn.error)
    assert sim.requests[-1].logid in details
    if turn.error.code is not None:
        assert f"Coze code:** {turn.error.code}" in details
    shown = bubble_text(assistant)
    if partial:
        content = turn.content
        assert len(content) >= 10 and build_answer("question").startswith(content)
        assert shown.replace("\n", "") == content.replace("\n", "")
    else:
        assert shown == ""
    assert (turn.content != "") == partial
    # Retry, where trying again may help (not for a missing setting or an exhausted balance).
    retry = ["Retry"] if explain(turn.error, "en").retry else []
    assert [b.label for b in assistant.button] == retry
    live.run()  # all of it stays after the next rerun
    assert trouble(live.chat_message[1]) == (headline, details)
    assert bubble_text(live.chat_message[1]).replace("\n", "") == shown.replace("\n", "")
    send(live, "and now a normal question")  # the app keeps working
    assert "and now a normal question" in bubble_text(live.chat_message[3])
    assert not live.chat_message[3].error


def test_rate_limit_is_retried_and_the_user_sees_one_answer(live, sim):
    send(live, "/fail rate-limit once more")
    assistant = live.chat_message[1]
    assert not assistant.error
    assert "once more" in bubble_text(assistant)
    assert [r.status for r in sim.requests[-2:]] == [429, 200]


def test_silence_past_the_read_timeout(sim, monkeypatch, live):
    monkeypatch.setenv("COZE_READ_TIMEOUT", "0.5")
    live.run()
    send(live, "/stall 3 wait for me")
    headline, details = trouble(live.chat_message[1])
    assert "sent nothing for 0.5 seconds" in details
    assert headline == explain(live.session_state.history[1].error, "en").headline
    assert bubble_text(live.chat_message[1])  # the text before the silence is kept


def test_unreachable_host(monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("COZE_PAT", TOKEN)
    monkeypatch.setenv("COZE_BOT_ID", BOT_ID)
    monkeypatch.setenv("COZE_API_BASE_URL", f"http://127.0.0.1:{port}")
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    send(at, "anyone there?")
    assert "Could not reach Coze at 127.0.0.1" in trouble(at.chat_message[1])[1]


def test_the_token_never_reaches_the_page_even_when_coze_echoes_it(live, sim):
    send(live, "/fail echo-token leak")
    assert live.chat_message[1].error
    send(live, "/fail auth leak")
    send(live, "hello")
    assert TOKEN not in all_text(live)
    assert "CANARY" not in all_text(live)


def test_stop_mid_answer_keeps_the_partial_answer_and_cancels(sim, live):
    # Stop takes effect at the page's next Streamlit call, as when the person presses Stop.
    def stopped_mid_answer():
        from streamlit.runtime.scriptrunner_utils.exceptions import StopException

        import streamlit_app
        from chat_page import answer_bubble
        from coze_answer import StatusKind

        original = answer_bubble.AnswerView.status

        def status(self, kind, seconds):
            if kind is not StatusKind.WORKING:  # the answer has begun
                raise StopException()
            original(self, kind, seconds)

        answer_bubble.AnswerView.status = status
        try:
            streamlit_app.main()
        finally:
            answer_bubble.AnswerView.status = original

    at = AppTest.from_function(stopped_mid_answer, default_timeout=30)
    at.run()
    at.chat_input[0].set_value("/slow please stop me").run()
    turn = at.session_state.history[1]
    assert turn.stopped and turn.content and not turn.error
    record = sim.wait_for(lambda: [s for s in sim.streams if s.message == "/slow please stop me"])[
        0
    ]
    assert build_answer("please stop me").startswith(turn.content)
    sim.wait_for(lambda: any(c.chat_id == record.chat_id for c in sim.cancels))
    sim.wait_for(lambda: record.chat_id in sim.disconnects or record.outcome == "canceled")
    at.run()  # on the next run the partial answer is shown, marked as stopped, in its place
    assistant = at.chat_message[1]
    assert bubble_text(assistant) == turn.content
    assert "Stopped" in notes(assistant)[0]


def test_stop_is_where_it_first_shows_when_the_first_heartbeat_comes(sim, live):
    # The page as it is before the first heartbeat: the run ends at the answer's first wait.
    def stopped_before_the_first_heartbeat():
        from streamlit.runtime.scriptrunner_utils.exceptions import StopException

        import streamlit_app
        from chat_page import answer_bubble
        from coze_stream import BackgroundChat

        def take(self, timeout):
            raise StopException()

        take_before, after_before = BackgroundChat.take, answer_bubble._show_after_interruption
        BackgroundChat.take = take
        answer_bubble._show_after_interruption = lambda update: None  # keep the page as it was
        try:
            streamlit_app.main()
        finally:
            BackgroundChat.take = take_before
            answer_bubble._show_after_interruption = after_before

    at = AppTest.from_function(stopped_before_the_first_heartbeat, default_timeout=30)
    at.run()
    at.chat_input[0].set_value("/late 60 stop me at once").run()
    bubble = at.chat_message[1]
    assert [button.label for button in bubble.button] == ["Stop"]
    # The line each heartbeat fills is above Stop already, the same height: Stop stays put.
    assert [caption.value for caption in bubble.caption] == [words("en").status(True, 0.0)]


def test_the_first_line_goes_with_the_first_text_when_it_comes_at_once(sim, live):
    # Coze's first events hold text already, and more follows without a pause: the line drawn
    # with Stop must go with the first text, not stay under the streaming answer.
    def text_in_the_first_events():
        import time

        from streamlit.runtime.scriptrunner_utils.exceptions import StopException

        import streamlit_app
        from chat_page import answer_bubble
        from coze_stream import AnswerDelta, BackgroundChat, ChatStarted

        calls = []

        def take(self, timeout):
            calls.append(timeout)
            if len(calls) == 1:
                return [ChatStarted("conversation", "chat"), AnswerDelta("Hello there", "m1")]
            if len(calls) > 5:
                raise StopException()
            time.sleep(min(timeout, 0.05))
            return [AnswerDelta(" more", "m1")]  # text keeps coming: no pause clears the line

        take_before, after_before = BackgroundChat.take, answer_bubble._show_after_interruption
        BackgroundChat.take = take
        answer_bubble._show_after_interruption = lambda update: None  # keep the page as it was
        try:
            streamlit_app.main()
        finally:
            BackgroundChat.take = take_before
            answer_bubble._show_after_interruption = after_before

    at = AppTest.from_function(text_in_the_first_events, default_timeout=30)
    at.run()
    at.chat_input[0].set_value("/late 60 answer at once").run()
    bubble = at.chat_message[1]
    assert "Hello there" in bubble_text(bubble)
    working = words("en").status(True, 0.0).split("0")[0]
    assert not [c.value for c in bubble.caption if c.value.startswith(working)]


def test_new_chat_clears_the_history(live):
    send(live, "remember me")
    assert len(live.chat_message) == 2
    live.sidebar.button[0].click().run()
    assert len(live.chat_message) == 0 and live.session_state.history == []


def test_missing_config_shows_the_setup_guide_and_offers_demo_mode(monkeypatch):
    for name in ("COZE_PAT", "COZE_BOT_ID", "COZE_API_BASE_URL", "COZE_DEMO"):
        monkeypatch.delenv(name, raising=False)
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    assert not at.exception
    guide = at.info[0].value
    assert (
        "COZE_PAT" in guide
        and "COZE_BOT_ID" in guide
        and "secrets.toml" in guide
        and "Secrets" in guide
    )
    assert at.chat_input[0].disabled
    [demo] = [button for button in at.button if button.label == "Try demo mode"]
    demo.click().run()
    assert "Demo mode" in all_text(at)
    send(at, "你好 demo")
    assert "你好 demo" in bubble_text(at.chat_message[1])
    assert not at.chat_message[1].error


def test_coze_demo_starts_in_demo_mode(monkeypatch):
    for name in ("COZE_PAT", "COZE_BOT_ID", "COZE_API_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COZE_DEMO", "1")
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    assert "Demo mode" in all_text(at)
    send(at, "/help")
    assert "/think" in bubble_text(at.chat_message[1])


def test_malformed_setting_shows_the_config_sentence(monkeypatch):
    monkeypatch.setenv("COZE_PAT", TOKEN)
    monkeypatch.setenv("COZE_BOT_ID", "my-bot")
    monkeypatch.delenv("COZE_DEMO", raising=False)
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    assert not at.exception
    headline, details = trouble(at)  # for the visitor; the fix for the owner in Details
    assert "COZE_BOT_ID" not in headline and "COZE_BOT_ID must be all digits" in details
    assert TOKEN not in all_text(at)


def test_only_one_setting_shows_what_is_missing_and_the_guide(monkeypatch):
    monkeypatch.setenv("COZE_PAT", TOKEN)
    for name in ("COZE_BOT_ID", "COZE_API_BASE_URL", "COZE_DEMO"):
        monkeypatch.delenv(name, raising=False)
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    assert "COZE_BOT_ID is not set" in trouble(at)[1]
    assert "secrets.toml" in at.info[0].value
    assert [button for button in at.button if button.label == "Try demo mode"]
    assert TOKEN not in all_text(at)


def test_an_unforeseen_failure_is_a_short_message_not_a_traceback(monkeypatch, live, caplog):
    def broken(token):
        import streamlit_app

        original = streamlit_app.read_settings

        def explode(said, environ=None):
            raise RuntimeError(f"boom with {token}")

        streamlit_app.read_settings = explode
        try:
            streamlit_app.run_page()
        finally:
            streamlit_app.read_settings = original

    at = AppTest.from_function(broken, args=(TOKEN,), default_timeout=30)
    at.run()
    assert not at.exception
    headline, details = trouble(at)
    assert headline == explain(RuntimeError(), "en").headline and "RuntimeError" in details
    assert "boom" not in headline + details
    assert TOKEN not in all_text(at)
    assert TOKEN not in caplog.text and "boom with [token hidden]" in caplog.text


@pytest.mark.parametrize("source", ["environment", "secrets"])
def test_an_unforeseen_failure_hides_a_token_of_any_shape(monkeypatch, caplog, source):
    # Not shaped like a Coze token, so only knowing the setting's value can hide it.
    token = "odd" + "-shaped-secret-" + "0123456789"

    def broken(token: str) -> None:
        import streamlit_app

        def explode(said, environ=None):
            raise RuntimeError(f"boom with {token}")

        original, streamlit_app.read_settings = streamlit_app.read_settings, explode
        try:
            streamlit_app.run_page()
        finally:
            streamlit_app.read_settings = original

    monkeypatch.delenv("COZE_PAT", raising=False)
    at = AppTest.from_function(broken, args=(token,), default_timeout=30)
    if source == "environment":
        monkeypatch.setenv("COZE_PAT", f" {token} ")
    else:
        at.secrets["COZE_PAT"] = token
    at.run()
    headline, details = trouble(at)
    assert headline == explain(RuntimeError(), "en").headline and "RuntimeError" in details
    assert "boom" not in headline + details
    assert "boom with [token hidden]" in caplog.text and token not in caplog.text


def test_settings_from_streamlit_secrets(sim, monkeypatch):
    for name in ("COZE_PAT", "COZE_BOT_ID", "COZE_API_BASE_URL", "COZE_DEMO"):
        monkeypatch.delenv(name, raising=False)
    at = AppTest.from_file(APP, default_timeout=30)
    at.secrets["COZE_PAT"] = f"  {TOKEN}  "
    at.secrets["COZE_BOT_ID"] = BOT_ID
    at.secrets["COZE_API_BASE_URL"] = sim.base_url
    at.run()
    assert not at.info  # no setup guide
    send(at, "from secrets")
    assert "from secrets" in bubble_text(at.chat_message[1])
    assert TOKEN not in all_text(at)


def test_a_visitor_over_the_message_rate_keeps_the_text_in_the_box(live, sim, monkeypatch):
    monkeypatch.setenv("COZE_MESSAGES_PER_MINUTE", "2")
    send(live, "one")
    send(live, "two")
    before = len(sim.requests)
    send(live, "three, too soon")
    assert len(sim.requests) == before  # nothing was sent
    (warning,) = live.warning
    assert "more messages in a minute than this page takes" in warning.value
    box = live.chat_input[0].proto
    assert box.set_value and box.value == "three, too soon"
    assert [turn.content for turn in live.session_state.history[::2]] == ["one", "two"]


def test_demo_mode_can_be_turned_off_for_a_live_deployment(monkeypatch):
    for name in ("COZE_PAT", "COZE_BOT_ID", "COZE_API_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COZE_DEMO", "off")
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    assert not at.exception and [toggle.key for toggle in at.toggle] == ["memory"]
    assert "Try demo mode" not in [button.label for button in at.button]
    assert "Connect your Coze bot" in at.info[0].value


def test_a_person_s_words_are_shown_as_typed_never_as_markdown(live, sim):
    typed = "# Big title\n  __init__ and ![p](http://tracker.example/px.png) $x$"
    send(live, typed)
    shown = live.chat_message[0].markdown[0].value
    assert shown.startswith("\\# Big title  \n")
    assert "\\_\\_init\\_\\_" in shown and "\\!\\[p\\]" in shown and "\\$x\\$" in shown
    assert sim.streams[-1].message == typed.strip()  # sent as typed


def test_follow_up_labels_are_plain_text(live, sim):
    send(live, "![p](http://t.example/px.png)")
    labels = [b.label for b in live.chat_message[1].button if b.key.startswith("follow-up")]
    assert labels and all("\\!\\[p\\]" in label for label in labels[:1])


def test_a_malformed_secrets_file_is_said_so_and_no_secrets_file_is_normal():
    from streamlit.errors import StreamlitSecretNotFoundError

    from chat_page import settings as page_settings

    missing = StreamlitSecretNotFoundError("No secrets found", error_id="no-secrets-found")
    broken = StreamlitSecretNotFoundError(
        "Error parsing secrets file", error_id="failed-parsing-secrets-file"
    )
    assert not page_settings.secrets_unreadable(missing)
    assert page_settings.secrets_unreadable(broken)
    assert page_settings.secrets_unreadable(ValueError("anything else"))


def test_a_token_echoed_in_every_form_never_reaches_the_page(live, sim):
    import base64
    from urllib.parse import quote

    send(live, "/fail echo-token-everywhere leak")
    text = all_text(live)
    assert "[token hidden]" in text and "4101" in text
    for form in (
        TOKEN,
        TOKEN.upper(),
        quote(TOKEN, safe=""),
        base64.b64encode(f"Bearer {TOKEN}".encode()).decode()[12:-4],
    ):
        assert form not in text
    assert "CANARY" not in text.upper().replace("[TOKEN HIDDEN]", "")

"""The chat page in headless Chromium: streaming, Markdown, stop, sessions, safety, bad input."""

from __future__ import annotations

import re
import time

import harness
import pytest
from playwright.sync_api import expect
from support import AppPage, normalise

from coze_answer import MAX_MESSAGE_CHARS
from coze_stream.simulator import CozeSimulator, long_deltas

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

ERROR = '[data-testid="stAlertContentError"]'
WARNING = '[data-testid="stAlertContentWarning"]'
EXCEPTION = '[data-testid="stException"]'
STOP = ".st-key-stop-answer button"  # under the answer while it streams
TEXTAREA = '[data-testid="stChatInputTextArea"]'
STOPPED = "Stopped before the answer was complete"


def quoted(question: str) -> str:
    return f'You asked: "{question}"'


def test_answer_streams_in_then_shows_in_full(app: AppPage, sim: CozeSimulator) -> None:
    expected = "".join(long_deltas("streaming question", 200, sim.delta_chars))
    first_words = "关于「streaming question」"
    last_heading = re.findall(r"^### (.+)$", expected, flags=re.M)[-1]
    harness.watch_for_text(app.page, first_words, last_heading)
    frames_before = len(app.ws.frames)
    app.send("/long 200 streaming question")
    bubble = app.last_assistant()
    expect(bubble.locator("h2")).to_contain_text("streaming question")
    record = sim.streams[-1]
    assert record.message == "/long 200 streaming question"
    assert not record.ended, "the text should be visible while Coze is still streaming"
    app.wait_idle()
    record = sim.wait_for(lambda: sim.streams[-1] if sim.streams[-1].ended else None)
    assert record.finished and record.deltas_sent == 200
    # Every section heading of the full answer is on the page, as a heading.
    headings = re.findall(r"^### (.+)$", record.answer, flags=re.M)
    assert len(headings) >= 2
    expect(bubble.locator("h3")).to_have_count(len(headings))
    expect(bubble.locator("h3").last).to_contain_text(headings[-1])
    expect(bubble).to_contain_text("tokens")
    assert record.answer == expected
    # The harness's timings: text became visible after Coze sent it, first words first.
    first_seen = harness.first_seen(app.page, first_words)
    last_seen = harness.first_seen(app.page, last_heading)
    assert first_seen is not None and last_seen is not None
    assert record.first_delta_sent_at - 0.05 <= first_seen <= last_seen
    assert last_seen <= time.time()
    assert len(app.ws.frames) - frames_before > 10, "the answer came in many updates"
    assert app.ws.total_bytes > len(expected.encode())
    app.assert_healthy()


def test_markdown_reasoning_usage_and_follow_ups(
    app: AppPage, sim: CozeSimulator, fast_sim
) -> None:
    bubble = app.ask("/think sky blue")
    record = sim.streams[-1]
    assert record.finished and record.reasoning
    expect(bubble.locator("h2")).to_contain_text("关于「sky blue」")
    expect(bubble.locator("h3")).to_contain_text("要点 Key points")
    expect(bubble.locator("li").first).to_be_visible()
    expect(bubble.locator("pre code")).to_contain_text("def greet(name: str) -> str:")
    expect(bubble).to_contain_text("这是 Coze 模拟器 生成的示例回答")
    expect(bubble.locator("strong")).to_contain_text("Coze 模拟器")
    expect(bubble.get_by_text(re.compile(r"Thought for [\d.]+ s"))).to_be_visible()
    caption = bubble.locator('[data-testid="stCaptionContainer"]').filter(has_text="tokens")
    expect(caption).to_contain_text(re.compile(r"\d+ tokens \(\d+ in, \d+ out\)"))
    buttons = bubble.locator('[class*="st-key-follow-up"] button')
    expect(buttons).to_have_count(3)
    follow_up = 'What are common pitfalls with "sky blue"?'
    expect(buttons.nth(1)).to_contain_text(follow_up)
    count = len(sim.streams)
    buttons.nth(1).click()
    record = sim.wait_for(lambda: len(sim.streams) > count and sim.streams[-1], timeout=15)
    assert record.message == follow_up
    expect(app.bubbles).to_have_count(4)
    app.wait_idle()
    expect(app.bubbles.nth(2)).to_contain_text(follow_up)
    expect(app.last_assistant()).to_contain_text(quoted(follow_up))
    # The earlier answer is replayed from the history with its reasoning behind an expander.
    expect(app.bubbles.nth(1).locator('[data-testid="stExpander"]')).to_contain_text(
        re.compile(r"Thought for [\d.]+ s")
    )
    app.assert_healthy()


def test_demo_mode_from_a_page_without_configuration(open_app, server_factory) -> None:
    demo = open_app(server_factory({}).url)
    page = demo.page
    expect(page.locator(TEXTAREA)).to_be_disabled()
    page.get_by_role("button", name=re.compile("Try demo mode")).click()
    expect(page.get_by_text("Demo mode", exact=False).first).to_be_visible()
    demo.wait_idle()
    bubble = demo.ask("hello demo")
    expect(bubble).to_contain_text(quoted("hello demo"))
    expect(demo.main).to_contain_text("Demo mode")
    demo.assert_healthy()


def _start_slow_answer(app: AppPage, sim: CozeSimulator, text: str):
    """Send ``text``, a ``/slow`` one (a second a delta at any rate: the tests that stop it
    answer their other questions at ``fast_sim``'s), and wait until its first words show."""
    count = len(sim.streams)
    app.send(text)
    bubble = app.last_assistant()
    expect(bubble.locator("h2")).to_be_visible()
    record = sim.wait_for(lambda: len(sim.streams) > count and sim.streams[-1])
    assert record.message == text and not record.ended
    return bubble, record


def _assert_stopped_and_cancelled(sim: CozeSimulator, chat_id: str) -> None:
    """The app closed the stream and asked Coze to cancel the chat. Whichever reaches the
    simulator first ends the stream: outcome "disconnected" (then it is in ``disconnects``) or
    "canceled"."""
    sim.wait_for(lambda: sim.stream(chat_id).ended, timeout=10)
    sim.wait_for(lambda: any(c.chat_id == chat_id for c in sim.cancels), timeout=10)
    record = sim.stream(chat_id)
    assert record.outcome in ("disconnected", "canceled"), record.outcome
    assert (record.outcome == "disconnected") == (chat_id in sim.disconnects)


def test_stop_mid_answer_keeps_the_partial_answer(
    app: AppPage, sim: CozeSimulator, fast_sim
) -> None:
    bubble, record = _start_slow_answer(app, sim, "/slow stop me")
    partial = normalise(bubble.locator("h2").inner_text())
    app.page.locator(STOP).click()
    app.wait_idle()
    _assert_stopped_and_cancelled(sim, record.chat_id)
    expect(bubble.locator("h2")).to_contain_text(partial)
    expect(bubble).to_contain_text(STOPPED)  # marked at once, not only on the next run
    assert not record.finished
    # The next question works; the stopped answer stays marked, in its place.
    after = app.ask("after the stop")
    expect(after).to_contain_text(quoted("after the stop"))
    stopped = app.bubbles.nth(1)
    expect(stopped.locator("h2")).to_contain_text(partial)
    expect(stopped).to_contain_text(STOPPED)
    expect(after).not_to_contain_text(STOPPED)
    app.assert_healthy()


def test_stop_before_coze_replies_frees_the_connection_at_once(
    app: AppPage, sim: CozeSimulator, fast_sim
) -> None:
    count = len(sim.streams)
    app.send("/late 30 /slow stopped before any reply")  # Coze silent for far longer than 1 s
    record = sim.wait_for(lambda: len(sim.streams) > count and sim.streams[-1])
    app.page.locator(STOP).click()  # Coze has not sent a byte, not even the headers
    app.wait_idle()
    bubble = app.last_assistant()
    expect(bubble).to_contain_text(STOPPED)
    # The request was aborted: Coze (the simulator) sees the connection go within seconds,
    # not after its 30 s of silence; with no ids yet there is nothing to cancel.
    sim.wait_for(lambda: record.chat_id in sim.disconnects, timeout=10)
    assert record.deltas_sent == 0 and not record.finished
    expect(bubble.locator("h2")).to_have_count(0)
    expect(app.ask("after the early stop")).to_contain_text(quoted("after the early stop"))
    app.assert_healthy()


def test_typing_goes_on_while_an_answer_streams(app: AppPage, sim: CozeSimulator, fast_sim) -> None:
    """The box stays open mid-answer: sending stops the answer (kept, marked stopped, Coze's
    chat cancelled) and starts the new one. (submit_mode="stop" would disable the box; a Stop
    button stands under the answer instead.)"""
    _, record = _start_slow_answer(app, sim, "/slow typed over")
    box = app.page.locator(TEXTAREA)
    expect(box).to_be_enabled()
    expect(app.page.locator(STOP)).to_be_visible()
    box.press_sequentially("next one")  # keystrokes mid-answer are kept, none dropped
    expect(box).to_have_value("next one")
    box.press("Enter")
    _assert_stopped_and_cancelled(sim, record.chat_id)
    app.wait_idle()
    expect(app.bubbles).to_have_count(4)
    expect(app.bubbles.nth(1)).to_contain_text(STOPPED)
    expect(app.bubbles.nth(1).locator("h2")).to_contain_text("关")  # what had come, kept
    expect(app.last_assistant()).to_contain_text(quoted("next one"))
    expect(app.page.locator(STOP)).to_have_count(0)
    app.assert_healthy()


def test_new_chat_mid_answer_ends_it(app: AppPage, sim: CozeSimulator, fast_sim) -> None:
    """The other way to interrupt an answer (a rerun, not a stop): the stream is closed, the
    chat cancelled, the page is clean and the next question works."""
    _, record = _start_slow_answer(app, sim, "/slow new chat please")
    app.page.locator('[data-testid="stSidebar"]').get_by_role("button", name="New chat").click()
    _assert_stopped_and_cancelled(sim, record.chat_id)
    app.wait_idle()
    expect(app.bubbles).to_have_count(0)
    expect(app.ask("after new chat")).to_contain_text(quoted("after new chat"))


def test_suggestions_leave_as_soon_as_a_new_question_is_sent(
    app: AppPage, sim: CozeSimulator, fast_sim: CozeSimulator
) -> None:
    """No stale buttons of the previous answer stay on the page while the next one streams."""
    app.ask("first topic")
    pitfalls = app.page.get_by_role("button", name=re.compile("common pitfalls"))
    expect(pitfalls).to_have_count(1)
    sim.deltas_per_second = 60
    _start_slow_answer(app, sim, "/slow second topic")
    expect(pitfalls).to_have_count(0)
    app.page.locator(STOP).click()
    app.wait_idle()
    expect(app.bubbles.nth(3)).to_contain_text(STOPPED)


def test_stop_while_coze_is_silent_takes_effect_before_the_read_timeout(
    app: AppPage, sim: CozeSimulator
) -> None:
    # The read timeout is 1.5 s: Stop is pressed as soon as the silence starts, and must end
    # the answer as stopped, not by the timeout's error. The latency is printed, not asserted.
    bubble, record = _start_slow_answer(app, sim, "/stall 30 silent bot")
    sim.wait_for(lambda: record.deltas_sent >= 3)
    clicked = time.monotonic()
    app.page.locator(STOP).click()
    app.wait_idle(timeout=10)
    latency = time.monotonic() - clicked
    print(f"\nstop latency while Coze is silent: {latency:.2f} s")
    _assert_stopped_and_cancelled(sim, record.chat_id)
    expect(bubble).to_contain_text(STOPPED)
    expect(bubble.locator(ERROR)).to_have_count(0)  # stopped, not timed out


def test_two_sessions_at_once_see_only_their_own_answers(
    app: AppPage, open_app, server, sim: CozeSimulator
) -> None:
    other = open_app(server.url)
    count = len(sim.streams)
    app.send("alpha question")
    other.send("beta question")
    app.wait_idle()
    other.wait_idle()
    records = sim.streams[count:]
    assert sorted(r.question for r in records) == ["alpha question", "beta question"]
    first, second = sorted(records, key=lambda r: r.started_at)
    assert second.started_at < first.ended_at, "the two answers should have streamed together"
    expect(app.last_assistant()).to_contain_text(quoted("alpha question"))
    expect(other.last_assistant()).to_contain_text(quoted("beta question"))
    expect(app.main).not_to_contain_text("beta question")
    expect(other.main).not_to_contain_text("alpha question")
    expect(app.bubbles).to_have_count(2)
    expect(other.bubbles).to_have_count(2)


def test_bot_html_is_shown_as_text(app: AppPage, sim: CozeSimulator, fast_sim) -> None:
    bubble = app.ask("/xss html please")
    assert sim.streams[-1].finished
    expect(bubble).to_contain_text('<script>alert("xss")</script>')
    expect(bubble).to_contain_text("<img src=x onerror=")
    expect(bubble).to_contain_text("<b>bold?</b>")
    assert bubble.locator('img[src="x"]').count() == 0
    assert app.page.locator('img[src="x"]').count() == 0
    assert bubble.locator("script").count() == 0
    assert app.page.locator("script", has_text="alert").count() == 0
    assert bubble.locator("b", has_text="bold?").count() == 0
    assert app.dialogs == []
    app.assert_healthy()


def test_a_question_node_shows_its_question_and_waits(
    app: AppPage, sim: CozeSimulator, fast_sim
) -> None:
    from coze_stream.simulator.answers import QUESTION_NODE_TEXT

    bubble = app.ask("/question 订票")
    expect(bubble).to_contain_text(QUESTION_NODE_TEXT)
    expect(bubble).to_contain_text("The bot asked a question and is waiting for your reply.")
    expect(bubble.locator(ERROR)).to_have_count(0)
    assert sim.streams[-1].outcome == "requires-action"
    app.assert_healthy()


def test_an_object_string_answer_shows_its_image_and_links(
    open_app, server_factory, sim: CozeSimulator, fast_sim
) -> None:
    from support import BOT_ID, CANARY

    env = {"COZE_PAT": CANARY, "COZE_BOT_ID": BOT_ID, "COZE_API_BASE_URL": sim.base_url}
    # The simulator's host is allowed here, as an owner would allow their own file host.
    app = open_app(server_factory({**env, "COZE_IMAGE_HOSTS": "127.0.0.1"}).url)
    bubble = app.ask("/rich 销售")
    image = bubble.locator(f'img[src="{sim.base_url}/files/chart.png"]')
    expect(image).to_have_count(1)
    # The image really loaded (from the simulator, on this machine).
    loaded = "(img) => img.complete && img.naturalWidth > 0"
    app.page.wait_for_function(loaded, arg=image.element_handle())
    link = bubble.locator(f'a[href="{sim.base_url}/files/report.pdf"]')
    expect(link).to_have_text("report.pdf")
    expect(bubble).to_contain_text("not-a-web-link.txt")
    assert bubble.locator('a[href^="javascript"]').count() == 0
    assert "file_url" not in bubble.inner_text()
    app.assert_healthy()


def test_a_formula_heavy_answer_typesets_no_more_than_the_cap(
    app: AppPage, sim: CozeSimulator, bulk_sim
) -> None:
    bubble = app.ask("/latex 400 formulas")  # 400 formulas, the page typesets 200
    expect(bubble).to_contain_text("more formulas than the page typesets at once")
    typeset = bubble.locator(".katex").count()
    assert 150 <= typeset <= 200, typeset  # a display formula counts as two of the 200
    expect(bubble).to_contain_text("$x_{398} = ")  # the rest as their TeX source
    app.assert_healthy()


# -- bad input --


def test_whitespace_only_is_not_sent(app: AppPage, sim: CozeSimulator, fast_sim) -> None:
    before = len(sim.requests)
    harness.send_message(app.page, "   \n\t  ")
    app.wait_idle()
    bubble = app.ask("real question")  # the next message is the first one in the chat
    expect(bubble).to_contain_text(quoted("real question"))
    expect(app.bubbles).to_have_count(2)
    assert len(sim.requests) == before + 1
    app.assert_healthy()


@pytest.fixture
def bulk_sim(fast_sim: CozeSimulator, monkeypatch: pytest.MonkeyPatch) -> CozeSimulator:
    """The simulator for a long answer whose pacing no check looks at: a long question's answer
    quotes it twice, which in deltas of 4 characters streams for 13 s even at 600 deltas a
    second; in deltas of 400 it comes in well under a second."""
    monkeypatch.setattr(fast_sim, "delta_chars", 400)
    return fast_sim


def _send_and_check_the_long_answer(app: AppPage, sim: CozeSimulator, text: str) -> None:
    count = len(sim.streams)
    app.page.locator(TEXTAREA).press("Enter")
    expect(app.bubbles).to_have_count(2, timeout=15_000)
    app.wait_idle(timeout=60)
    record = sim.wait_for(lambda: len(sim.streams) > count and sim.streams[-1])
    assert record.message == text[:MAX_MESSAGE_CHARS].strip()
    expect(app.last_assistant()).to_contain_text("You asked:")
    assert app.last_assistant().locator(ERROR).count() == 0
    app.assert_healthy()


def test_a_paste_over_the_limit_is_kept_in_the_box_with_a_note(
    app: AppPage, sim: CozeSimulator, bulk_sim
) -> None:
    text = ("abcdefghi " * 2100)[: MAX_MESSAGE_CHARS + 4000]
    box = app.page.locator(TEXTAREA)
    box.fill(text)  # like a paste: one input event, nothing dropped
    assert box.input_value() == text
    before = len(sim.requests)
    box.press("Enter")
    app.wait_idle()
    expect(app.page.locator(WARNING)).to_contain_text(f"{len(text.strip()):,} characters")
    expect(box).to_have_value(text)  # back in the box, exactly as pasted
    assert len(sim.requests) == before and app.bubbles.count() == 0
    box.fill(text[:MAX_MESSAGE_CHARS])  # shortened to the limit
    _send_and_check_the_long_answer(app, sim, text)
    expect(app.page.locator(WARNING)).to_have_count(0)
    expect(app.ask("short after long")).to_contain_text(quoted("short after long"))


def test_pasting_10000_characters_is_answered(app: AppPage, sim: CozeSimulator, bulk_sim) -> None:
    text = ("abcdefghi " * 1000)[:10_000]
    box = app.page.locator(TEXTAREA)
    box.fill(text)  # like a paste: one input event
    assert box.input_value() == text
    _send_and_check_the_long_answer(app, sim, text)
    bubble = app.ask("short after paste")
    expect(bubble).to_contain_text(quoted("short after paste"))
    assert bubble.locator(ERROR).count() == 0


def test_emoji_and_mixed_scripts_are_quoted_exactly(app: AppPage, sim, fast_sim) -> None:
    text = "héllo 你好 مرحبا 👨‍👩‍👧 🚀"
    bubble = app.ask(text)
    assert sim.streams[-1].message == text
    expect(app.bubbles.nth(0)).to_contain_text(text)
    expect(bubble).to_contain_text(quoted(text))
    expect(bubble.locator("h2")).to_contain_text(f"关于「{text}」")
    app.assert_healthy()


def test_control_characters_are_removed(app: AppPage, sim: CozeSimulator, fast_sim) -> None:
    bubble = app.ask("ctl\x07bell\x1besc\x7fdel end")
    assert sim.streams[-1].message == "ctlbellescdel end"
    expect(bubble).to_contain_text(quoted("ctlbellescdel end"))
    app.assert_healthy()
    expect(app.ask("still fine")).to_contain_text(quoted("still fine"))

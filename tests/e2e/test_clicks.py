"""In headless Chromium: Streamlit's own Stop leaves the page as the page's Stop does, an answer
shows one time stamp while the next streams, and the page fetches nothing from another host."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from support import AppPage

from coze_answer import words
from coze_stream.simulator import CozeSimulator

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

EN = words("en")
TIME = re.compile(r"^\d\d:\d\d$")
HEADER_STOP = '[data-testid="stStatusWidget"] button'
PAGE_STOP = ".st-key-stop-answer button"
DOWNLOADS = '[data-testid="stSidebar"] [data-testid="stDownloadButton"]'


def _times(bubble) -> list[str]:
    """The time stamps a bubble shows (captions that are a time, stale ones included)."""
    captions = bubble.locator('[data-testid="stCaptionContainer"]').all_inner_texts()
    return [text.strip() for text in captions if TIME.match(text.strip())]


def _stop_a_first_answer(app: AppPage, sim: CozeSimulator, stop: str) -> None:
    count = len(sim.streams)
    app.send("/slow stop me")
    bubble = app.last_assistant()
    expect(bubble.locator("h2")).to_be_visible()
    sim.wait_for(lambda: len(sim.streams) > count)
    app.page.locator(stop).first.click()
    app.wait_idle()


@pytest.mark.parametrize("stop", [HEADER_STOP, PAGE_STOP], ids=["header", "page"])
def test_either_stop_leaves_the_row_retry_and_downloads(
    open_app, server, sim: CozeSimulator, stop: str
) -> None:
    app = open_app(server.url)
    expect(app.page.locator(DOWNLOADS)).to_have_count(0)
    _stop_a_first_answer(app, sim, stop)
    bubble = app.last_assistant()
    expect(bubble).to_contain_text("Stopped before the answer was complete")
    expect(bubble.get_by_role("button", name=EN.retry)).to_be_visible()
    expect(bubble.locator('[class*="st-key-copy-"] button')).to_be_visible()
    expect(bubble.locator('[data-testid="stCaptionContainer"]', has_text=TIME)).to_have_count(1)
    expect(app.page.locator(DOWNLOADS)).to_have_count(2)
    expect(app.page.locator(PAGE_STOP)).to_have_count(0)
    # Retry works from there: the question goes again, in place of the stopped answer.
    count = len(sim.streams)
    bubble.get_by_role("button", name=EN.retry).click()
    expect(app.page.locator(PAGE_STOP)).to_be_visible()
    sim.wait_for(lambda: len(sim.streams) > count)
    assert sim.streams[-1].message == "/slow stop me"
    app.page.locator(PAGE_STOP).click()
    app.wait_idle()
    expect(app.bubbles).to_have_count(2)
    app.assert_healthy()


def test_an_answer_shows_one_time_while_the_next_streams(app: AppPage, sim, fast_sim) -> None:
    app.ask("first")
    first = app.bubbles.nth(1)
    assert len(_times(first)) == 1
    app.send("/slow second")
    expect(app.last_assistant().locator("h2")).to_be_visible()  # the history is drawn
    assert len(_times(first)) == 1, _times(first)
    app.page.locator(PAGE_STOP).click()
    app.wait_idle()
    assert len(_times(first)) == 1


def test_the_page_fetches_nothing_from_another_host(open_app, server_factory) -> None:
    demo = open_app(server_factory({"COZE_DEMO": "1"}).url, locale="zh-CN")
    origin = urlsplit(demo.url)
    requested: list[str] = []
    demo.page.on("request", lambda request: requested.append(request.url))
    demo.page.reload()
    demo.wait_idle()
    # An answer with Markdown, a formula, reasoning, an image and a file from the simulator.
    demo.ask("/think /rich 你好")
    demo.ask("$x^2$ /latex 3")
    expect(demo.last_assistant().locator(".katex").first).to_be_visible()
    demo.page.wait_for_timeout(500)  # late fetches (fonts, the favicon) are recorded too
    assert requested
    elsewhere = [
        url
        for url in requested
        if urlsplit(url).scheme not in ("data", "blob")
        and urlsplit(url).hostname != origin.hostname  # the app, and the simulator's images
    ]
    assert not elsewhere, elsewhere
    assert any(urlsplit(url).port == origin.port for url in requested)


@pytest.mark.parametrize("gap_ms", [0, 50, 150])
def test_a_double_click_on_regenerate_asks_once(app: AppPage, sim, fast_sim, gap_ms) -> None:
    app.ask("double")
    x, y = app.resting_centre(app.last_assistant().get_by_role("button", name=EN.regenerate))
    # Where the button was, twice: the second click lands on whatever is there by then.
    app.page.mouse.click(x, y)
    app.page.wait_for_timeout(gap_ms)
    app.page.mouse.click(x, y)
    app.wait_idle(60)
    # Until the last run ends, Streamlit keeps the replaced bubbles (faded) beside the new ones;
    # a busy machine can report idle between two runs: a duplicate would stay past that.
    expect(app.bubbles).to_have_count(2, timeout=60_000)
    expect(app.bubbles.nth(0)).to_contain_text("double")
    expect(app.last_assistant()).not_to_contain_text("Stopped before the answer was complete")
    expect(app.last_assistant().get_by_role("button", name=EN.regenerate)).to_be_visible()
    app.assert_healthy()


def test_a_redone_answer_s_suggestions_leave_as_it_starts(app: AppPage, sim) -> None:
    # Slow: the suggestions under the answer come with its end, and stay a moment.
    app.send("/slow /long 3 suggest")
    app.page.locator(PAGE_STOP).wait_for(state="detached", timeout=60_000)
    app.wait_idle()
    suggestions = app.page.locator('[class*="st-key-follow-up-"] button')
    expect(suggestions).to_have_count(3)
    app.last_assistant().get_by_role("button", name=EN.regenerate).click()
    expect(app.page.locator(PAGE_STOP)).to_be_visible()
    expect(suggestions).to_have_count(0)  # while the new answer streams, not at its end
    app.page.locator(PAGE_STOP).click()
    app.wait_idle()

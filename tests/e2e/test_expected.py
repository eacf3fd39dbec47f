"""What people expect of a chat, in the browser: memory, their words as typed, Chinese and
English, Retry and Regenerate, ratings that reach Coze, downloads and a demo link."""

from __future__ import annotations

import json
import pathlib
import re

import pytest
from playwright.sync_api import expect
from support import AppPage

from coze_stream.simulator import CozeSimulator

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

ERROR = '[data-testid="stAlertContentError"]'
SIDEBAR = '[data-testid="stSidebar"]'
TEXTAREA = '[data-testid="stChatInputTextArea"]'
DOWNLOAD = '[data-testid="stDownloadButton"] button'


def sidebar_toggle(app: AppPage, label: str):
    return app.page.locator(SIDEBAR).get_by_role("switch", name=label)


def test_a_follow_up_reaches_a_bot_that_knows_the_earlier_turns(
    app: AppPage, sim: CozeSimulator, fast_sim
) -> None:
    app.ask("我叫小明 remember me")
    bubble = app.ask("/recall")
    # The bot was told the earlier question and its own answer, oldest first.
    earlier = sim.streams[-1].earlier
    assert [m.role for m in earlier] == ["user", "assistant"]
    assert earlier[0].content == "我叫小明 remember me"
    assert earlier[1].content.startswith("## 关于「我叫小明 remember me」")
    expect(bubble).to_contain_text("user: 我叫小明 remember me")
    expect(bubble).to_contain_text("I was sent 2 earlier messages")
    # Turned off in the sidebar: the next message goes alone.
    expect(sidebar_toggle(app, "Remember this chat")).to_be_checked()
    sidebar_toggle(app, "Remember this chat").click(force=True)
    app.wait_idle()
    expect(app.main).to_contain_text("Memory is off")
    bubble = app.ask("/recall")
    assert sim.streams[-1].earlier == []
    expect(bubble).to_contain_text("I remember nothing")


def test_a_person_s_words_show_as_typed_and_long_ones_wrap(
    app: AppPage, sim: CozeSimulator, fast_sim
) -> None:
    typed = "# Big title\n  __init__  and  <b>bold</b>\n" + "x" * 400
    app.ask(typed)
    bubble = app.bubbles.nth(0)
    text = bubble.locator('[data-testid="stMarkdownContainer"]')
    expect(text.locator("h1, strong, b")).to_have_count(0)  # no Markdown, no HTML
    shown = text.inner_text().replace("\xa0", " ")  # kept spaces are no-break spaces
    assert shown.split("\n")[:2] == ["# Big title", "  __init__  and  <b>bold</b>"]
    assert sim.streams[-1].message == typed
    # The 400-character word wraps inside the bubble instead of running past it.
    box = bubble.bounding_box()
    inner = text.bounding_box()
    assert inner["x"] + inner["width"] <= box["x"] + box["width"] + 1
    assert inner["height"] > 4 * 20, "the long word was not wrapped"


def test_the_page_speaks_chinese_to_a_chinese_browser_and_switches(
    open_app, server, sim: CozeSimulator, fast_sim
) -> None:
    app = open_app(server.url, locale="zh-CN")
    page = app.page
    expect(page.locator("h1")).to_have_text("和你的 Coze 智能体聊天")
    expect(page.locator(TEXTAREA)).to_have_attribute("placeholder", "给智能体发消息")
    expect(page.locator(SIDEBAR)).to_contain_text("记住这次聊天")
    bubble = app.ask("/fail busy 你好")
    expect(bubble.locator(ERROR)).to_contain_text("Coze 现在有点忙")
    expect(bubble.get_by_role("button", name="重试")).to_be_visible()
    expect(page).to_have_title(re.compile("Coze 聊天"))
    # The sidebar switch: everything, the answer's error included, now in English.
    page.locator(SIDEBAR).get_by_text("English", exact=True).click()
    app.wait_idle()
    expect(page.locator("h1")).to_have_text("Chat with your Coze bot")
    expect(page.locator(TEXTAREA)).to_have_attribute("placeholder", "Message the bot")
    expect(app.bubbles.nth(1).locator(ERROR)).to_contain_text("Coze is busy")
    expect(app.bubbles.nth(1).get_by_role("button", name="Retry")).to_be_visible()
    assert not re.search(r"[\u4e00-\u9fff]", page.locator(SIDEBAR).inner_text().replace("中文", ""))


def test_an_english_browser_reads_english(open_app, server) -> None:
    app = open_app(server.url, locale="en-GB")
    expect(app.page.locator("h1")).to_have_text("Chat with your Coze bot")
    expect(app.page.locator(SIDEBAR)).to_contain_text("Remember this chat")


def test_retry_sends_the_same_question_again_in_place(
    app: AppPage, sim: CozeSimulator, fast_sim
) -> None:
    def times_asked() -> int:
        return sum(
            1
            for r in sim.requests
            if r.path == "/v3/chat"
            and r.body
            and r.body["additional_messages"][-1]["content"] == "/fail busy retry me"
        )

    bubble = app.ask("/fail busy retry me")
    expect(bubble.locator(ERROR)).to_have_count(1)
    tries = times_asked()  # the client's own retries of a busy Coze included
    assert tries >= 1
    bubble.get_by_role("button", name="Retry").click()
    app.wait_idle()
    # Sent again, word for word; the failed answer (and its question) made way for the new one.
    sim.wait_for(lambda: times_asked() == 2 * tries)
    expect(app.bubbles).to_have_count(2)
    expect(app.bubbles.nth(1).locator(ERROR)).to_have_count(1)
    # A stopped answer gets Retry too.
    app.send("/slow stop then retry")
    app.page.locator(".st-key-stop-answer button").click()
    app.wait_idle()
    stopped = app.last_assistant()
    expect(stopped).to_contain_text("Stopped before the answer was complete")
    count = len(sim.streams)
    stopped.get_by_role("button", name="Retry").click()
    sim.wait_for(lambda: len(sim.streams) > count)
    assert sim.streams[-1].message == "/slow stop then retry"
    expect(app.bubbles).to_have_count(4)  # in place of the stopped one
    expect(app.last_assistant().locator("h2")).to_be_visible()
    expect(app.last_assistant()).not_to_contain_text("Stopped")
    app.page.locator(".st-key-stop-answer button").click()  # a slow answer: not waited for
    app.wait_idle()


def test_regenerate_and_ratings_reach_coze(app: AppPage, sim: CozeSimulator, fast_sim) -> None:
    bubble = app.ask("rate this")
    record = sim.streams[-1]
    thumbs = bubble.locator('[data-testid="stFeedback"] button')
    expect(thumbs).to_have_count(2)
    thumbs.nth(0).click()  # 👍
    sim.wait_for(lambda: sim.feedback_of(record.conversation_id, record.answer_ids[-1]))
    assert sim.feedback_of(record.conversation_id, record.answer_ids[-1]) == "like"
    app.wait_idle()
    thumbs.nth(1).click()  # 👎 instead
    sim.wait_for(lambda: sim.feedback_of(record.conversation_id, record.answer_ids[-1]) == "unlike")
    app.wait_idle()
    thumbs.nth(1).click()  # taken back
    sim.wait_for(lambda: sim.feedbacks[-1].feedback_type is None)
    assert sim.feedback_of(record.conversation_id, record.answer_ids[-1]) is None
    app.wait_idle()
    # Regenerate: the same question again, a new answer in place of the old one.
    count = len(sim.streams)
    bubble.get_by_role("button", name="Regenerate").click()
    sim.wait_for(lambda: len(sim.streams) > count)
    app.wait_idle()
    assert sim.streams[-1].message == "rate this"
    assert sim.streams[-1].chat_id != record.chat_id
    expect(app.bubbles).to_have_count(2)
    app.assert_healthy()


def test_the_chat_downloads_as_markdown_and_json(
    app: AppPage, sim: CozeSimulator, fast_sim
) -> None:
    app.ask("download me")
    record = sim.streams[-1]
    sidebar = app.page.locator(SIDEBAR)
    with app.page.expect_download() as markdown:
        sidebar.locator(DOWNLOAD, has_text="Download as Markdown").click()
    text = pathlib.Path(markdown.value.path()).read_text(encoding="utf-8")
    assert "**You** · " in text and "\n\ndownload me\n" in text
    # The answer stands in a block quote, each of its lines after "> " (a blank one as ">").
    quoted = "\n".join(
        f"> {line}" if line else ">" for line in record.answers[-1].strip("\n").split("\n")
    )
    assert quoted in text
    with app.page.expect_download() as data:
        sidebar.locator(DOWNLOAD, has_text="Download as JSON").click()
    chat = json.loads(pathlib.Path(data.value.path()).read_text(encoding="utf-8"))
    user, answer = chat["messages"]
    assert user == {"role": "user", "text": "download me", "at": user["at"]}
    assert answer["conversation_id"] == record.conversation_id
    assert answer["message_id"] == record.answer_ids[-1]
    assert answer["usage"]["token_count"] > 0 and answer["total_seconds"] > 0
    assert answer["text"] == record.answers[-1]


def test_a_demo_link_opens_the_demo_and_a_reload_keeps_it(open_app, server_factory) -> None:
    server = server_factory({})
    app = open_app(f"{server.url}?demo=1")
    expect(app.main).to_contain_text("Demo mode")
    expect(app.page.locator(TEXTAREA)).to_be_enabled()
    app.page.reload()
    app.wait_idle()
    expect(app.main).to_contain_text("Demo mode")
    assert "demo=1" in app.page.url
    # Switched off: the link no longer says demo, and a reload stays off.
    sidebar_toggle(app, "Demo mode").click(force=True)
    app.wait_idle()
    expect(app.page).not_to_have_url(re.compile("demo=1"))
    app.page.reload()
    app.wait_idle()
    expect(app.page.locator(TEXTAREA)).to_be_disabled()


def test_copy_puts_the_whole_answer_on_the_clipboard(
    open_app, server, sim: CozeSimulator, fast_sim
) -> None:
    app = open_app(server.url, permissions=["clipboard-read", "clipboard-write"])
    page = app.page
    bubble = app.ask("/think copy this answer")
    answer = sim.streams[-1].answers[-1]
    page.evaluate("() => navigator.clipboard.writeText('before the click')")
    copy = bubble.locator('[class*="st-key-copy-"] button')
    expect(copy).to_have_attribute("aria-label", "Copy")
    copy.click()
    expect(bubble.locator('[class*="st-key-copy-"] [role="status"]')).to_have_text("Copied")
    # The whole answer's Markdown, as Coze sent it: headings, code fence and all.
    assert page.evaluate("() => navigator.clipboard.readText()") == answer
    assert "```" in answer and "## " in answer

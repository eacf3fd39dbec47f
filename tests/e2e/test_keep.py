"""Chats kept in the browser, in headless Chromium: a reload and a server restart restore the
open chat; the list opens and deletes chats; Forget empties the store; two tabs keep their own
chats; two browser profiles see nothing of each other's; a hostile store runs nothing and fetches
nothing; a browser that refuses to store says so once and the chat goes on.

Few tests, each checking several things: every one starts Chromium pages and a server."""

from __future__ import annotations

import difflib
import json
import pathlib
import time
from collections.abc import Iterator
from typing import Any

import harness
import pytest
from playwright.sync_api import expect
from support import BOT_ID, CANARY, AppPage, normalise

from coze_stream.simulator import CozeSimulator

pytestmark = [pytest.mark.browser, pytest.mark.long, pytest.mark.timeout(240)]

APP = pathlib.Path(__file__).resolve().parent.parent.parent / "streamlit_app.py"
LIST = ".cz-keep li"
OPEN = ".cz-keep li .open"
NOTE = ".cz-keep .note"
REFUSED = "This browser does not let the page store chats"
THUMBS = '[data-testid="stFeedback"] button'


def live_env(sim: CozeSimulator) -> dict[str, str]:
    return {
        "COZE_PAT": CANARY,
        "COZE_BOT_ID": BOT_ID,
        "COZE_API_BASE_URL": sim.base_url,
        "COZE_READ_TIMEOUT": "60",
    }


@pytest.fixture
def own_server(sim: CozeSimulator) -> Iterator[list[harness.StreamlitServer]]:
    """A server this test may stop and start again on the same port (the last is current)."""
    servers = [harness.StreamlitServer(APP, env=live_env(sim)).start()]
    yield servers
    for server in servers:
        server.stop()
        output = server.output()
        server.cleanup()
        assert CANARY not in output


def stored_keys(app: AppPage) -> list[str]:
    return sorted(
        app.page.evaluate("Object.keys(localStorage)"), key=lambda k: (k.split(":")[0], k)
    )


def chat_keys(app: AppPage) -> list[str]:
    return [key for key in stored_keys(app) if key.startswith("coze-chat:")]


def sent_holds(frame: harness.Frame, text: str) -> bool:
    payload = frame.payload
    return text in payload if isinstance(payload, str) else text.encode() in payload


def assert_shows(app: AppPage, shown: str) -> None:
    """The main column reads ``shown``, whitespace aside (waiting up to 30 s for the page to
    draw it), else the difference."""
    deadline = time.monotonic() + 30
    now = app.main.inner_text()
    while normalise(now) != normalise(shown) and time.monotonic() < deadline:
        app.page.wait_for_timeout(200)
        now = app.main.inner_text()
    if normalise(now) != normalise(shown):
        diff = "\n".join(difflib.unified_diff(shown.splitlines(), now.splitlines(), lineterm=""))
        raise AssertionError(f"the restored page differs:\n{diff}")


def test_reload_restart_list_open_delete_and_forget(
    open_app, own_server, sim: CozeSimulator, fast_sim
) -> None:
    server = own_server[-1]
    app = open_app(server.url)
    expect(app.page.locator(".cz-keep .empty")).to_have_text("No chats kept on this browser yet.")
    app.ask("first question")
    bubble = app.ask("/think")
    record = sim.streams[-1]
    bubble.locator(THUMBS).nth(0).click()  # 👍
    sim.wait_for(lambda: sim.feedback_of(record.conversation_id, record.answer_ids[-1]))
    app.wait_idle()
    expect(app.page.locator(LIST)).to_have_count(1)
    expect(app.page.locator(OPEN)).to_contain_text("first question")
    # The page as a rerun draws it (the 👍's run may reach the browser after wait_idle): the
    # streaming run's reasoning box has a status icon ("check"), a redrawn answer a plain one.
    expect(app.last_assistant().get_by_text("check", exact=True)).to_have_count(0)
    app.wait_idle()
    shown = app.main.inner_text()

    # A reload: the chat comes back as it was, the thumb too; 👎 still reaches Coze.
    app.page.reload()
    app.wait_idle()
    expect(app.bubbles).to_have_count(4)
    expect(app.last_assistant().get_by_text("Thought for")).to_be_visible()
    assert_shows(app, shown)
    app.ws.clear()
    thumbs = app.last_assistant().locator(THUMBS)
    thumbs.nth(1).click()  # 👎 instead of the 👍 given before the reload
    sim.wait_for(lambda: sim.feedback_of(record.conversation_id, record.answer_ids[-1]) == "unlike")
    # The stored chat went to the server once, for the restore: the runs after it do not carry
    # it again (a long chat would cost its whole length on every message).
    app.wait_idle()
    assert app.ws.sent, "the click's run was not seen on the websocket"
    assert not any(sent_holds(frame, "first question") for frame in app.ws.sent)

    # A server restart (on the same port): the page reconnects and the chat is still there,
    # with memory: the next message carries the earlier turns.
    server.stop()
    own_server.append(harness.StreamlitServer(APP, env=live_env(sim), port=server.port).start())
    app.page.reload()
    app.wait_idle()
    expect(app.bubbles).to_have_count(4)
    app.ask("/recall")
    assert len(sim.streams[-1].earlier) == 4
    assert sim.streams[-1].earlier[0].content == "first question"

    # New chat: the first stays in the list; either can be opened; one can be deleted.
    app.page.get_by_role("button", name="New chat").click()
    app.wait_idle()
    expect(app.bubbles).to_have_count(0)
    app.ask("another chat")
    expect(app.page.locator(LIST)).to_have_count(2)
    expect(app.page.locator(OPEN).first).to_contain_text("another chat")  # newest first
    app.page.locator(OPEN).nth(1).click()
    app.wait_idle()
    expect(app.bubbles).to_have_count(6)
    expect(app.bubbles.first).to_contain_text("first question")
    app.page.get_by_role("button", name="Delete this chat: another chat").click()
    expect(app.page.locator(LIST)).to_have_count(1)
    assert len(chat_keys(app)) == 1
    expect(app.bubbles).to_have_count(6)  # the open chat is not the one deleted

    # Forget: the store is empty, the page starts afresh, a reload restores nothing.
    app.page.get_by_role("button", name="Forget chats on this browser").click()
    app.wait_idle()
    expect(app.bubbles).to_have_count(0)
    expect(app.page.locator(LIST)).to_have_count(0)
    assert chat_keys(app) == []
    app.page.reload()
    app.wait_idle()
    expect(app.page.locator(".cz-keep .empty")).to_be_visible()
    expect(app.bubbles).to_have_count(0)
    app.assert_healthy()


def another_tab(app: AppPage, *, duplicate: bool = False) -> AppPage:
    """A second tab of ``app``'s browser; ``duplicate``: as the browser's Duplicate makes it,
    with a copy of the tab's sessionStorage (so the same chat open)."""
    page = app.page.context.new_page()
    if duplicate:
        chat_id = app.page.evaluate("sessionStorage.getItem('coze-open')")
        page.add_init_script(
            f"if (!sessionStorage.getItem('coze-open')) "
            f"sessionStorage.setItem('coze-open', {json.dumps(chat_id)});"
        )
    tab = AppPage(page=page, ws=harness.WebSocketRecorder(page), url=app.url)
    page.on("dialog", lambda dialog: (tab.dialogs.append(dialog.message), dialog.dismiss()))
    return tab.open()


def test_two_tabs_keep_their_own_chats_and_two_profiles_share_nothing(
    browser: Any, open_app, server, sim: CozeSimulator, fast_sim
) -> None:
    first = open_app(server.url)
    first.ask("alpha question")
    second = another_tab(first)
    second.ask("beta question")
    first.ask("alpha again")
    # A duplicated tab opens the same chat and goes on with a copy: the first tab's chat does
    # not get its turns.
    duplicate = another_tab(first, duplicate=True)
    expect(duplicate.bubbles).to_have_count(4)
    duplicate.ask("gamma question")
    for tab, count, mine, theirs in (
        (first, 4, "alpha again", ("beta question", "gamma question")),
        (second, 2, "beta question", ("alpha question",)),
        (duplicate, 6, "gamma question", ("beta question",)),
    ):
        tab.page.reload()
        tab.wait_idle()
        expect(tab.bubbles).to_have_count(count)
        expect(tab.main).to_contain_text(mine)
        for text in theirs:
            expect(tab.main).not_to_contain_text(text)
        expect(tab.page.locator(LIST)).to_have_count(3)  # the list shows every tab's chat
        assert not tab.dialogs

    other = open_app(server.url)  # another browser profile
    expect(other.page.locator(".cz-keep .empty")).to_be_visible()
    expect(other.bubbles).to_have_count(0)
    assert chat_keys(other) == []


HOSTILE_ID = "00112233445566ff"
# Images on hosts the owner did not allow, markup, control characters: in the stored chat and
# in what the list shows.
HOSTILE_CHAT = {
    "v": 1,
    "id": HOSTILE_ID,
    "demo": False,
    "turns": [
        {"role": "user", "at": 1.7e9, "text": "<img src=x onerror=alert(1)>hello\u202e"},
        {
            "role": "assistant",
            "at": 1.7e9,
            "blocks": [
                "![p](https://evil.example/pixel.png) <script>alert(2)</script>",
                "<img src=x onerror=alert(3)> ![q](http://127.0.0.1:9/pixel.png)",
            ],
            "reasoning": "![r](https://evil.example/r.png)",
            "follow_ups": ["<img src=x onerror=alert(4)>"],
            "total_seconds": 1,
        },
        {"role": "assistant", "at": "soon", "blocks": {"x": 1}},
    ],
}
HOSTILE_META = {"title": "<img src=x onerror=alert(5)>", "at": 1.7e9, "size": 10}
HOSTILE_SCRIPT = f"""
if (!sessionStorage.getItem("planted")) {{
  sessionStorage.setItem("planted", "1");
  sessionStorage.setItem("coze-open", {json.dumps(HOSTILE_ID)});
  localStorage.setItem("coze-chat:{HOSTILE_ID}", {json.dumps(json.dumps(HOSTILE_CHAT))});
  localStorage.setItem("coze-meta:{HOSTILE_ID}", "{{}}");
  localStorage.setItem("coze-chat:zzz", "{{{{{{");
  localStorage.setItem("coze-meta:0123456789abcdef", "not json");
  localStorage.setItem("coze-meta:00112233445566ee", {json.dumps(json.dumps(HOSTILE_META))});
}}
"""
REFUSING_SCRIPT = """
Storage.prototype.setItem = function () {
  throw new DOMException("The quota has been exceeded.", "QuotaExceededError");
};
"""


def test_a_hostile_store_runs_nothing_and_a_refusing_one_says_so(
    open_app, server, sim: CozeSimulator, fast_sim
) -> None:
    # Planted before the page's own scripts run: the browser hands the page a stranger's store.
    hostile = open_app(server.url, load=False)
    requests: list[str] = []
    hostile.page.on("request", lambda request: requests.append(request.url))
    hostile.page.add_init_script(HOSTILE_SCRIPT)
    hostile.open()
    expect(hostile.bubbles).to_have_count(2)  # the malformed turn is left out
    expect(hostile.bubbles.first).to_contain_text("<img src=x onerror=alert(1)>hello")
    expect(hostile.page.locator(OPEN)).to_have_count(3)
    expect(hostile.page.locator(OPEN).get_by_text("<img src=x onerror=alert(5)>")).to_be_visible()
    assert hostile.page.locator("img[src='x']").count() == 0
    bubble = hostile.ask("still chatting")
    expect(bubble).to_contain_text("still chatting")
    foreign = [url for url in requests if "evil.example" in url or "127.0.0.1:9/" in url]
    assert foreign == [], foreign
    hostile.assert_healthy()  # and no dialog: checked for every page at teardown

    # A browser that refuses to store: one calm note, and the chat works as before.
    refusing = open_app(server.url, load=False)
    refusing.page.add_init_script(REFUSING_SCRIPT)
    refusing.open()
    bubble = refusing.ask("not kept")
    expect(bubble).to_contain_text("not kept")
    expect(refusing.page.locator(NOTE)).to_contain_text(REFUSED)
    expect(refusing.page.get_by_text(REFUSED)).to_have_count(1)
    refusing.ask("still going")
    expect(refusing.bubbles).to_have_count(4)
    assert chat_keys(refusing) == []

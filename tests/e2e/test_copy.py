"""The copy button (chat_page/copy_button.py) in headless Chromium, on a tiny page of its own
(copy_app.py).

Each check starts by putting a sentinel on the clipboard (one clipboard serves every context of
the browser), clicks a button, and reads the clipboard back: it must hold the answer's Markdown
exactly, CJK, code fence, ``<script>`` and quotes included, and none of that may have run. Also:
the "Copied" state and its end, the keyboard, the dark theme, the fallback when the page has no
Clipboard API (plain http), a refused copy (a failure note, the page still works), and what a
rerun costs on the websocket (a reference, not the text again).
"""

from __future__ import annotations

import pathlib
import time
from collections.abc import Iterator
from typing import Any

import copy_app
import harness
import pytest
from playwright.sync_api import expect
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

APP = pathlib.Path(copy_app.__file__).resolve()
ROOT = APP.parents[2]
SENTINEL = "clipboard before the click"
TEXTS = (copy_app.FIRST, copy_app.SECOND)
# Per open page: uncaught errors and dialogs, and the websocket frames it received.
ERRORS: dict[Any, list[str]] = {}
RECORDERS: dict[Any, harness.WebSocketRecorder] = {}

# Run before the page's own scripts: a page served over plain http (not localhost) has no
# navigator.clipboard. The real one is kept aside to read the clipboard back.
NO_CLIPBOARD_API = """
window.__clipboard = navigator.clipboard;
window.__execCopies = 0;
const execCommand = Document.prototype.execCommand;
Document.prototype.execCommand = function (command, ...rest) {
  if (command === "copy") window.__execCopies += 1;
  return execCommand.call(this, command, ...rest);
};
Object.defineProperty(Navigator.prototype, "clipboard", { get: () => undefined });
"""

# Both ways of copying refused.
REFUSED = """
const writeText = Clipboard.prototype.writeText;
window.__clipboard = {
  writeText: (text) => writeText.call(navigator.clipboard, text),
  readText: () => navigator.clipboard.readText(),
};
Clipboard.prototype.writeText = () => Promise.reject(new DOMException("denied", "NotAllowedError"));
Document.prototype.execCommand = () => false;
"""


@pytest.fixture(scope="module")
def light_server() -> Iterator[harness.StreamlitServer]:
    # From the project folder: its .streamlit/config.toml (the 64-byte message cache) applies.
    with harness.StreamlitServer(APP, cwd=ROOT) as server:
        yield server
    server.cleanup()


@pytest.fixture(scope="module")
def dark_server() -> Iterator[harness.StreamlitServer]:
    with harness.StreamlitServer(APP, cwd=ROOT, env={"STREAMLIT_THEME_BASE": "dark"}) as server:
        yield server
    server.cleanup()


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    contexts: list[Any] = []

    def open_(
        server: harness.StreamlitServer, *, scheme: str = "light", init_script: str | None = None
    ) -> Any:
        context = browser.new_context(viewport={"width": 1000, "height": 900}, color_scheme=scheme)
        contexts.append(context)
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url[:-1])
        page = context.new_page()
        page.set_default_timeout(30_000)
        errors: list[str] = []
        ERRORS[page] = errors
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("dialog", lambda dialog: (errors.append(dialog.message), dialog.dismiss()))
        if init_script:
            page.add_init_script(init_script)
        RECORDERS[page] = harness.WebSocketRecorder(page)
        page.goto(server.url)
        harness.wait_for_app_idle(page)
        expect(button(page, 1)).to_be_visible()
        return page

    yield open_
    for context in contexts:
        for page in context.pages:
            ERRORS.pop(page, None)
            RECORDERS.pop(page, None)
        context.close()


def button(page: Any, index: int) -> Any:
    # Playwright's CSS selectors pierce the component's (open) shadow root.
    return page.locator(f".st-key-copy-{index} button")


def note(page: Any, index: int) -> Any:
    return page.locator(f'.st-key-copy-{index} [role="status"]')


def put_sentinel(page: Any, clipboard: str = "navigator.clipboard") -> None:
    page.evaluate(f"(text) => {clipboard}.writeText(text)", SENTINEL)
    assert read_clipboard(page, clipboard) == SENTINEL


def read_clipboard(page: Any, clipboard: str = "navigator.clipboard") -> str:
    return str(page.evaluate(f"() => {clipboard}.readText()"))


def copy_and_read(page: Any, index: int, *, clipboard: str = "navigator.clipboard") -> str:
    put_sentinel(page, clipboard)
    button(page, index).click()
    expect(note(page, index)).to_have_text(copy_app.COPIED)
    return read_clipboard(page, clipboard)


def assert_healthy(page: Any) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.evaluate("() => window.__copyXss") is None, "the answer's HTML ran"
    assert not ERRORS[page], ERRORS[page]


def test_copies_each_answer_exactly(open_page: Any, light_server: harness.StreamlitServer) -> None:
    page = open_page(light_server)
    first = button(page, 0)
    expect(first).to_have_attribute("aria-label", copy_app.LABEL)
    expect(first).to_have_attribute("title", copy_app.HELP)
    expect(first).to_have_attribute("type", "button")
    expect(note(page, 0)).to_have_text("")
    size = first.bounding_box()
    assert size["width"] <= 32 and size["height"] <= 32, size  # an icon button, no more
    height = page.locator(".st-key-copy-0").bounding_box()["height"]
    assert height <= 32, height

    assert copy_and_read(page, 0) == copy_app.FIRST
    expect(page.locator(".st-key-copy-0 svg.copied")).to_be_visible()
    expect(page.locator(".st-key-copy-0 svg.idle")).to_be_hidden()
    expect(note(page, 1)).to_have_text("")  # the other button is untouched
    # The state ends after about two seconds.
    expect(note(page, 0)).to_have_text("", timeout=4_000)
    expect(page.locator(".st-key-copy-0 svg.idle")).to_be_visible()

    assert copy_and_read(page, 1) == copy_app.SECOND
    assert_healthy(page)


def test_the_keyboard_copies(open_page: Any, light_server: harness.StreamlitServer) -> None:
    page = open_page(light_server)
    put_sentinel(page)
    button(page, 0).focus()
    page.keyboard.press("Tab")  # from the first copy button to the second
    assert page.evaluate("() => document.activeElement.shadowRoot.activeElement.ariaLabel") == (
        copy_app.LABEL
    )
    page.keyboard.press("Enter")
    expect(note(page, 1)).to_have_text(copy_app.COPIED)
    assert read_clipboard(page) == copy_app.SECOND
    assert_healthy(page)


def test_dark_theme(open_page: Any, dark_server: harness.StreamlitServer) -> None:
    page = open_page(dark_server, scheme="dark")
    background = page.evaluate(
        """() => getComputedStyle(document.querySelector('[data-testid="stApp"]'))
                  .backgroundColor"""
    )
    colour = page.evaluate(
        """() => getComputedStyle(document.querySelector(
                  '.st-key-copy-0 [data-testid="stBidiComponentIsolated"]')
                  .shadowRoot.querySelector("button")).color"""
    )

    def brightness(rgb: str) -> int:
        return sum(int(part) for part in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3])

    assert brightness(background) < 150, background  # the dark theme is on
    assert brightness(colour) > 500, colour  # and the icon is drawn in its light text colour
    assert copy_and_read(page, 0) == copy_app.FIRST
    assert copy_and_read(page, 1) == copy_app.SECOND
    assert_healthy(page)


def test_without_the_clipboard_api(open_page: Any, light_server: harness.StreamlitServer) -> None:
    page = open_page(light_server, init_script=NO_CLIPBOARD_API)
    assert page.evaluate("() => navigator.clipboard") is None
    assert copy_and_read(page, 0, clipboard="window.__clipboard") == copy_app.FIRST
    assert page.evaluate("() => window.__execCopies") == 1  # by the hidden textarea
    assert copy_and_read(page, 1, clipboard="window.__clipboard") == copy_app.SECOND
    # The textarea is gone and the focus is back on the button.
    assert page.locator(".st-key-copy-1 textarea").count() == 0
    assert page.evaluate("() => document.activeElement.shadowRoot.activeElement.tagName") == (
        "BUTTON"
    )
    assert_healthy(page)


def test_a_refused_copy_says_so(open_page: Any, light_server: harness.StreamlitServer) -> None:
    page = open_page(light_server, init_script=REFUSED)
    put_sentinel(page, "window.__clipboard")
    button(page, 0).click()
    expect(note(page, 0)).to_have_text(copy_app.FAILED)
    expect(page.locator(".st-key-copy-0 svg.failed")).to_be_visible()
    assert read_clipboard(page, "window.__clipboard") == SENTINEL
    expect(note(page, 0)).to_have_text("", timeout=4_000)
    # The page goes on working.
    rerun(page)
    button(page, 0).click()
    expect(note(page, 0)).to_have_text(copy_app.FAILED)
    assert_healthy(page)


def messages(frames: list[Any]) -> list[tuple[int, ForwardMsg]]:
    decoded = []
    for frame in frames:
        if isinstance(frame.payload, bytes):
            message = ForwardMsg()
            message.ParseFromString(frame.payload)
            decoded.append((frame.size, message))
    return decoded


def is_copy_button(message: ForwardMsg) -> bool:
    return (
        message.WhichOneof("type") == "delta"
        and message.delta.WhichOneof("type") == "new_element"
        and message.delta.new_element.WhichOneof("type") == "bidi_component"
    )


def rerun(page: Any) -> list[tuple[int, ForwardMsg]]:
    """Click Rerun; the messages of that run (a short run can end before its start is seen)."""
    RECORDERS[page].clear()
    page.get_by_role("button", name="Rerun").click()
    deadline = time.monotonic() + 15
    while not any(
        msg.WhichOneof("type") == "script_finished" for _, msg in messages(RECORDERS[page].frames)
    ):
        assert time.monotonic() < deadline, "the rerun did not finish"
        page.wait_for_timeout(50)  # lets Playwright deliver the frames (time.sleep does not)
    harness.wait_for_app_idle(page)
    return messages(RECORDERS[page].frames)


def test_a_rerun_sends_a_reference_not_the_text(
    open_page: Any, light_server: harness.StreamlitServer
) -> None:
    page = open_page(light_server)
    page.wait_for_timeout(500)  # every frame of the first run is in
    sent = messages(RECORDERS[page].frames)
    first = {msg.hash: size for size, msg in sent if is_copy_button(msg)}
    assert len(first) == 2, first
    for size in first.values():
        overhead = size - max(len(text.encode()) for text in TEXTS)
        assert size < 4_500, f"a copy button's first message is {size} bytes ({overhead} + text)"

    for _ in range(2):
        sent = rerun(page)
        assert not [msg for _, msg in sent if is_copy_button(msg)], "sent again in full"
        references = {msg.ref_hash: size for size, msg in sent if msg.ref_hash in first}
        assert set(references) == set(first)
        assert all(size <= 100 for size in references.values()), references
        # Neither the component's code nor its data went out again.
        assert not RECORDERS[page].contains("copyWithTextarea")
        assert not RECORDERS[page].contains('{"text": "The **second**')
    assert copy_and_read(page, 0) == copy_app.FIRST  # still the same button, still working
    assert_healthy(page)

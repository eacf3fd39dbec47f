"""Lone UTF-16 surrogates in the browser: from a Coze-like server that sends them, and typed.

Streamlit's protobuf, in the browser and on the server, refuses a string that is not valid
Unicode, so these need the real page: the chat must go on after each kind of lone half from Coze
(the next message answered), and a half typed in the box must not make the message vanish.
"""

from __future__ import annotations

from collections.abc import Iterator

import harness
import pytest
from playwright.sync_api import expect
from support import BOT_ID, CANARY, normalise

from tests.surrogate_coze import ECHO, SHOWN, VARIANTS, SurrogateCoze, surrogate_coze

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

SOMETHING_WRONG = "Something went wrong"
BOX = '[data-testid="stChatInputTextArea"]'

# Puts text holding a lone half into the box as a paste does: the value, then an input event.
PASTE_LONE_HALF = """() => {
  const box = document.querySelector('[data-testid="stChatInputTextArea"]');
  box.focus();
  Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, "value")
    .set.call(box, "typed \\ud800 words");
  box.dispatchEvent(new InputEvent("input", { bubbles: true, inputType: "insertFromPaste" }));
}"""


@pytest.fixture(scope="module")
def coze() -> Iterator[SurrogateCoze]:
    with surrogate_coze() as server:
        yield server


@pytest.fixture(scope="module")
def surrogate_server(coze: SurrogateCoze, server_factory) -> harness.StreamlitServer:
    return server_factory(
        {"COZE_PAT": CANARY, "COZE_BOT_ID": BOT_ID, "COZE_API_BASE_URL": coze.base_url}
    )


def test_the_chat_goes_on_after_each_kind_of_lone_half(open_app, surrogate_server) -> None:
    app = open_app(surrogate_server.url)
    for variant in VARIANTS:
        bubble = app.ask(variant)
        expect(bubble).to_contain_text(SHOWN[variant])
        expect(bubble).not_to_contain_text(SOMETHING_WRONG)
        if variant == "reasoning":  # the reasoning, with its half as U+FFFD, is kept too
            assert "thinking \ufffd hard" in normalise(app.page.content())
    bubble = app.ask("and now?")  # the next message is answered
    expect(bubble).to_contain_text(f"{ECHO}and now?")
    app.assert_healthy()


def test_a_typed_lone_half_is_sent_as_valid_text(open_app, surrogate_server, coze) -> None:
    app = open_app(surrogate_server.url)
    before = app.bubbles.count()
    # The page's guard (chat_page/well_formed.py) is a component: its script loads after the run.
    app.page.wait_for_function("() => window.__cozeWellFormed === true")
    expect(app.page.locator(BOX)).to_be_editable()
    app.page.evaluate(PASTE_LONE_HALF)
    app.page.locator(BOX).press("Enter")
    # Sent, with the half as U+FFFD: the visitor's words in their bubble, Coze's echo under it.
    expect(app.bubbles).to_have_count(before + 2, timeout=15_000)
    app.wait_idle()
    expect(app.last_assistant()).to_contain_text(f"{ECHO}typed \ufffd words")
    assert "typed \ufffd words" in coze.received
    bubble = app.ask("still here?")
    expect(bubble).to_contain_text(f"{ECHO}still here?")
    app.assert_healthy()

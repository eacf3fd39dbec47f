"""Failures in the browser, where the browser adds something to check: the token echoed by Coze
(never in the DOM nor in a websocket frame), text received before a failure standing above the
error, the collapsed Details opening on a click, real silence past the read timeout and a Coze
that cannot be reached over real HTTP. Each time the page goes on answering the next message.

Every other row of the simulator's fault table (each cause and Coze code, the sentence, the log
id, Retry) is walked in AppTest, in tests/test_app.py, where it costs a fraction of a second."""

from __future__ import annotations

from typing import NamedTuple

import harness
import pytest
from playwright.sync_api import expect
from support import BOT_ID, CANARY, AppPage

from coze_stream.simulator import CozeSimulator

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

ERROR = '[data-testid="stAlertContentError"]'
DETAILS = '[data-testid="stExpander"]:has(summary:has-text("Details"))'
QUESTION = "fault question"


class Fault(NamedTuple):
    command: str  # sent before QUESTION; "" for the unreachable simulator
    sentence: str  # expected in the error's Details
    partial: bool  # text received before the failure stays in the bubble


# fmt: off
FAULTS = {
    "token echoed":            Fault("/fail echo-token",  "no permission",                         False),  # noqa: E501
    "token echoed everywhere": Fault("/fail echo-token-everywhere", "no permission",               False),  # noqa: E501
    "error event":             Fault("/fail error-event", "stopped the answer with an error",      True),   # noqa: E501
    "stall past read timeout": Fault("/stall 5",          "sent nothing for 1.5 seconds",          True),   # noqa: E501
    "simulator down":          Fault("",                  "Could not reach Coze at 127.0.0.1",     False),  # noqa: E501
}
# fmt: on


@pytest.fixture(scope="session")
def unreachable_server(server_factory) -> harness.StreamlitServer:
    """The app pointed at a closed port on 127.0.0.1."""
    port = harness.free_port()
    return server_factory(
        {
            "COZE_PAT": CANARY,
            "COZE_BOT_ID": BOT_ID,
            "COZE_API_BASE_URL": f"http://127.0.0.1:{port}",
            "COZE_READ_TIMEOUT": "1.5",
        }
    )


@pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
def test_fault(fault: Fault, open_app, server, sim: CozeSimulator, fast_sim, request) -> None:
    down = not fault.command
    target = request.getfixturevalue("unreachable_server") if down else server
    app: AppPage = open_app(target.url)
    message = f"{fault.command} {QUESTION}".strip()

    bubble = app.ask(message)
    errors = bubble.locator(ERROR)
    expect(errors).to_have_count(1)
    expect(errors).not_to_contain_text(fault.sentence)  # the visitor's words, not the owner's
    expect_details(bubble, fault.sentence, logged=not down)
    heading = bubble.locator("h2")
    if fault.partial:
        expect(heading).to_contain_text("关于")
        assert heading.bounding_box()["y"] < errors.bounding_box()["y"], "text above the error"
    else:
        expect(heading).to_have_count(0)
    assert "CANARY" not in bubble.inner_text()
    app.assert_healthy()

    # The page keeps working: the next message is answered (or, with Coze down, fails the same).
    bubble = app.ask("next question")
    expect(app.bubbles).to_have_count(4)
    if down:
        expect_details(bubble, fault.sentence, logged=False)
    else:
        expect(bubble).to_contain_text('You asked: "next question"')
        expect(bubble.locator(ERROR)).to_have_count(0)
    # The failed answer is replayed from the history as it ended.
    first = app.bubbles.nth(1)
    expect(first.locator(ERROR)).to_have_count(1)
    expect_details(first, fault.sentence, logged=not down)
    if fault.partial:
        expect(first.locator("h2")).to_contain_text("关于")
    app.assert_healthy()


def expect_details(bubble, sentence: str, *, logged: bool) -> None:
    """The collapsed Details box under the error opens on a click and holds ``sentence`` (and
    Coze's log id, when Coze answered at all)."""
    details = bubble.locator(DETAILS)
    expect(details).to_have_count(1)
    body = details.locator('[data-testid="stExpanderDetails"]')
    if not body.is_visible():
        details.locator("summary").click()
    expect(body).to_be_visible()
    expect(body).to_contain_text(sentence)
    if logged:
        expect(body).to_contain_text("Log id")
    else:
        expect(body).to_contain_text("Network error")

"""What the browser tests share: the canary token, and a page showing the app (AppPage)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

import harness
from playwright.sync_api import expect

# A recognisable token: "pat_CANARY" and 60 letters and digits.
CANARY = "pat_CANARY" + "e2e0Tok3nQx7Zr9Lm2Vb8Nc4Hd6Jf1Kg5Ps0Wt3Yu7Ai9Oe2Rl4Mn6Bv8Cx1"
BOT_ID = "7379462189365198898"
BUBBLE = '[data-testid="stChatMessage"]'
SCROLLER = '[data-testid="stAppScrollToBottomContainer"]'
# In the frames the page receives: the store component's data once the page took the browser's
# report (the report's nonce answered), or when the page keeps no chats.
_REPORT_TAKEN_OR_KEEP_OFF = re.compile(rb'"ready":\s*"[0-9a-z]+"|\{"keep":\s*false,')


@dataclass
class AppPage:
    """One browser context showing the app, with its websocket frames and dialogs recorded."""

    page: Any
    ws: harness.WebSocketRecorder
    url: str
    dialogs: list[str] = field(default_factory=list)

    def open(self) -> AppPage:
        self.page.goto(self.url)
        self.wait_idle()
        self.wait_reported()
        return self

    def wait_reported(self, timeout: float = 30.0) -> None:
        """Wait until the page has taken the stored chat's report (a page that keeps chats).

        On a page just opened, the store's component reports this tab's chat, and that starts a
        run. A click sent at the same moment can be lost in Streamlit: a run cut short by the
        next rerun before its callbacks ran does not pass its button's trigger on. A person's
        first click comes later than the report; a test's would not."""
        deadline = time.monotonic() + timeout
        while not any(_REPORT_TAKEN_OR_KEEP_OFF.search(frame) for frame in self.ws.binary()):
            assert time.monotonic() < deadline, "the page never took the stored chat's report"
            self.page.wait_for_timeout(50)  # Playwright records frames only while it is called
        self.wait_idle(max(1.0, deadline - time.monotonic()))

    def wait_idle(self, timeout: float = 30.0) -> None:
        harness.wait_for_app_idle(self.page, timeout)

    @property
    def bubbles(self) -> Any:
        return self.page.locator(BUBBLE)

    @property
    def main(self) -> Any:
        """The main column (without the sidebar and the chat input)."""
        return self.page.locator('[data-testid="stMainBlockContainer"]')

    def last_assistant(self) -> Any:
        return self.page.locator(f"{BUBBLE}:has([data-testid='stChatMessageAvatarAssistant'])").last

    def send(self, text: str, *, once_sendable: bool = False) -> None:
        """Send ``text`` and wait until its two bubbles exist (the run has started)."""
        before = self.bubbles.count()
        harness.send_message(self.page, text, once_sendable=once_sendable)
        expect(self.bubbles).to_have_count(before + 2, timeout=15_000)

    def ask(self, text: str, timeout: float = 60.0, *, once_sendable: bool = False) -> Any:
        """Send ``text``, wait for the run to finish, return the assistant bubble."""
        self.send(text, once_sendable=once_sendable)
        self.wait_idle(timeout)
        return self.last_assistant()

    def resting_centre(self, locator: Any, timeout: float = 30.0) -> tuple[float, float]:
        """Where ``locator``'s centre is once the page stops moving it. After a run, Streamlit
        scrolls the chat to its end smoothly (about half a second, longer on a busy machine): a
        position read before that is where the element no longer is."""
        self.page.wait_for_function(
            f"""() => {{
              const box = document.querySelector('{SCROLLER}');
              return !box || box.scrollHeight - box.clientHeight - box.scrollTop < 2;
            }}""",
            timeout=timeout * 1000,
        )
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            box = locator.bounding_box()
            assert box is not None, f"{locator} is not on the page"
            centre = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            if centre == last:
                return centre
            last = centre
            self.page.wait_for_timeout(250)
        raise AssertionError(f"still moving after {timeout} s")

    def assert_healthy(self) -> None:
        assert self.page.locator('[data-testid="stException"]').count() == 0

    def check_canary(self) -> None:
        assert not self.ws.contains(CANARY), "the token appeared in a websocket frame"
        assert CANARY not in self.page.content(), "the token appeared in the page"
        assert not self.dialogs, f"the page opened dialogs: {self.dialogs}"


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()

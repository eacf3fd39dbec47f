"""A public deployment under attack, in the browser: no visitor starves the others or makes a
reader's browser fetch a URL the owner did not allow."""

from __future__ import annotations

import pathlib
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import harness
import pytest
from playwright.sync_api import expect
from support import BOT_ID, CANARY, AppPage

from coze_stream.simulator import CozeSimulator

pytestmark = [pytest.mark.browser]

STOP = ".st-key-stop-answer button"  # under the answer while it streams
# The Stop of the run going on: one left from the previous run (Streamlit marks it stale until
# this run draws it again or drops it) takes no click.
LIVE_STOP = f'{STOP}:not([data-stale="true"] button)'


# The server's own worker pools (Streamlit's executor, AnyIO's workers) grow and shrink with
# load on their own; what a chat leaves behind would be any other thread.
_POOLS = re.compile(r"AnyIO worker thread|ThreadPoolExecutor-\d+_\d+")


def app_threads(pid: int) -> list[str]:
    """The names of the server's Python threads, less its worker pools (read by py-spy)."""
    spy = shutil.which("py-spy") or str(pathlib.Path(sys.executable).with_name("py-spy"))
    dump = subprocess.run([spy, "dump", "--pid", str(pid)], capture_output=True, text=True)
    assert dump.returncode == 0, dump.stderr
    names = re.findall(r'^Thread \S+ \([^)]*\): "([^"]*)"', dump.stdout, flags=re.MULTILINE)
    assert "MainThread" in names, dump.stdout[:500]
    return sorted(name for name in names if not _POOLS.fullmatch(name))


def live_env(sim: CozeSimulator, **extra: str) -> dict[str, str]:
    return {
        "COZE_PAT": CANARY,
        "COZE_BOT_ID": BOT_ID,
        "COZE_API_BASE_URL": sim.base_url,
        "COZE_READ_TIMEOUT": "60",
        **extra,
    }


@pytest.mark.long
@pytest.mark.timeout(420)
def test_send_and_stop_again_and_again_starves_no_one(
    open_app, server_factory, sim, fast_sim
) -> None:
    """Two tabs send a message Coze never answers and press Stop, 20 times each. A live user in
    a third tab is answered normally, and the server's threads come back to where they were.

    Each stop is a chance to leave a thread or a connection behind. A tab that sends within a
    minute gets 19 attacks through (the warm-up counts toward its 20 a minute; the 20th is
    refused, with no Stop), so 38 stops or more: one lost in ten stops would go unseen less
    than 2% of the time (0.9 ** 38). (The attacks are answered late whatever the simulator's
    rate; the user's answers come at ``fast_sim``'s.)"""
    server: harness.StreamlitServer = server_factory(live_env(sim))
    assert server.process is not None
    attackers = [open_app(server.url), open_app(server.url)]
    user: AppPage = open_app(server.url)
    expect(user.ask("warm up")).to_contain_text('You asked: "warm up"')
    for tab in attackers:  # once each first: the server's own worker pools grow to their size
        send_then_stop(tab, "/late 3600 warm up")
    time.sleep(1)
    start = app_threads(server.process.pid)

    streams_before = len(sim.streams)
    stopped = 0
    for cycle in range(20):
        for tab in attackers:
            stopped += send_then_stop(tab, f"/late 3600 attack {cycle}")
    attacks = [s for s in sim.streams[streams_before:] if s.question.startswith("attack")]
    # (The per-visitor rate counts the warm-up too: 19 more a minute per tab get through.)
    # The attack really ran (within the limits: about 20 messages a minute per tab get through).
    assert stopped >= 20 and len(attacks) >= 20, (stopped, len(attacks))

    bubble = user.ask("after the attack", timeout=30)
    expect(bubble).to_contain_text('You asked: "after the attack"')
    expect(bubble.locator('[data-testid="stAlertContentError"]')).to_have_count(0)

    deadline = time.monotonic() + 5
    while len(app_threads(server.process.pid)) > len(start) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = app_threads(server.process.pid)
    assert len(left) <= len(start), f"threads were left behind: {left} after, {start} before"
    # Every attack's connection was let go (the simulator saw each client leave).
    sim.wait_for(lambda: all(a.chat_id in sim.disconnects for a in attacks), timeout=10)
    for tab in (*attackers, user):
        tab.assert_healthy()


def send_then_stop(tab: AppPage, text: str) -> int:
    """Send ``text`` and press Stop as soon as it shows: 1. When the fair share refuses the
    message instead (it goes back in the box, with a note), there is no Stop: 0."""
    harness.send_message(tab.page, text)
    refused = tab.page.locator('[data-testid="stAlertContentWarning"]')
    stop = tab.page.locator(LIVE_STOP)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if stop.count():
            try:
                stop.click(timeout=2000)
            except Exception:  # the run ended between the count and the click
                continue
            # A Stop that lands on a run that was just ending (a refused message's short run)
            # leaves Streamlit's page in "stopRequested" rather than "notRunning": either is over.
            while harness.script_state(tab.page) == "running" or stop.count():
                assert time.monotonic() < deadline, f"Stop did not end the run of {text!r}"
                time.sleep(0.02)
            return 1
        if refused.count() and harness.script_state(tab.page) == "notRunning":
            return 0
        time.sleep(0.02)
    raise AssertionError(f"neither Stop nor a refusal after sending {text!r}")


class Tracker:
    """A server on 127.0.0.1 that counts every request: a tracking pixel's host."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        tracker = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                tracker.hits.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/gif")
                self.end_headers()
                self.wfile.write(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def tracker() -> Iterator[Tracker]:
    server = Tracker()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.mark.timeout(180)
def test_no_image_from_a_host_the_owner_did_not_allow_is_fetched(
    open_app, server, server_factory, sim, fast_sim, tracker: Tracker
) -> None:
    def pixel(reader: str) -> str:
        return f"![p]({tracker.url}/px.gif?leak={reader})"

    # The simulator quotes the question in its answer and its follow-up questions, so the
    # pixel is in the person's message, in the bot's answer and in the follow-up labels. The
    # session's server allows no image host but Coze's own.
    guarded = open_app(server.url)
    bubble = guarded.ask(f"look {pixel('guarded')}")
    expect(bubble).to_contain_text("You asked")
    expect(guarded.page.get_by_role("button", name="common pitfalls", exact=False)).to_have_count(1)
    assert guarded.page.locator(f'img[src^="{tracker.url}"]').count() == 0
    expect(bubble.locator(f'a[href^="{tracker.url}"]').first).to_be_visible()  # a link now

    # The check can fail: with the tracker's host allowed, the same answer loads the image.
    allowed = open_app(server_factory(live_env(sim, COZE_IMAGE_HOSTS="127.0.0.1")).url)
    allowed.ask(f"look {pixel('allowed')}")
    deadline = time.monotonic() + 10
    while not tracker.hits and time.monotonic() < deadline:
        time.sleep(0.1)
    assert tracker.hits and all(hit.startswith("/px.gif") for hit in tracker.hits)
    # By now the guarded page has had longer than a page that shows the image needs to fetch
    # it (a second page opened and answered after it), and it still has not.
    assert all(hit.endswith("leak=allowed") for hit in tracker.hits), (
        "the page fetched an image from a host that was not allowed"
    )

"""Fixtures for the browser tests: the simulator, the Streamlit server, Chromium, one page each.

Every page is recorded (websocket frames, dialogs); after each test the canary token must appear
in no frame and not in the page, and at the end of the session not in the server's output.
"""

from __future__ import annotations

import os
import pathlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

E2E = pathlib.Path(__file__).resolve().parent
ROOT = E2E.parent.parent
for path in (str(ROOT), str(E2E)):
    if path not in sys.path:
        sys.path.insert(0, path)

import harness  # noqa: E402
from support import BOT_ID, CANARY, AppPage  # noqa: E402

from coze_stream.simulator import CozeSimulator  # noqa: E402

APP = ROOT / "streamlit_app.py"
NO_CHROMIUM = "Debian's chromium is not installed: apt-get install chromium"


@pytest.fixture(scope="session", autouse=True)
def _chromium() -> None:
    """Fail every browser test without chromium: a skipped check would pass unseen. A quick
    local run without a browser can opt out with COZE_SKIP_BROWSER=1 (then they are skipped)."""
    if harness.chromium_path() is None:
        if os.environ.get("COZE_SKIP_BROWSER") == "1":
            pytest.skip(f"{NO_CHROMIUM} (skipped: COZE_SKIP_BROWSER=1)")
        pytest.fail(f"{NO_CHROMIUM}, or set COZE_SKIP_BROWSER=1 to skip the browser tests")


# -- processes --


@pytest.fixture(scope="session")
def sim() -> Iterator[CozeSimulator]:
    with CozeSimulator(pat=CANARY, bot_id=BOT_ID, deltas_per_second=60) as simulator:
        yield simulator


@pytest.fixture
def fast_sim(sim: CozeSimulator) -> Iterator[CozeSimulator]:
    """The same simulator, answering 10x faster for this test (checks that need no pacing)."""
    before = sim.deltas_per_second
    sim.deltas_per_second = 600
    yield sim
    sim.deltas_per_second = before


def _start_server(env: dict[str, str]) -> harness.StreamlitServer:
    return harness.StreamlitServer(APP, env=env).start()


def _check_server_output(server: harness.StreamlitServer) -> None:
    server.stop()
    output = server.output()
    server.cleanup()
    assert CANARY not in output, "the token appeared in the Streamlit server's output"


@pytest.fixture(scope="session")
def server(sim: CozeSimulator) -> Iterator[harness.StreamlitServer]:
    streamlit = _start_server(
        {
            "COZE_PAT": CANARY,
            "COZE_BOT_ID": BOT_ID,
            "COZE_API_BASE_URL": sim.base_url,
            "COZE_READ_TIMEOUT": "1.5",
        }
    )
    yield streamlit
    _check_server_output(streamlit)


@pytest.fixture(scope="session")
def server_factory() -> Iterator[Callable[[dict[str, str]], harness.StreamlitServer]]:
    """Start extra servers (demo, unreachable Coze); all are stopped and checked at the end.
    The same settings get the same server: a server's first page and first answer take seconds
    (the page's first run imports it all), and visitors are browser sessions of their own."""
    started: dict[tuple[tuple[str, str], ...], harness.StreamlitServer] = {}

    def start(env: dict[str, str]) -> harness.StreamlitServer:
        key = tuple(sorted(env.items()))
        if key not in started:
            started[key] = _start_server(env)
        return started[key]

    yield start
    for streamlit in started.values():
        _check_server_output(streamlit)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if harness.chromium_path() is None:
        pytest.fail(NO_CHROMIUM)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = harness.launch_browser(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def open_app(browser: Any) -> Iterator[Callable[..., AppPage]]:
    """Open the app at a URL in a fresh browser context; checked for the canary at teardown."""
    opened: list[tuple[Any, AppPage]] = []

    def open_(url: str, *, in_browser: Any = None, load: bool = True, **options: Any) -> AppPage:
        """``options`` for the browser context: ``locale="zh-CN"``, ``color_scheme="dark"``...;
        ``in_browser``: another Chromium than the session's (one with a fake microphone);
        ``load=False``: the page is not loaded yet (the test sets it up, then calls ``open()``)."""
        chromium = browser if in_browser is None else in_browser
        context = chromium.new_context(**{"viewport": {"width": 1280, "height": 900}} | options)
        page = context.new_page()
        page.set_default_timeout(30_000)
        app = AppPage(page=page, ws=harness.WebSocketRecorder(page), url=url)
        page.on("dialog", lambda dialog: (app.dialogs.append(dialog.message), dialog.dismiss()))
        harness.install_text_watcher(page)
        opened.append((context, app))
        return app.open() if load else app

    yield open_
    try:
        for _, app in opened:
            app.check_canary()
    finally:
        for context, _ in opened:
            context.close()


@pytest.fixture
def app(open_app: Callable[[str], AppPage], server: harness.StreamlitServer) -> AppPage:
    return open_app(server.url)

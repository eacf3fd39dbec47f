"""Two replicas behind HAProxy, their limits shared through a real Redis, as
``scripts/replicas.sh`` starts them; visitors in headless Chromium, through the proxy.

A visitor lands on a replica of the test's choosing by carrying HAProxy's sticky cookie
(``COZE_REPLICA``) from the start, and is a visitor of their own by the address an outer proxy
vouches for: ``COZE_TRUSTED_PROXIES=2`` stands for a load balancer in front of HAProxy, played
by the browser's own X-Forwarded-For header (HAProxy adds the address it saw after it).
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import harness
import pytest
import redis
from playwright.sync_api import expect
from support import BOT_ID, CANARY, AppPage

from coze_answer import words
from coze_stream.simulator import CozeSimulator
from tests.redis_server import RedisServer

pytestmark = [pytest.mark.browser, pytest.mark.long, pytest.mark.timeout(300)]

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
STOP = ".st-key-stop-answer button"
WARNING = '[data-testid="stAlertContentWarning"]'
TEXTAREA = '[data-testid="stChatInputTextArea"]'
SAID = words("en")
BUSY = SAID.refusal("busy", 5, in_box=True)
RATE_START = SAID.refused_rate_in_box.split("{seconds}")[0].strip()
PER_MINUTE = 3


def quoted(question: str) -> str:
    return f'You asked: "{question}"'


@dataclass
class Deployment:
    url: str
    redis_port: int
    run: pathlib.Path
    script: subprocess.Popen[bytes]
    ports: list[int]
    restarted: RedisServer | None = None

    def log(self, replica: int) -> str:
        return (self.run / f"replica-{replica}.log").read_text(errors="replace")

    def kill_redis(self) -> None:
        """SIGKILL the script's redis-server, as a crash."""
        client = redis.Redis(port=self.redis_port, socket_timeout=5)
        pid = int(client.info("server")["process_id"])
        os.kill(pid, signal.SIGKILL)
        client.close()

    def kill_replica(self, replica: int) -> None:
        """SIGKILL replica ``replica``'s streamlit process (the script's child serving its
        port), as a crash."""
        port = str(self.ports[1 + replica])
        for proc in pathlib.Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                args = (proc / "cmdline").read_bytes().split(b"\0")
                parent = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue  # ended meanwhile
            if parent != self.script.pid or b"streamlit" not in args:
                continue
            if b"--server.port" in args and args[args.index(b"--server.port") + 1] == port.encode():
                os.kill(int(proc.name), signal.SIGKILL)
                return
        raise AssertionError(f"no streamlit process of the script serves port {port}")

    def restart_redis(self) -> None:
        server = RedisServer()
        server.port = self.redis_port
        server.url = f"redis://127.0.0.1:{self.redis_port}/0"
        self.restarted = server.start()


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@contextlib.contextmanager
def _deployed(sim: CozeSimulator, **settings: str) -> Iterator[Deployment]:
    """``scripts/replicas.sh`` running, its page's settings as these tests need with
    ``settings`` over them; stopped with Ctrl-C at the end, as a person stops it."""
    run = pathlib.Path(tempfile.mkdtemp(prefix="replicas-"))
    ports = [harness.free_port() for _ in range(4)]
    proxy, redis_port, replica_ports = ports[0], ports[1], ports[2:]
    env = {k: v for k, v in os.environ.items() if not k.startswith("COZE_")}
    env |= {
        "COZE_PAT": CANARY,
        "COZE_BOT_ID": BOT_ID,
        "COZE_API_BASE_URL": sim.base_url,
        "COZE_DEMO": "off",
        "COZE_MAX_CHATS": "2",
        "COZE_MESSAGES_PER_MINUTE": str(PER_MINUTE),
        "COZE_TRUSTED_PROXIES": "2",
        # A busy test machine can hold a Redis reply past the 0.2 s default: the replicas
        # would then stand in with their own limits, which is not what these tests check.
        "COZE_REDIS_TIMEOUT": "3",
        "COZE_PYTHON": sys.executable,
        "PORT": str(proxy),
        "REDIS_PORT": str(redis_port),
        "REPLICA_PORTS": " ".join(map(str, replica_ports)),
        "RUN_DIR": str(run),
        "PYTHONUNBUFFERED": "1",
    }
    env |= settings
    output = (run / "script.out").open("wb")
    script = subprocess.Popen(
        ["bash", str(ROOT / "scripts" / "replicas.sh")],
        env=env,
        cwd=ROOT,
        stdout=output,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        # As from a terminal: a background job ignores Ctrl+C (SIGINT), and a child inherits it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    url = f"http://127.0.0.1:{proxy}/"
    deadline = time.monotonic() + 180
    while True:
        assert script.poll() is None, (run / "script.out").read_text()
        with (
            contextlib.suppress(OSError, urllib.error.URLError),
            urllib.request.urlopen(url + "_stcore/health", timeout=2) as response,
        ):
            if response.read().strip() == b"ok":
                break
        assert time.monotonic() < deadline, (run / "script.out").read_text()
        time.sleep(0.2)
    deployed = Deployment(url, redis_port, run, script, ports)
    yield deployed
    # Ctrl-C stops everything the script started.
    script.send_signal(signal.SIGINT)
    script.wait(timeout=60)
    output.close()
    if deployed.restarted is not None:
        deployed.restarted.stop()
    listening = [port for port in ports if _listening(port)]
    assert not listening, f"still listening after Ctrl-C: {listening}"
    for replica in (1, 2):
        assert CANARY not in deployed.log(replica), "the token appeared in a replica's output"


@pytest.fixture(autouse=True)
def _answers_at_speed(fast_sim: CozeSimulator) -> None:
    """No test here watches an answer stream in: the answers that must still be running when
    something happens are ``/slow`` ones (a second a delta, whatever the simulator's rate)."""


@pytest.fixture(scope="module")
def deployment(sim: CozeSimulator) -> Iterator[Deployment]:
    with _deployed(sim) as deployed:
        yield deployed


@contextlib.contextmanager
def _visitors(browser: Any, deployment: Deployment) -> Iterator[Callable[[int, str], AppPage]]:
    """Open the page as the visitor at ``address``, on replica 1 or 2."""
    opened: list[tuple[Any, AppPage]] = []

    def open_(replica: int, address: str) -> AppPage:
        context = browser.new_context(
            viewport={"width": 1280, "height": 900},
            locale="en-US",
            extra_http_headers={"X-Forwarded-For": address},
        )
        context.add_cookies(
            [{"name": "COZE_REPLICA", "value": f"replica{replica}", "url": deployment.url}]
        )
        page = context.new_page()
        page.set_default_timeout(30_000)
        app = AppPage(page=page, ws=harness.WebSocketRecorder(page), url=deployment.url)
        page.on("dialog", lambda dialog: (app.dialogs.append(dialog.message), dialog.dismiss()))
        opened.append((context, app))
        app.open()
        cookies = {c["name"]: c["value"] for c in context.cookies()}
        assert cookies["COZE_REPLICA"] == f"replica{replica}"  # HAProxy kept it there
        return app

    yield open_
    try:
        for _, app in opened:
            app.check_canary()
    finally:
        for context, _ in opened:
            context.close()


@pytest.fixture
def visit(browser: Any, deployment: Deployment) -> Iterator[Callable[[int, str], AppPage]]:
    with _visitors(browser, deployment) as open_:
        yield open_


def _held_back(app: AppPage, text: str, sentence: str) -> None:
    """``text`` was sent and came back to the box with ``sentence``: nothing was answered."""
    before = app.bubbles.count()
    harness.send_message(app.page, text)
    expect(app.page.locator(WARNING)).to_contain_text(sentence)
    expect(app.page.locator(TEXTAREA)).to_have_value(text)
    app.wait_idle()
    assert app.bubbles.count() == before


def test_the_cap_holds_across_replicas_and_frees_when_an_answer_ends(visit) -> None:
    first, second = visit(1, "198.51.100.1"), visit(2, "198.51.100.2")
    first.send("/long 500 /slow first holds a place")
    second.send("/long 500 /slow second holds a place")
    # The Stop button is drawn once the chat has its place.
    expect(first.page.locator(STOP)).to_be_visible()
    expect(second.page.locator(STOP)).to_be_visible()
    third = visit(1, "198.51.100.3")
    fourth = visit(2, "198.51.100.4")
    _held_back(third, "third visitor", BUSY)
    _held_back(fourth, "fourth visitor", BUSY)

    first.page.locator(STOP).click()  # one answer ends: its place is free at once
    first.wait_idle()
    fourth.page.locator(TEXTAREA).press("Enter")  # sent again, as it was in the box
    expect(fourth.last_assistant()).to_contain_text(quoted("fourth visitor"), timeout=60_000)
    fourth.wait_idle(60)
    second.page.locator(STOP).click()
    second.wait_idle()
    for app in (first, second, third, fourth):
        app.assert_healthy()
    # No cross-talk: each page shows its own questions only.
    assert "fourth visitor" not in first.main.inner_text()
    assert "first holds" not in fourth.main.inner_text()


def test_one_visitor_s_rate_holds_on_both_replicas(visit) -> None:
    address = "203.0.113.50"
    tabs = [visit(1, address), visit(2, address)]
    for number in range(PER_MINUTE):
        tab = tabs[number % 2]
        expect(tab.ask(f"rate {number}")).to_contain_text(quoted(f"rate {number}"))
    for tab in tabs:  # over the rate on either replica
        _held_back(tab, "one too many", RATE_START)
    other = visit(2, "203.0.113.51")
    expect(other.ask("another visitor")).to_contain_text(quoted("another visitor"))
    assert "rate 1" not in tabs[0].main.inner_text()  # no cross-talk between the tabs
    assert "rate 0" not in tabs[1].main.inner_text()


def test_redis_killed_mid_way_every_page_answers_then_limits_are_shared_again(
    visit, deployment: Deployment
) -> None:
    pages = [visit(1, "192.0.2.10"), visit(2, "192.0.2.20")]
    deployment.kill_redis()
    for number, app in enumerate(pages):
        expect(app.ask(f"without redis {number}")).to_contain_text(
            quoted(f"without redis {number}")
        )
        app.assert_healthy()
    for replica in (1, 2):
        assert deployment.log(replica).count("is not answering") == 1  # said once

    deployment.restart_redis()
    # Each replica asks Redis again after a pause (a second, then longer): a message after it
    # finds Redis, and the replica says so once. New visitors each time, so the rate never
    # gets in the way.
    deadline = time.monotonic() + 90
    number = 0
    while not all("answers again" in deployment.log(replica) for replica in (1, 2)):
        assert time.monotonic() < deadline, "the replicas never shared their limits again"
        time.sleep(1.5)
        for replica in (1, 2):
            number += 1
            app = visit(replica, f"192.0.2.{100 + number}")
            question = f"with redis again {number}"
            expect(app.ask(question)).to_contain_text(quoted(question))
            app.assert_healthy()
    for replica in (1, 2):
        assert deployment.log(replica).count("answers again") == 1


@pytest.fixture
def spare(sim: CozeSimulator) -> Iterator[Deployment]:
    """A deployment of its own, for a test that kills one of its replicas."""
    with _deployed(sim, COZE_MESSAGES_PER_MINUTE="20") as deployed:
        yield deployed


# The page's connection state may drop and come back between two looks: a watcher notes it.
NOTE_DISCONNECTION = f"""
new MutationObserver(() => {{
  const app = document.querySelector({harness.APP_SELECTOR!r});
  if (app.dataset.testConnectionState !== "CONNECTED") window.lostConnection = true;
}}).observe(document.querySelector({harness.APP_SELECTOR!r}), {{ attributes: true }});
"""


def _remembered(sim: CozeSimulator, message: str) -> list[str]:
    """What the chat request for ``message`` carried as memory."""
    (stream,) = [stream for stream in sim.streams if stream.message == message]
    return [earlier.content for earlier in stream.earlier]


def test_a_replica_killed_mid_answer_the_pages_go_on_on_the_other_with_their_chats(
    browser: Any, spare: Deployment, sim: CozeSimulator
) -> None:
    with _visitors(browser, spare) as visit_spare:
        # One visitor is mid-answer when replica 1 dies, another is reading (its page idle).
        streaming, reading = visit_spare(1, "192.0.2.200"), visit_spare(1, "192.0.2.201")
        for app, name in ((streaming, "alpha"), (reading, "beta")):
            for question in (f"{name} one", f"{name} two"):
                expect(app.ask(question)).to_contain_text(quoted(question))
        streaming.send("/long 500 /slow alpha cut short")
        expect(streaming.page.locator(STOP)).to_be_visible()
        for app in (streaming, reading):
            app.page.evaluate(NOTE_DISCONNECTION)
        spare.kill_replica(1)

        # Each page reconnects through HAProxy, which sends it to replica 2 (a new session).
        for app, name in ((streaming, "alpha"), (reading, "beta")):
            app.page.wait_for_function("window.lostConnection === true", timeout=60_000)
            app.wait_idle(60)
            expect(app.bubbles.first).to_contain_text(f"{name} one")
            expect(app.main).to_contain_text(quoted(f"{name} two"))
        # The next message is answered there, with the earlier turns as memory.
        for app, name in ((streaming, "alpha"), (reading, "beta")):
            message = f"/recall {name} after"
            expect(app.ask(message, timeout=90)).to_contain_text("earlier messages")
            cookies = {c["name"]: c["value"] for c in app.page.context.cookies()}
            assert cookies["COZE_REPLICA"] == "replica2"
            remembered = _remembered(sim, message)
            assert remembered[0::2] == [f"{name} one", f"{name} two"], remembered
            assert quoted(f"{name} two") in remembered[3], remembered
            expect(app.bubbles).to_have_count(6)
            expect(app.bubbles.first).to_contain_text(f"{name} one")
            app.assert_healthy()
    assert "A replica stopped" in (spare.run / "script.out").read_text()

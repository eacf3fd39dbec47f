"""Drive the Streamlit chat page in a real headless Chromium (tests and benchmarks).

Import it with ``tests/e2e`` on ``sys.path``::

    sys.path.insert(0, "tests/e2e")
    import harness
    from playwright.sync_api import sync_playwright
    from coze_stream.simulator import CozeSimulator

    with CozeSimulator(pat="token-of-16-chars", bot_id="7379462189365198898") as sim, \
            harness.StreamlitServer(
        "streamlit_app.py", env=sim.env()
    ) as server, sync_playwright() as pw:
        browser = harness.launch_browser(pw)
        page = browser.new_page()
        frames = harness.WebSocketRecorder(page)   # before goto: records every frame received
        harness.install_text_watcher(page)         # before goto: first_seen() works afterwards
        page.goto(server.url)
        harness.wait_for_app_idle(page)
        harness.watch_for_text(page, "last words")
        harness.send_message(page, "hello")
        harness.wait_for_run_start(page)
        harness.wait_for_app_idle(page)
        print(harness.first_seen(page, "last words"), frames.total_bytes)

Times are wall-clock epoch seconds (``time.time()`` in Python, ``Date.now()`` in the page) so
they compare with the simulator's ``StreamRecord.first_delta_sent_at`` / ``last_delta_sent_at``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "APP_SELECTOR",
    "CHROMIUM_ARGS",
    "StreamlitServer",
    "WebSocketRecorder",
    "chromium_path",
    "first_seen",
    "free_port",
    "install_text_watcher",
    "launch_browser",
    "send_message",
    "wait_for_app_idle",
    "wait_for_run_start",
    "watch_for_text",
]

APP_SELECTOR = '[data-testid="stApp"]'
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class StreamlitServer:
    """``streamlit run APP`` in a subprocess on 127.0.0.1; a context manager.

    The environment is ``os.environ`` without any ``COZE_*`` variable, updated with ``env``.
    Everything the server prints goes to a temporary file, read back with ``output()``.
    """

    def __init__(
        self,
        app_path: str | os.PathLike[str],
        env: dict[str, str] | None = None,
        port: int | None = None,
        *,
        startup_timeout: float = 60.0,
        cwd: str | Path | None = None,
    ) -> None:
        self.app_path = str(Path(app_path).resolve())
        # Streamlit reads .streamlit/config.toml from the folder it runs in: the app's own,
        # unless told otherwise (bench/ runs its pages with the project's configuration).
        self.cwd = str(cwd) if cwd is not None else str(Path(self.app_path).parent)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.startup_timeout = startup_timeout
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("COZE_")}
        self.env.update(env or {})
        self.env.setdefault("PYTHONUNBUFFERED", "1")
        self.process: subprocess.Popen[bytes] | None = None
        self._log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in stop()
            prefix="streamlit-", suffix=".log", delete=False
        )
        self.log_path = Path(self._log.name)

    def start(self) -> StreamlitServer:
        cmd = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            self.app_path,
            "--server.headless",
            "true",
            "--server.port",
            str(self.port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
        ]
        self.process = subprocess.Popen(
            cmd,
            env=self.env,
            cwd=self.cwd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + self.startup_timeout
        health = f"http://127.0.0.1:{self.port}/_stcore/health"
        while True:
            if self.process.poll() is not None:
                output = self.output()
                self.stop()
                raise RuntimeError(
                    f"streamlit exited with code {self.process.returncode}:\n{output}"
                )
            with (
                contextlib.suppress(OSError, urllib.error.URLError),
                urllib.request.urlopen(health, timeout=2) as response,
            ):
                if response.read().decode().strip() == "ok":
                    return self
            if time.monotonic() > deadline:
                output = self.output()
                self.stop()
                raise TimeoutError(
                    f"streamlit not healthy after {self.startup_timeout} s:\n{output}"
                )
            time.sleep(0.1)

    def output(self) -> str:
        """Everything the server printed so far (stdout and stderr)."""
        with contextlib.suppress(OSError, ValueError):  # ValueError: already closed
            self._log.flush()
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        with contextlib.suppress(OSError):
            self._log.close()

    def cleanup(self) -> None:
        """Stop, then delete the log file."""
        self.stop()
        with contextlib.suppress(OSError):
            self.log_path.unlink()

    def __enter__(self) -> StreamlitServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def chromium_path() -> str | None:
    """Debian's chromium (Playwright's own browser download is not used)."""
    return shutil.which("chromium")


def launch_browser(playwright: Any, **kwargs: Any) -> Any:
    """Headless Debian chromium through Playwright: ``launch_browser(sync_playwright_object)``."""
    executable = chromium_path()
    if executable is None:
        raise RuntimeError("Debian's chromium is not installed: apt-get install chromium")
    options: dict[str, Any] = {
        "executable_path": executable,
        "headless": True,
        "args": list(CHROMIUM_ARGS),
    }
    options.update(kwargs)
    return playwright.chromium.launch(**options)


def wait_for_app_idle(page: Any, timeout: float = 30.0) -> None:
    """Wait until the page is connected and no script run is going on (as Streamlit's e2e do)."""
    ms = timeout * 1000
    page.wait_for_selector(
        f'{APP_SELECTOR}[data-test-connection-state="CONNECTED"]', state="attached", timeout=ms
    )
    page.wait_for_selector(
        f'{APP_SELECTOR}[data-test-script-state="notRunning"]', state="attached", timeout=ms
    )


def wait_for_run_start(page: Any, timeout: float = 10.0) -> None:
    """Wait until a script run is going on."""
    page.wait_for_selector(
        f'{APP_SELECTOR}[data-test-script-state="running"]',
        state="attached",
        timeout=timeout * 1000,
    )


def script_state(page: Any) -> str | None:
    return page.get_attribute(APP_SELECTOR, "data-test-script-state")


def send_message(
    page: Any, text: str, *, press_enter: bool = True, once_sendable: bool = False
) -> None:
    """Type ``text`` into the chat input and send it (Enter, or the submit button).

    ``once_sendable`` waits for the box's send button to be enabled first: Streamlit's box
    ignores Enter while a picked file is still uploading."""
    box = page.locator('[data-testid="stChatInputTextArea"]')
    box.fill(text)
    if once_sendable:
        from playwright.sync_api import expect

        expect(page.locator('[data-testid="stChatInputSubmitButton"]')).to_be_enabled(
            timeout=30_000
        )
    if press_enter:
        box.press("Enter")
    else:
        page.locator('[data-testid="stChatInputSubmitButton"]').click()


@dataclass
class Frame:
    at: float  # time.time() when Playwright saw the frame
    size: int  # bytes (UTF-8 length for text frames)
    payload: bytes | str
    url: str


class WebSocketRecorder:
    """Every websocket frame the page receives (and optionally sends), with time and size.

    Create it before ``page.goto``. ``frames`` are the received frames, ``sent`` the sent ones.
    """

    def __init__(self, page: Any) -> None:
        self.frames: list[Frame] = []
        self.sent: list[Frame] = []
        self._lock = threading.Lock()
        page.on("websocket", self._attach)

    def _attach(self, ws: Any) -> None:
        url = ws.url
        ws.on("framereceived", lambda payload: self._add(self.frames, payload, url))
        ws.on("framesent", lambda payload: self._add(self.sent, payload, url))

    def _add(self, target: list[Frame], payload: bytes | str, url: str) -> None:
        size = len(payload.encode()) if isinstance(payload, str) else len(payload)
        with self._lock:
            target.append(Frame(time.time(), size, payload, url))

    @property
    def total_bytes(self) -> int:
        with self._lock:
            return sum(frame.size for frame in self.frames)

    def frames_since(self, since: float) -> list[Frame]:
        with self._lock:
            return [frame for frame in self.frames if frame.at >= since]

    def binary(self) -> list[bytes]:
        """The binary frames received (Streamlit's protobuf messages)."""
        with self._lock:
            frames = list(self.frames)
        return [frame.payload for frame in frames if isinstance(frame.payload, bytes)]

    def contains(self, needle: str) -> bool:
        """Whether ``needle`` appears in any frame, received or sent (UTF-8)."""
        raw = needle.encode()
        with self._lock:
            frames = self.frames + self.sent
        for frame in frames:
            payload = frame.payload
            if isinstance(payload, str):
                if needle in payload:
                    return True
            elif raw in payload:
                return True
        return False

    def clear(self) -> None:
        with self._lock:
            self.frames.clear()
            self.sent.clear()


# In the page: window.__textWatch = {text: epochMillis | null}; checked on every DOM mutation
# and every animation frame. It survives reloads when installed with add_init_script.
_WATCHER_JS = r"""
(() => {
  if (window.__textWatch) return;
  window.__textWatch = {};
  const check = () => {
    const body = document.body;
    if (!body) return;
    const pending = Object.keys(window.__textWatch).filter(k => window.__textWatch[k] === null);
    if (!pending.length) return;
    const text = body.innerText || "";
    const now = Date.now();
    for (const key of pending) if (text.includes(key)) window.__textWatch[key] = now;
  };
  window.__textWatchCheck = check;
  const start = () => {
    new MutationObserver(check).observe(document.documentElement, {
      childList: true, subtree: true, characterData: true,
    });
    check();
  };
  if (document.documentElement) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
"""


def install_text_watcher(page: Any) -> None:
    """Install the text watcher in this page and every page load after (call before goto)."""
    page.add_init_script(_WATCHER_JS)
    with contextlib.suppress(Exception):  # the page may not have a document yet
        page.evaluate(_WATCHER_JS)


def watch_for_text(page: Any, *texts: str) -> None:
    """Start watching for ``texts``; ``first_seen`` then tells when each first became visible.

    "Visible" means contained in ``document.body.innerText`` (rendered, not hidden text).
    """
    page.evaluate(_WATCHER_JS)
    page.evaluate(
        """(texts) => {
          for (const t of texts) if (!(t in window.__textWatch)) window.__textWatch[t] = null;
          window.__textWatchCheck();
        }""",
        list(texts),
    )


def first_seen(page: Any, text: str) -> float | None:
    """Epoch seconds when ``text`` first appeared in the page's visible text (None: not yet)."""
    millis = page.evaluate("(t) => (window.__textWatch || {})[t] ?? null", text)
    return None if millis is None else millis / 1000.0

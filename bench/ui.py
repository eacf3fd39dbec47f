"""Benchmark: the chat page's streaming in a real browser, against plain ``st.write_stream``.

Run from the project root:

    .venv/bin/python bench/ui.py            # full: 3 runs of 3,000 deltas at 100/s, 8 sessions
    .venv/bin/python bench/ui.py --quick    # smoke check: 1 run of 600 deltas, 4 sessions
    .venv/bin/python bench/ui.py --shape all [--quick]       # every answer shape, a row per side
    .venv/bin/python bench/ui.py --shape code --shape table  # some shapes
    .venv/bin/python bench/ui.py --deltas-sweep paragraph    # one shape at 1,000/3,000/10,000
    .venv/bin/python bench/ui.py --history 30                # 30 turns in one browser session
    .venv/bin/python bench/ui.py --restored 100 --sides app  # a message after a restored chat
    .venv/bin/python bench/ui.py --reasoning 3000            # a long reasoning block

The modes combine (``--shape all --history 30`` runs both); without any of them the default run
(3 runs of the mixed document, then the concurrent sessions) prints the original table.
``--check`` exits 1 when a goal of any mode that ran fails (figures are printed first).

One Coze simulator (in this process) answers ``/long N /shape KIND`` with exactly N deltas at
``--rate`` deltas per second, ``delta_chars`` chosen per shape and length so that a delta is
about 12 bytes of UTF-8 on average. The shapes (``coze_stream/simulator/shapes.py``):
``paragraph`` (one long paragraph of English words), ``code`` (one fenced python block),
``list``, ``numbered``, ``table`` (4 columns), ``cjk`` (Chinese run-on text), ``mixed`` (the
``/long N`` document of short sections: the default run's answer) and ``mixed-long`` (a heading,
then one long paragraph, code block, list and table). Two Streamlit servers point at the
simulator: the app (``bench/app_traced.py``: ``streamlit_app.py`` with its answer generator
timed) and the baseline (``bench/baseline_app.py``: the same page, but every delta is yielded to
``st.write_stream`` the moment it arrives, so the whole answer is re-sent and re-rendered per
delta). Headless Chromium drives both; app and baseline runs alternate (and swap order each run
and shape) so noise hits both, and the tables show medians over the runs.

How it measures (all times are wall clock on this machine: the simulator's ``time.time()`` and
the page's ``Date.now()``):

- In the page, an init script wraps ``WebSocket`` to count the bytes of every message received
  (payload bytes, counted from the moment the message is sent until the run is idle), and a
  ``MutationObserver`` recomputes the answer's text after every DOM change, recording
  ``Date.now()`` when a marker first appears in it. The answer's text is the ``textContent`` of
  every Markdown element (and any ``st.code`` element) in the newest assistant bubble, in
  document order, with all whitespace removed: however the page splits the answer into elements
  and containers (and joins them again), a piece of text reads the same. Captions (the status
  line), alerts, buttons and the Thinking status are not the answer.
- Markers are pieces of the answer as it reads once rendered (heading, list and table markup
  stripped, code lines as they are, table cells), each the first occurrence of its text, so a
  marker appears exactly when the delta holding its last character is shown. A short line or
  cell is a marker whole; a long line (a paragraph, Chinese text) offers a marker every 24
  characters: the shortest text ending there (6 characters or more, within the line) that is the
  first of its kind both on screen and in the Markdown source. The simulator's send time of every
  delta is recorded (its ``on_delta`` hook), so each marker's lag is (first seen in the page) -
  (send time of the delta that completed it). On the websocket the same marker is looked for as
  it reads in the Markdown source, inside one message; a marker that a page cuts over two
  elements is in no single message, so its arrival is taken as the earlier of that and its
  screen time (text cannot be shown before it arrived), and the tables say how many markers
  were found whole in a message before they were on screen, when not all were (the app cuts a
  long block into pieces, and a paragraph's pieces join with ``&#32;`` in the source).
- "lag after last delta": the answer's last marker (ending on its last visible character,
  normally inside the last delta) minus the send time of its delta.
- "first delta visible": the first delta's visible text (extended to the next delta when it has
  fewer than 2 visible characters) minus that delta's send time.
- "max held back": the largest marker lag over about ``--markers`` markers sampled evenly
  through the answer: the goal is on the websocket (sent -> inside a message the page received);
  on screen is shown too (coalescing, re-rendering and transport all included).
- "server CPU / answer": the Streamlit server process's CPU time (user + system, all threads,
  from ``/proc/<pid>/stat``) from just before the message is sent until the page is idle again.
  The simulator runs in this process, not in the servers, and only one answer streams at a time.
- "sessions" (default run): N browser contexts send ``/long M /shape mixed <distinct question>``
  at once;
  each must end with a bubble holding its own question and its answer's last line, every sampled
  line seen, and its last line visible within 1 s of its stream's last delta.
- ``--deltas-sweep KIND``: that shape at each of ``--sweep-counts`` deltas, both sides, to show
  whether websocket bytes per answer byte (and CPU per delta) stay flat as the answer grows.
- ``--history N``: in one browser session per side, N messages one after the other, each a
  ``/long --history-deltas`` answer (about 3.3 KB) at ``--history-rate`` deltas per second. Per
  turn: websocket bytes from sending the message until the run is idle, and the first-word time
  from pressing Enter to the answer's first line on screen. The goal is on last/first: bytes of
  the last turn over the first (deterministic), and first-word time as the median of the last 3
  turns over the median of the first 3 (a single turn's time is noisy on a busy machine).
- ``--restored N``: the app only (plain ``st.write_stream`` keeps nothing). A fresh page finds
  a chat of 4 earlier turns (questions and ``/long --history-deltas`` answers) in the browser's
  store, and another a chat of N; each restores it, then sends one more message, measured as in
  ``--history``. The two alternate over ``--runs`` runs; the goal is the N+1st message over the
  5th <= 1.5 in websocket bytes and in first-word time (medians). The bytes the page sends are
  shown too: a rerun request carries every widget's state.
- ``--reasoning N``: ``/think N /long 30``: N reasoning deltas (one long paragraph, about 12 bytes
  each) before a short answer, on both sides, ``--runs`` times; websocket bytes per byte of
  reasoning and answer (medians); the goal is the app's <= 20x, as for answers.

Goals (the app's; ``--check``): the default table's as printed; per shape: websocket bytes per
answer byte <= 20x, lag after last delta <= 0.3 s, first delta visible <= plain + 50 ms, max held
back (websocket) <= 100 ms, server CPU per answer < plain's, every marker seen (a figure that
could not be measured fails too); sweep: <= 20x at every length; history: last/first <= 1.5 for
bytes and first-word time, every turn complete.
"""

from __future__ import annotations

import argparse
import atexit
import bisect
import contextlib
import itertools
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for entry in (ROOT, ROOT / "tests" / "e2e"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

import harness  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from coze_stream import simulator  # noqa: E402
from coze_stream.simulator import SHAPE_KINDS, CozeSimulator  # noqa: E402

APP = ROOT / "bench" / "app_traced.py"  # streamlit_app.py, its generator timed
BASELINE = ROOT / "bench" / "baseline_app.py"
SIDES = ("baseline", "app")
SIDE_NAMES = {"baseline": "plain st.write_stream", "app": "app"}
TARGET_DELTA_BYTES = 12.0
PAT = "bench-token-of-the-ui-run"  # 16 characters or more, as the app asks
BOT_ID = "7379462189365198898"
TRACE_DIR = Path(tempfile.mkdtemp(prefix="bench-ui-trace-"))
atexit.register(shutil.rmtree, TRACE_DIR, ignore_errors=True)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# Goals (the issue's): per answer, app side.
GOAL_WS_PER_BYTE = 20.0
GOAL_LAG = 0.3  # s
GOAL_FIRST_OVER_BASELINE = 0.05  # s
GOAL_HELD = 0.1  # s
GOAL_HISTORY_GROWTH = 1.5  # last turn / first turn

# -- per-delta send times from the simulator (its records keep only the first and the last) --

SENT: dict[str, list[float]] = {}


def record_sent(chat_id: str, index: int, sent_at: float) -> None:
    """The simulator's ``on_delta``: delta ``index`` of chat ``chat_id`` was sent at ``sent_at``."""
    SENT.setdefault(chat_id, []).append(sent_at)


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system, every thread) the process ``pid`` has used so far."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) ": comm may hold spaces
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime: fields 14 and 15


# -- in the page --

BENCH_JS = r"""
(() => {
  if (window.__bench) return;
  const B = window.__bench = {
    armed: false, counting: false, wsBytes: 0, wsFrames: 0, wsSent: 0,
    markers: [], wire: [], seen: [], pending: [], hi: -1,
    first: null, firstSeen: null, tail: null, tailSeen: null,
    bubbles: 0, enterAt: null, checks: 0, checkMs: 0,
  };
  // Whitespace is left out on both sides: the page may split a line over several elements (or
  // join them), and a table's or list's textContent has no fixed separators.
  const flat = (text) => text.replace(/\s+/g, "");
  // When each marker first arrived over the websocket (its Markdown inside a received message).
  const decoder = new TextDecoder("utf-8");
  const wsCheck = (data) => {
    if (typeof data !== "string" && !(data instanceof ArrayBuffer)) return;
    const text = typeof data === "string" ? data : decoder.decode(data);
    const now = Date.now();
    if (B.wsFirstSeen === null && text.includes(B.wireFirst)) B.wsFirstSeen = now;
    if (B.wsTailSeen === null && text.includes(B.wireTail)) B.wsTailSeen = now;
    const still = [];
    for (const i of B.wsPending) {
      if (text.includes(B.wire[i])) B.wsSeen[i] = now;
      else still.push(i);
    }
    B.wsPending = still;
  };
  const Orig = window.WebSocket;
  function Counting(...args) {
    const ws = new Orig(...args);
    ws.addEventListener("message", (event) => {
      if (!B.counting) return;
      const data = event.data;
      let size = 0;
      if (typeof data === "string") size = new TextEncoder().encode(data).length;
      else if (data instanceof ArrayBuffer) size = data.byteLength;
      else if (data && data.size !== undefined) size = data.size;
      B.wsBytes += size;
      B.wsFrames += 1;
      if (B.armed) wsCheck(data);
    });
    return ws;
  }
  Counting.prototype = Orig.prototype;
  // What the page sends (a rerun request carries every widget's state).
  const send = Orig.prototype.send;
  Orig.prototype.send = function (data) {
    if (B.counting) {
      if (typeof data === "string") B.wsSent += new TextEncoder().encode(data).length;
      else if (data && data.byteLength !== undefined) B.wsSent += data.byteLength;
      else if (data && data.size !== undefined) B.wsSent += data.size;
    }
    return send.call(this, data);
  };
  for (const key of ["CONNECTING", "OPEN", "CLOSING", "CLOSED"]) Counting[key] = Orig[key];
  window.WebSocket = Counting;
  // The first-word time of --history starts when Enter is pressed in the chat input.
  document.addEventListener("keydown", (event) => {
    const box = event.target;
    if (event.key === "Enter" && !event.shiftKey && box && box.matches
        && box.matches('[data-testid="stChatInputTextArea"]')) B.enterAt = Date.now();
  }, true);

  const assistantBubbles = () => Array.from(
    document.querySelectorAll('[data-testid="stChatMessage"]'),
  ).filter((m) => m.querySelector('[data-testid="stChatMessageAvatarAssistant"]'));
  // The answer: every Markdown element's text (and any st.code element's outside Markdown) in
  // the newest assistant bubble, in document order, however deep in containers. Captions are
  // stCaptionContainer, alerts and buttons have no stMarkdown around their text, and the
  // Thinking status is an stExpander: none of them is answer text.
  const PARTS = '[data-testid="stMarkdown"] [data-testid="stMarkdownContainer"], '
    + '[data-testid="stCode"]';
  B.answerText = () => {
    const bubbles = assistantBubbles();
    // Only a bubble newer than those present when armed (--history keeps the earlier ones).
    if (bubbles.length <= B.bubbles) return "";
    const parts = [];
    for (const e of bubbles[bubbles.length - 1].querySelectorAll(PARTS)) {
      if (e.closest('[data-testid="stExpander"]')) continue;
      if (e.parentElement && e.parentElement.closest('[data-testid="stMarkdownContainer"]'))
        continue;  // a code block inside Markdown: its text is in the Markdown's already
      parts.push(e.textContent);
    }
    return flat(parts.join("\n"));
  };
  const check = () => {
    if (!B.armed) return;
    const started = performance.now();
    const text = B.answerText();
    const now = Date.now();
    B.checks += 1;
    if (B.firstSeen === null && text.includes(B.first)) B.firstSeen = now;
    if (B.tailSeen === null && text.includes(B.tail)) B.tailSeen = now;
    // Markers appear in order: look at every unseen one before the last seen (a line can
    // show up late, e.g. a code block waiting for its highlighter) and the next few after it.
    let ahead = 0;
    const still = [];
    for (const i of B.pending) {
      if (i > B.hi && ahead >= 6) { still.push(i); continue; }
      if (text.includes(B.markers[i])) { B.seen[i] = now; if (i > B.hi) B.hi = i; }
      else { still.push(i); if (i > B.hi) ahead += 1; }
    }
    B.pending = still;
    B.checkMs += performance.now() - started;
  };
  B.arm = (plan) => {
    B.markers = plan.markers; B.wire = plan.wire; B.seen = plan.markers.map(() => null);
    B.pending = plan.markers.map((_, i) => i); B.hi = -1;
    B.wsSeen = plan.markers.map(() => null); B.wsPending = plan.markers.map((_, i) => i);
    B.wireFirst = plan.wireFirst; B.wireTail = plan.wireTail;
    B.wsFirstSeen = null; B.wsTailSeen = null;
    B.first = plan.first; B.tail = plan.tail; B.firstSeen = null; B.tailSeen = null;
    B.bubbles = assistantBubbles().length; B.enterAt = null;
    B.wsBytes = 0; B.wsFrames = 0; B.wsSent = 0; B.checks = 0; B.checkMs = 0;
    B.armed = true; B.counting = true;
    check();
  };
  const start = () => {
    new MutationObserver(check).observe(document.documentElement,
      { childList: true, subtree: true, characterData: true });
  };
  if (document.documentElement) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
"""

# -- what to look for --

MIN_MARKER = 6  # characters (whitespace aside) of a marker inside a long line: rare enough
MARKER_STEP = 24  # characters between the possible marker ends inside a long line
_ITEM = re.compile(r"(?:[-*+]|\d{1,9}[.)])\s+")


def flat(text: str) -> str:
    """``text`` without whitespace, as the page's answer text is compared."""
    return "".join(text.split())


def _segments(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets in ``text`` of each run of visible text, in order: a line's text
    without its Markdown (heading marks, list markers; fence lines are not shown), or a cell of
    a table row (not of its delimiter row). Each is a contiguous piece of ``text``."""
    out: list[tuple[int, int]] = []
    in_fence = False
    offset = 0
    for line in text.split("\n"):
        start, offset = offset, offset + len(line) + 1
        stripped = line.strip()
        if not stripped:
            continue
        lead = start + len(line) - len(line.lstrip())  # offset of ``stripped``
        if stripped.startswith("```"):
            in_fence = not in_fence
        elif in_fence:
            out.append((lead, lead + len(stripped)))
        elif stripped.startswith("|"):
            position = lead
            for cell in stripped.split("|"):
                inner = cell.strip()
                if inner and set(inner) - set("-: "):
                    begin = position + len(cell) - len(cell.lstrip())
                    out.append((begin, begin + len(inner)))
                position += len(cell) + 1
        else:
            if stripped.startswith("#"):
                body = stripped.lstrip("#")
            else:
                item = _ITEM.match(stripped)
                body = stripped[item.end() :] if item else stripped
            inner = body.strip()
            if inner:
                begin = lead + len(stripped) - len(body.lstrip())
                out.append((begin, begin + len(inner)))
    return out


@dataclass(frozen=True)
class Marker:
    screen: str  # as the page's answer text reads it: rendered, whitespace removed
    wire: str  # the same text in the Markdown (what a websocket message carries)
    delta: int  # index of the delta holding its last character


class Rendered:
    """The answer as the page shows it, approximately: its visible text (``_segments``) with
    all whitespace removed, and for each of its characters the offset it comes from in the
    Markdown ``text``. ``sent`` is the user's message: no marker may be found in it (it is on
    the page and on the websocket before the answer)."""

    def __init__(self, text: str, sent: str) -> None:
        self.text, self.sent, self.sent_flat = text, sent, flat(sent)
        chars: list[str] = []
        self.source: list[int] = []
        self.bounds: list[tuple[int, int]] = []  # each segment's [first, last + 1) in ``flat``
        for start, end in _segments(text):
            first = len(self.source)
            for offset in range(start, end):
                if not text[offset].isspace():
                    chars.append(text[offset])
                    self.source.append(offset)
            if len(self.source) > first:
                self.bounds.append((first, len(self.source)))
        self.flat = "".join(chars)

    def marker(self, begin: int, end: int, delta_of: Callable[[int], int]) -> Marker | None:
        """The marker ``flat[begin : end + 1]``, if it is the first of its text."""
        screen = self.flat[begin : end + 1]
        wire = self.text[self.source[begin] : self.source[end] + 1]
        if (
            self.flat.find(screen) != begin
            or self.text.find(wire) != self.source[begin]
            or screen in self.sent_flat
            or wire in self.sent
        ):
            return None
        return Marker(screen, wire, delta_of(self.source[end]))

    def ending_at(self, end: int, line: int, delta_of: Callable[[int], int]) -> Marker | None:
        """The shortest marker ending at ``flat[end]`` and starting in its line (which starts
        at ``line``): ``MIN_MARKER`` characters or more, or the whole line when shorter (3 or
        more), grown backwards until its text is the first of its kind."""
        if end - line + 1 < 3:
            return None
        for begin in range(max(line, end - MIN_MARKER + 1), line - 1, -1):
            found = self.marker(begin, end, delta_of)
            if found is not None:
                return found
        return None


@dataclass
class Plan:
    kind: str
    question: str
    n: int
    text: str
    deltas: list[str]
    first: Marker
    tail: Marker
    markers: list[Marker]

    @property
    def message(self) -> str:
        return message_for(self.kind, self.n, self.question)


def message_for(kind: str, n: int, question: str) -> str:
    """The user's message that asks the simulator for this answer."""
    return f"/long {n} /shape {kind} {question}"


def make_plan(
    kind: str, question: str, n: int, delta_chars: int, samples: int, *, first_line: bool = False
) -> Plan:
    """What to look for in the page for ``/long n /shape kind question``: about ``samples``
    markers evenly spread, the last one, and the first delta's text (the whole first line with
    ``first_line``)."""
    deltas = simulator.shape_deltas(kind, question, n, delta_chars)
    text = "".join(deltas)
    ends = list(itertools.accumulate(len(piece) for piece in deltas))  # delta i: [ends[i-1], ..)

    def delta_of(offset: int) -> int:
        return bisect.bisect_right(ends, offset)

    rendered = Rendered(text, message_for(kind, n, question))
    if not rendered.bounds:
        raise ValueError(f"nothing visible in the {kind} answer")

    # The first delta's visible text (2 characters at least, and not in the user's message).
    line, line_end = rendered.bounds[0]
    end = line_end - 1
    if not first_line:
        delta = delta_of(rendered.source[line])
        while delta < len(ends):
            end = bisect.bisect_left(rendered.source, ends[delta], line, line_end) - 1
            if end - line + 1 >= 2 and rendered.marker(line, end, delta_of) is not None:
                break
            delta += 1
    first = rendered.marker(line, end, delta_of) or Marker(
        rendered.flat[line : end + 1],
        text[rendered.source[line] : rendered.source[end] + 1],
        delta_of(rendered.source[end]),
    )

    # Possible marker ends: every line's (or cell's) last character, and every MARKER_STEP
    # characters inside a long line.
    candidates: list[tuple[int, int]] = []  # (end, start of its line)
    for start, stop in rendered.bounds:
        candidates.extend(
            (end, start) for end in range(start + MARKER_STEP - 1, stop - 1, MARKER_STEP)
        )
        candidates.append((stop - 1, start))
    tail = next(
        marker
        for end, start in reversed(candidates)
        if (marker := rendered.ending_at(end, start, delta_of)) is not None
    )
    step = max(1, len(candidates) // samples)
    markers: list[Marker] = []
    for group in range(0, len(candidates), step):
        for end, start in candidates[group : group + step]:  # the first that makes a marker
            marker = rendered.ending_at(end, start, delta_of)
            if marker is not None:
                markers.append(marker)
                break
    if not markers or markers[-1] != tail:
        markers.append(tail)
    return Plan(kind, question, n, text, deltas, first, tail, markers)


def pick_delta_chars(kind: str, n: int) -> tuple[int, float]:
    """The delta size (characters) whose ``kind`` deltas average closest to 12 bytes, and that
    average for ``n`` deltas. The search uses at most 2,000 deltas: the bytes per character of
    a shape do not change with its length."""
    probe = min(n, 2000)

    def average(chars: int, count: int) -> float:
        deltas = simulator.shape_deltas(kind, "benchmark question", count, chars)
        return len("".join(deltas).encode()) / len(deltas)

    best = min(range(1, 41), key=lambda chars: abs(average(chars, probe) - TARGET_DELTA_BYTES))
    return best, average(best, n)


# -- one answer in one browser context --


@dataclass
class Run:
    side: str
    question: str
    lag_last: float | None = None  # tail seen - send time of its delta
    first_lag: float | None = None
    first_word: float | None = None  # first seen - Enter pressed (page clock)
    max_held: float | None = None  # sampled markers: on screen - sent
    median_held: float | None = None
    max_ws_held: float | None = None  # sampled markers: arrived over the websocket - sent
    median_ws_held: float | None = None
    ws_markers_seen: int = 0
    ws_lag_last: float | None = None
    max_app_held: float | None = None  # every delta: yielded to st.write_stream - sent
    median_app_held: float | None = None
    ws_first_lag: float | None = None
    ws_per_byte: float | None = None
    ws_bytes: int = 0
    ws_frames: int = 0
    ws_sent: int = 0  # bytes the page sent (its rerun requests)
    answer_bytes: int = 0
    markers_seen: int = 0
    markers: int = 0
    complete: bool = False
    finish_after_end: float | None = None  # tail seen - last_delta_sent_at
    sim_span: float | None = None  # last - first delta send time
    cpu: float | None = None  # the server's CPU seconds from send to idle
    check_ms: float = 0.0
    errors: list[str] = field(default_factory=list)


class Session:
    """A browser context on one server, with the page's instruments installed."""

    def __init__(self, browser: Any, url: str, server_pid: int) -> None:
        self.server_pid = server_pid
        self.cpu_at_idle: float | None = None  # set by wait_done
        self.context = browser.new_context()
        self.page = self.context.new_page()
        self.page.add_init_script(BENCH_JS)
        self.page.goto(url)
        harness.wait_for_app_idle(self.page, timeout=60)

    def server_cpu(self) -> float:
        return process_cpu(self.server_pid)

    def warm_up(self) -> None:
        """One short answer (heading, list, code block, table), then "New chat".

        A fresh page loads parts of Streamlit's frontend on first use (the first code block
        waits for its highlighter), which stalls that first answer by a few hundred ms on
        either side. The measured answer then starts on an empty chat in a warm page.
        """
        page = self.page
        harness.send_message(page, "/long 120 warm up")
        with contextlib.suppress(Exception):
            harness.wait_for_run_start(page, timeout=5)
        harness.wait_for_app_idle(page, timeout=60)
        page.locator('[data-testid="stSidebar"]').get_by_role("button", name="New chat").click()
        page.wait_for_function(
            "() => !document.querySelector('[data-testid=\"stChatMessage\"]')", timeout=30_000
        )
        harness.wait_for_app_idle(page, timeout=60)

    def arm(self, plan: Plan) -> None:
        self.page.evaluate(
            "(p) => window.__bench.arm(p)",
            {
                "markers": [m.screen for m in plan.markers],
                "wire": [m.wire for m in plan.markers],
                "first": plan.first.screen,
                "wireFirst": plan.first.wire,
                "tail": plan.tail.screen,
                "wireTail": plan.tail.wire,
            },
        )

    def state(self) -> dict[str, Any]:
        return self.page.evaluate(
            """() => ({
              tailSeen: window.__bench.tailSeen,
              script: document.querySelector('[data-testid="stApp"]')
                ?.getAttribute('data-test-script-state'),
              wsBytes: window.__bench.wsBytes,
            })"""
        )

    def result(self) -> dict[str, Any]:
        return self.page.evaluate(
            """() => { const B = window.__bench; return {
              firstSeen: B.firstSeen, tailSeen: B.tailSeen, seen: B.seen, enterAt: B.enterAt,
              wsFirstSeen: B.wsFirstSeen, wsTailSeen: B.wsTailSeen, wsSeen: B.wsSeen,
              wsBytes: B.wsBytes, wsFrames: B.wsFrames, wsSent: B.wsSent,
              checks: B.checks, checkMs: B.checkMs,
              text: B.answerText() }; }"""
        )

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.context.close()


def wait_done(sessions: list[Session], timeout: float) -> None:
    """Until every page shows its last line and is idle with no more bytes arriving (or not
    showing it 5 s after going idle). Each session's ``cpu_at_idle`` is its server's CPU time
    when the page was first seen idle for good (the server's work on the answer is over)."""
    deadline = time.monotonic() + timeout
    idle_since: dict[int, float] = {}
    last_bytes: dict[int, int] = {}
    done: set[int] = set()
    for session in sessions:
        session.cpu_at_idle = None
    while len(done) < len(sessions) and time.monotonic() < deadline:
        time.sleep(0.25)
        for number, session in enumerate(sessions):
            if number in done:
                continue
            state = session.state()
            now = time.monotonic()
            steady = state["script"] == "notRunning" and state["wsBytes"] == last_bytes.get(number)
            last_bytes[number] = state["wsBytes"]
            if not steady:
                idle_since.pop(number, None)
                session.cpu_at_idle = None
                continue
            since = idle_since.setdefault(number, now)
            if session.cpu_at_idle is None:
                session.cpu_at_idle = session.server_cpu()
            if (state["tailSeen"] is not None and now - since >= 0.5) or now - since >= 5:
                done.add(number)


def stream_for(sim: CozeSimulator, question: str) -> simulator.StreamRecord | None:
    for record in sim.streams:
        if record.question == question:
            return record
    return None


def earliest(*times: float | None) -> float | None:
    present = [t for t in times if t is not None]
    return min(present) if present else None


def evaluate(side: str, plan: Plan, sim: CozeSimulator, session: Session) -> Run:
    run = Run(side, plan.question)
    data = session.result()
    record = stream_for(sim, plan.question)
    sent = SENT.get(record.chat_id, []) if record is not None else []
    run.answer_bytes = len(plan.text.encode())
    run.ws_bytes, run.ws_frames = data["wsBytes"], data["wsFrames"]
    run.ws_sent = data["wsSent"]
    run.ws_per_byte = run.ws_bytes / run.answer_bytes
    run.check_ms = data["checkMs"]
    run.markers = len(plan.markers)
    if data["firstSeen"] is not None and data["enterAt"] is not None:
        run.first_word = (data["firstSeen"] - data["enterAt"]) / 1000
    if record is None or len(sent) != plan.n:
        run.errors.append(f"simulator sent {len(sent)} of {plan.n} deltas")
        return run
    if record.answer != plan.text:
        run.errors.append("the simulator's answer differs from the planned one")
    run.sim_span = sent[-1] - sent[0]
    marker_deltas = [m.delta for m in plan.markers]
    lags = [s / 1000 - sent[i] for s, i in zip(data["seen"], marker_deltas, strict=True) if s]
    run.markers_seen = len(lags)
    run.max_held = max(lags) if lags else None
    run.median_held = statistics.median(lags) if lags else None
    # A marker's text arrived by the time it is on screen at the latest: when a page cuts it
    # over two elements it is in no single websocket message (until a final element, maybe),
    # and its screen time is the best bound on its arrival there is.
    arrived = [
        earliest(on_ws, on_screen)
        for on_ws, on_screen in zip(data["wsSeen"], data["seen"], strict=True)
    ]
    ws_lags = [s / 1000 - sent[i] for s, i in zip(arrived, marker_deltas, strict=True) if s]
    run.ws_markers_seen = sum(
        1
        for on_ws, on_screen in zip(data["wsSeen"], data["seen"], strict=True)
        if on_ws and (on_screen is None or on_ws <= on_screen)
    )
    run.max_ws_held = max(ws_lags) if ws_lags else None
    run.median_ws_held = statistics.median(ws_lags) if ws_lags else None
    trace_path = TRACE_DIR / f"{record.chat_id}.json"
    if trace_path.exists():
        trace = json.loads(trace_path.read_text())
        lengths = [length for _, length in trace]
        ends = list(itertools.accumulate(len(piece) for piece in plan.deltas))
        held = []
        for i, end in enumerate(ends):
            k = bisect.bisect_left(lengths, end)
            if k < len(trace):
                held.append(trace[k][0] - sent[i])
        if len(held) == len(ends):
            run.max_app_held = max(held)
            run.median_app_held = statistics.median(held)
        else:
            run.errors.append(f"trace covers {len(held)} of {len(ends)} deltas")
    else:
        run.errors.append("no trace of the answer generator")
    if (ws_first := earliest(data["wsFirstSeen"], data["firstSeen"])) is not None:
        run.ws_first_lag = ws_first / 1000 - sent[plan.first.delta]
    if (ws_tail := earliest(data["wsTailSeen"], data["tailSeen"])) is not None:
        run.ws_lag_last = ws_tail / 1000 - sent[plan.tail.delta]
    if data["firstSeen"] is not None:
        run.first_lag = data["firstSeen"] / 1000 - sent[plan.first.delta]
    if data["tailSeen"] is not None:
        run.lag_last = data["tailSeen"] / 1000 - sent[plan.tail.delta]
        run.finish_after_end = data["tailSeen"] / 1000 - record.last_delta_sent_at
    text = data["text"]
    tail_found, question_found = plan.tail.screen in text, flat(plan.question) in text
    run.complete = tail_found and question_found and run.markers_seen == len(plan.markers)
    if not run.complete:
        run.errors.append(
            f"incomplete: tail {'found' if tail_found else 'missing'}, question "
            f"{'found' if question_found else 'missing'}, "
            f"{run.markers_seen}/{len(plan.markers)} markers seen"
        )
    return run


@dataclass
class Bench:
    """The running servers and browser a mode measures with."""

    sim: CozeSimulator
    browser: Any
    urls: dict[str, str]
    pids: dict[str, int]

    def session(self, side: str) -> Session:
        return Session(self.browser, self.urls[side], self.pids[side])

    def use_shape(self, kind: str, n: int) -> tuple[int, float]:
        """Make the simulator's deltas of ``kind`` about 12 bytes; (delta_chars, bytes)."""
        chars, average = pick_delta_chars(kind, n)
        self.sim.delta_chars = chars  # applies from the next chat on
        return chars, average


def measure(bench: Bench, side: str, session: Session, plan: Plan, timeout: float) -> Run:
    """Send ``plan``'s message in ``session`` and measure its answer until the page is idle."""
    session.arm(plan)
    cpu_before = session.server_cpu()
    harness.send_message(session.page, plan.message)
    wait_done([session], timeout)
    cpu_after = session.cpu_at_idle if session.cpu_at_idle is not None else session.server_cpu()
    run = evaluate(side, plan, bench.sim, session)
    run.cpu = cpu_after - cpu_before
    return run


def single_run(bench: Bench, side: str, plan: Plan, timeout: float) -> Run:
    """``plan`` on a fresh, warmed-up page of ``side``."""
    session = bench.session(side)
    try:
        session.warm_up()
        return measure(bench, side, session, plan, timeout)
    finally:
        session.close()


def concurrent_runs(bench: Bench, side: str, plans: list[Plan], timeout: float) -> list[Run]:
    sessions = [bench.session(side) for _ in plans]
    try:
        for session, plan in zip(sessions, plans, strict=True):
            session.warm_up()
            session.arm(plan)
        for session, plan in zip(sessions, plans, strict=True):
            harness.send_message(session.page, plan.message)
        wait_done(sessions, timeout)
        return [
            evaluate(side, plan, bench.sim, session)
            for session, plan in zip(sessions, plans, strict=True)
        ]
    finally:
        for session in sessions:
            session.close()


# -- the tables --


def median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def seconds(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.2f} s" if abs(value) >= 0.1 else f"{value * 1000:.0f} ms"


def cpu_seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} s"


def times(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}x"


def less(base: float | None, app: float | None) -> str:
    if base is None or app is None or app <= 0:
        return "n/a"
    ratio = base / app
    return f"{ratio:.1f}x less" if ratio >= 1 else f"{1 / ratio:.1f}x more"


def diff_ms(base: float | None, app: float | None) -> str:
    if base is None or app is None:
        return "n/a"
    return f"{(app - base) * 1000:+.0f} ms"


def ratio(last: float | None, first: float | None) -> float | None:
    return None if last is None or first is None or first <= 0 else last / first


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print(" | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


def run_line(label: str, run: Run) -> str:
    return (
        f"{label} {run.side:8}: last marker on screen {seconds(run.lag_last)} (on websocket "
        f"{seconds(run.ws_lag_last)}) after its delta; ws {times(run.ws_per_byte)} "
        f"({run.ws_bytes:,} B in {run.ws_frames:,} messages for {run.answer_bytes:,} B); first "
        f"delta on screen {seconds(run.first_lag)} (ws {seconds(run.ws_first_lag)}); held back "
        f"on ws max {seconds(run.max_ws_held)} median {seconds(run.median_ws_held)} "
        f"({run.ws_markers_seen}/{run.markers} markers whole in a message first), to screen max "
        f"{seconds(run.max_held)} median {seconds(run.median_held)} ({run.markers_seen}/"
        f"{run.markers}); every delta held "
        f"in the app's generator max {seconds(run.max_app_held)} median "
        f"{seconds(run.median_app_held)}; server CPU {cpu_seconds(run.cpu)}; sim span "
        f"{seconds(run.sim_span)}; observer cost {run.check_ms / 1000:.2f} s "
        f"{'; '.join(run.errors)}"
    )


METHOD = (
    "method: times are wall clock (simulator time.time(), page Date.now()). Each delta's "
    "send time is recorded in the simulator; a MutationObserver in the page records when "
    "each sampled marker (a piece of the answer as rendered, whitespace removed) first appears "
    "in the newest assistant bubble's Markdown elements. lag = first seen - send time of the "
    "delta that completed the marker ('held back': first websocket message whose UTF-8 text "
    "contains the marker's Markdown, or its screen time if earlier: a marker cut over two "
    "elements is in no single message). 'last delta': the answer's last marker; 'first delta': "
    "the first delta's visible text; 'max held back': the largest lag over the sampled "
    "markers. websocket bytes: payload bytes of every message the page received from sending "
    "to idle, / UTF-8 bytes of the answer. server CPU: the Streamlit server process's user + "
    "system time from sending to idle. 'held in the app's generator': for every delta, when "
    "the page's answer generator yielded the text that completes it to st.write_stream "
    "(bench/_trace.py) - its send time. The websocket and screen times are taken on the page's "
    "main thread, so a long render task there delays them too."
)


# -- the default run: the mixed document, then concurrent sessions --


def default_mode(bench: Bench, args: argparse.Namespace) -> bool:
    """The original benchmark; prints its table and returns whether a goal failed."""
    delta_chars, delta_bytes = bench.use_shape("mixed", args.deltas)
    print(
        f"simulator: {args.rate:g} deltas/s, delta_chars={delta_chars} "
        f"({delta_bytes:.1f} bytes per delta on average in /long {args.deltas}); "
        f"{args.runs} run(s) of {args.deltas} deltas per side, then {args.sessions} sessions x "
        f"{args.session_deltas} deltas per side",
        flush=True,
    )
    stream_seconds = args.deltas / args.rate
    runs: dict[str, list[Run]] = {"baseline": [], "app": []}
    conc: dict[str, list[Run]] = {}
    for number in range(args.runs):
        order = ("baseline", "app") if number % 2 == 0 else ("app", "baseline")
        for side in order:
            plan = make_plan(
                "mixed", f"bench {side} run {number + 1}", args.deltas, delta_chars, args.markers
            )
            run = single_run(bench, side, plan, stream_seconds + 600)
            runs[side].append(run)
            print(run_line(f"run {number + 1}", run), flush=True)
    for side in SIDES:
        plans = [
            make_plan(
                "mixed", f"session {k + 1} {side} 问题{k + 1}", args.session_deltas, delta_chars, 10
            )
            for k in range(args.sessions)
        ]
        conc[side] = concurrent_runs(bench, side, plans, args.session_deltas / args.rate + 600)
        for run in conc[side]:
            print(
                f"sessions {side:8} {run.question!r}: complete={run.complete}, last line "
                f"{seconds(run.finish_after_end)} after its stream's last delta, max held "
                f"{seconds(run.max_held)} (ws {seconds(run.max_ws_held)}, app generator "
                f"{seconds(run.max_app_held)}) {'; '.join(run.errors)}",
                flush=True,
            )

    base, app = runs["baseline"], runs["app"]
    lag_b, lag_a = median([r.lag_last for r in base]), median([r.lag_last for r in app])
    ws_b, ws_a = median([r.ws_per_byte for r in base]), median([r.ws_per_byte for r in app])
    first_b, first_a = median([r.first_lag for r in base]), median([r.first_lag for r in app])
    held_b, held_a = median([r.max_held for r in base]), median([r.max_held for r in app])
    wsheld_b = median([r.max_ws_held for r in base])
    wsheld_a = median([r.max_ws_held for r in app])
    appheld_b = median([r.max_app_held for r in base])
    appheld_a = median([r.max_app_held for r in app])
    cpu_b, cpu_a = median([r.cpu for r in base]), median([r.cpu for r in app])

    def sessions_cell(side: str) -> tuple[str, bool | None, float | None]:
        results = conc[side]
        complete = sum(r.complete for r in results)
        finishes = [r.finish_after_end for r in results]
        worst = None if None in finishes else max(finishes)  # type: ignore[type-var]
        cell = f"{complete}/{len(results)} complete, max {seconds(worst)}"
        ok = complete == len(results) and worst is not None and worst <= 1.0
        return cell, ok, worst

    conc_b, _, worst_b = sessions_cell("baseline")
    conc_a, conc_ok, worst_a = sessions_cell("app")
    rows = [
        (
            f"browser lag after last delta ({args.deltas} @ {args.rate:g}/s)",
            seconds(lag_b),
            seconds(lag_a),
            less(lag_b, lag_a),
            "<= 0.3 s",
            verdict(None if lag_a is None else lag_a <= GOAL_LAG),
        ),
        (
            "websocket bytes per answer byte",
            times(ws_b),
            times(ws_a),
            less(ws_b, ws_a),
            "<= 20x",
            verdict(None if ws_a is None else ws_a <= GOAL_WS_PER_BYTE),
        ),
        (
            "first delta visible after send",
            seconds(first_b),
            seconds(first_a),
            diff_ms(first_b, first_a),
            "<= baseline + 50 ms",
            verdict(
                None
                if first_a is None or first_b is None
                else first_a <= first_b + GOAL_FIRST_OVER_BASELINE
            ),
        ),
        (
            f"max delta held back: sent -> in a websocket message ({args.markers} markers)",
            seconds(wsheld_b),
            seconds(wsheld_a),
            diff_ms(wsheld_b, wsheld_a),
            "<= 100 ms",
            verdict(None if wsheld_a is None else wsheld_a <= GOAL_HELD),
        ),
        (
            "max delta held in the app's generator: sent -> yielded (every delta)",
            seconds(appheld_b),
            seconds(appheld_a),
            diff_ms(appheld_b, appheld_a),
            "(info)",
            "",
        ),
        (
            f"max delta lag: sent -> on screen ({args.markers} markers)",
            seconds(held_b),
            seconds(held_a),
            less(held_b, held_a),
            "(info)",
            "",
        ),
        (
            "server CPU per answer: send -> idle",
            cpu_seconds(cpu_b),
            cpu_seconds(cpu_a),
            less(cpu_b, cpu_a),
            "(info; --shape: < baseline)",
            "",
        ),
        (
            f"{args.sessions} sessions x {args.session_deltas} deltas: all complete & correct, "
            "max finish after stream end",
            conc_b,
            conc_a,
            diff_ms(worst_b, worst_a),
            "all complete, <= 1 s",
            verdict(conc_ok),
        ),
    ]
    print()
    print(f"medians of {args.runs} run(s) per side; app and baseline runs interleaved")
    print_table(
        ("figure", "baseline (plain st.write_stream)", "app", "ratio/diff", "goal", "pass?"), rows
    )
    print()
    print(METHOD)
    return any(row[-1] == "FAIL" for row in rows)


# -- --shape: one table row per shape and side --


@dataclass
class ShapeResult:
    kind: str
    deltas: int
    runs: dict[str, list[Run]]

    def figure(self, side: str, name: str) -> float | None:
        return median([getattr(run, name) for run in self.runs[side]])


def shape_goals(result: ShapeResult) -> list[tuple[str, bool | None]]:
    """The app's goals for one shape: (name, met; None when a figure is missing)."""
    app = {
        name: result.figure("app", name)
        for name in ("ws_per_byte", "lag_last", "first_lag", "max_ws_held", "cpu")
    }
    first_b, cpu_b = result.figure("baseline", "first_lag"), result.figure("baseline", "cpu")
    first_a, cpu_a = app["first_lag"], app["cpu"]

    def at_most(value: float | None, limit: float) -> bool | None:
        return None if value is None else value <= limit

    return [
        ("ws", at_most(app["ws_per_byte"], GOAL_WS_PER_BYTE)),
        ("lag", at_most(app["lag_last"], GOAL_LAG)),
        (
            "first",
            None
            if first_a is None or first_b is None
            else first_a <= first_b + GOAL_FIRST_OVER_BASELINE,
        ),
        ("held", at_most(app["max_ws_held"], GOAL_HELD)),
        ("cpu", None if cpu_a is None or cpu_b is None else cpu_a < cpu_b),
        ("complete", all(run.complete for run in result.runs["app"])),
    ]


def goals_cell(goals: list[tuple[str, bool | None]]) -> tuple[str, bool]:
    """("PASS" or what failed, whether anything failed: a missing figure fails too)."""
    failed = [name if ok is False else f"{name} n/a" for name, ok in goals if not ok]
    return ("PASS" if not failed else "FAIL: " + ", ".join(failed)), bool(failed)


def shapes_mode(bench: Bench, kinds: list[str], args: argparse.Namespace) -> bool:
    results: list[ShapeResult] = []
    for number, kind in enumerate(kinds):
        delta_chars, delta_bytes = bench.use_shape(kind, args.deltas)
        print(
            f"shape {kind}: {args.runs} run(s) of {args.deltas} deltas per side at "
            f"{args.rate:g}/s, delta_chars={delta_chars} ({delta_bytes:.1f} bytes per delta)",
            flush=True,
        )
        result = ShapeResult(kind, args.deltas, {"baseline": [], "app": []})
        for run_number in range(args.runs):
            order = SIDES if (number + run_number) % 2 == 0 else SIDES[::-1]
            for side in order:
                question = f"{kind} {side} run {run_number + 1}"
                plan = make_plan(kind, question, args.deltas, delta_chars, args.markers)
                run = single_run(bench, side, plan, args.deltas / args.rate + 600)
                result.runs[side].append(run)
                print(run_line(f"  {kind} run {run_number + 1}", run), flush=True)
        results.append(result)

    rows: list[tuple[str, ...]] = []
    failed = False
    for result in results:
        first_b = result.figure("baseline", "first_lag")
        cpu_b = result.figure("baseline", "cpu")
        for side in SIDES:
            first = result.figure(side, "first_lag")
            cpu = result.figure(side, "cpu")
            ws_seen = min(run.ws_markers_seen for run in result.runs[side])
            markers = max(run.markers for run in result.runs[side])
            if side == "app":
                cell, side_failed = goals_cell(shape_goals(result))
                failed = failed or side_failed
                first_cell = f"{seconds(first)} ({diff_ms(first_b, first)})"
                cpu_cell = f"{cpu_seconds(cpu)} ({less(cpu_b, cpu)})"
            else:
                cell, first_cell, cpu_cell = "", seconds(first), cpu_seconds(cpu)
            held = seconds(result.figure(side, "max_ws_held"))
            rows.append(
                (
                    result.kind,
                    SIDE_NAMES[side],
                    times(result.figure(side, "ws_per_byte")),
                    seconds(result.figure(side, "lag_last")),
                    first_cell,
                    held if ws_seen == markers else f"{held} ({ws_seen}/{markers} whole)",
                    seconds(result.figure(side, "max_held")),
                    cpu_cell,
                    cell,
                )
            )
    print()
    print(
        f"per shape: {args.deltas} deltas of about 12 bytes at {args.rate:g}/s, medians of "
        f"{args.runs} run(s) per side, interleaved. Goals (app): ws <= {GOAL_WS_PER_BYTE:g}x, "
        f"lag <= {GOAL_LAG:g} s, first <= plain + {GOAL_FIRST_OVER_BASELINE * 1000:.0f} ms, "
        f"held back (websocket) <= {GOAL_HELD * 1000:.0f} ms, CPU < plain, complete"
    )
    print_table(
        (
            "shape",
            "side",
            "ws bytes / answer byte",
            "lag after last delta",
            "first delta visible",
            "max held back (ws)",
            "max held to screen",
            "server CPU / answer",
            "goals",
        ),
        rows,
    )
    print()
    print(METHOD)
    return failed


# -- --deltas-sweep: one shape at several lengths --


def sweep_mode(bench: Bench, kind: str, counts: list[int], args: argparse.Namespace) -> bool:
    results: list[ShapeResult] = []
    for number, n in enumerate(counts):
        delta_chars, delta_bytes = bench.use_shape(kind, n)
        print(
            f"sweep {kind} {n} deltas: {args.runs} run(s) per side at {args.rate:g}/s, "
            f"delta_chars={delta_chars} ({delta_bytes:.1f} bytes per delta)",
            flush=True,
        )
        result = ShapeResult(kind, n, {"baseline": [], "app": []})
        for run_number in range(args.runs):
            order = SIDES if (number + run_number) % 2 == 0 else SIDES[::-1]
            for side in [side for side in order if side in args.sides]:
                plan = make_plan(
                    kind, f"sweep {n} {side} run {run_number + 1}", n, delta_chars, args.markers
                )
                run = single_run(bench, side, plan, n / args.rate + 900)
                result.runs[side].append(run)
                print(run_line(f"  {kind} {n} run {run_number + 1}", run), flush=True)
        results.append(result)

    rows: list[tuple[str, ...]] = []
    failed = False
    for result in results:
        for side in args.sides:
            ws = result.figure(side, "ws_per_byte")
            cpu = result.figure(side, "cpu")
            ok = None if ws is None else ws <= GOAL_WS_PER_BYTE
            if side == "app":
                failed = failed or not ok
            rows.append(
                (
                    f"{result.deltas:,}",
                    SIDE_NAMES[side],
                    f"{result.runs[side][0].answer_bytes:,}",
                    times(ws),
                    seconds(result.figure(side, "lag_last")),
                    cpu_seconds(cpu),
                    "n/a" if cpu is None else f"{cpu / result.deltas * 1000:.2f} s",
                    verdict(ok) if side == "app" else "",
                )
            )
    print()
    print(f"deltas sweep, shape {kind}: medians of {args.runs} run(s) per side at {args.rate:g}/s")
    print_table(
        (
            "deltas",
            "side",
            "answer bytes",
            "ws bytes / answer byte",
            "lag after last delta",
            "server CPU / answer",
            "CPU per 1,000 deltas",
            f"ws <= {GOAL_WS_PER_BYTE:g}x",
        ),
        rows,
    )
    for side in args.sides:
        values = [result.figure(side, "ws_per_byte") for result in results]
        growth = ratio(values[-1], values[0])
        print(
            f"{SIDE_NAMES[side]}: ws bytes per answer byte "
            + " -> ".join(times(v) for v in values)
            + f" ({counts[-1]:,} / {counts[0]:,} deltas: "
            + ("n/a" if growth is None else f"{growth:.2f}x")
            + ")"
        )
    return failed


# -- --restored: one message after a chat restored from the browser's store --


class RestoredSession(Session):
    """A page that finds ``turns`` earlier questions and answers in the browser's store."""

    def __init__(self, browser: Any, url: str, server_pid: int, turns: int, answer: str) -> None:
        self.server_pid = server_pid
        self.cpu_at_idle = None
        self.context = browser.new_context()
        self.page = self.context.new_page()
        self.page.add_init_script(BENCH_JS)
        records: list[dict[str, Any]] = []
        for number in range(turns):
            at = time.time() - 3600 + number
            records.append({"role": "user", "at": at, "text": f"restored question {number}"})
            records.append(
                {
                    "role": "assistant",
                    "at": at,
                    "blocks": [answer],
                    "total_seconds": 1.0,
                    "question": f"restored question {number}",
                }
            )
        chat_id = f"{turns:016x}"
        chat = json.dumps({"v": 1, "id": chat_id, "demo": False, "turns": records})
        meta = json.dumps({"title": "restored", "at": time.time(), "size": len(chat)})
        self.page.add_init_script(
            f"""if (!sessionStorage.getItem("coze-open")) {{
              sessionStorage.setItem("coze-open", {json.dumps(chat_id)});
              localStorage.setItem("coze-chat:{chat_id}", {json.dumps(chat)});
              localStorage.setItem("coze-meta:{chat_id}", {json.dumps(meta)});
            }}"""
        )
        started = time.monotonic()
        self.page.goto(url)
        self.page.wait_for_function(
            "(n) => document.querySelectorAll('[data-testid=\"stChatMessage\"]').length >= n",
            arg=2,
            timeout=60_000,
        )
        harness.wait_for_app_idle(self.page, timeout=60)
        self.restore_seconds = time.monotonic() - started  # page opened -> chat shown, idle


def restored_mode(bench: Bench, args: argparse.Namespace) -> bool:
    n, big = args.history_deltas, args.restored
    delta_chars, _ = bench.use_shape("mixed", n)
    saved_rate = bench.sim.deltas_per_second
    bench.sim.deltas_per_second = args.history_rate
    answer = make_plan("mixed", "restored", n, delta_chars, 5).text
    counts = (4, big)
    runs: dict[int, list[Run]] = {count: [] for count in counts}
    restore_times: dict[int, list[float]] = {count: [] for count in (0, *counts)}
    print(
        f"restored: a chat of 4 or {big} earlier turns (answers of {len(answer.encode()):,} "
        f"bytes) restored, then one more /long {n} message; {args.runs} runs each",
        flush=True,
    )
    try:
        for number in range(args.runs):
            for count in counts if number % 2 == 0 else counts[::-1]:
                started = time.monotonic()  # the same page with nothing to restore
                Session(bench.browser, bench.urls["app"], bench.pids["app"]).close()
                restore_times[0].append(time.monotonic() - started)
                session = RestoredSession(
                    bench.browser, bench.urls["app"], bench.pids["app"], count, answer
                )
                try:
                    question = f"restored {count} run {number} message {count + 1}"
                    plan = make_plan("mixed", question, n, delta_chars, 5, first_line=True)
                    run = measure(bench, "app", session, plan, n / args.history_rate + 120)
                finally:
                    session.close()
                runs[count].append(run)
                restore_times[count].append(session.restore_seconds)
                print(
                    f"  message {count + 1:4} (run {number + 1}): restored in "
                    f"{session.restore_seconds:.2f} s; ws {run.ws_bytes:,} B (sent "
                    f"{run.ws_sent:,} B), first "
                    f"words {seconds(run.first_word)} after Enter, server CPU "
                    f"{cpu_seconds(run.cpu)} {'; '.join(run.errors)}",
                    flush=True,
                )
    finally:
        bench.sim.deltas_per_second = saved_rate
    rows = []
    figures: dict[tuple[int, str], float | None] = {}
    for count in counts:
        for name in ("ws_bytes", "ws_sent", "first_word", "cpu"):
            figures[count, name] = median([getattr(run, name) for run in runs[count]])
        rows.append(
            (
                f"message {count + 1}",
                f"{figures[count, 'ws_bytes'] or 0:,.0f}",
                f"{figures[count, 'ws_sent'] or 0:,.0f}",
                seconds(figures[count, "first_word"]),
                cpu_seconds(figures[count, "cpu"]),
            )
        )
    growth = {
        name: ratio(figures[big, name], figures[4, name]) for name in ("ws_bytes", "first_word")
    }
    rows.append(
        (
            f"{big + 1}th / 5th",
            f"{growth['ws_bytes'] or 0:.2f}x",
            "",
            f"{growth['first_word'] or 0:.2f}x",
            "",
        )
    )
    print()
    print(
        "page opened -> chat shown and idle (median): "
        + ", ".join(
            f"{count} turns {median(times) or 0:.2f} s" for count, times in restore_times.items()
        )
    )
    print_table(
        ("after a restored chat", "ws bytes", "ws bytes sent", "first words", "server CPU"), rows
    )
    failed = any(not run.complete for count in counts for run in runs[count])
    for name, value in growth.items():
        ok = None if value is None else value <= GOAL_HISTORY_GROWTH
        failed = failed or not ok
        print(f"goal (app) {name} {big + 1}th/5th {GOAL_HISTORY_GROWTH:g}x: {verdict(ok)}")
    return failed


# -- --reasoning: a long reasoning block --


@dataclass
class ThinkingPlan(Plan):
    """A short ``/long`` answer after ``reasoning_deltas`` reasoning deltas."""

    reasoning_deltas: int = 0

    @property
    def message(self) -> str:
        return f"/think {self.reasoning_deltas} {message_for(self.kind, self.n, self.question)}"


def reasoning_mode(bench: Bench, args: argparse.Namespace) -> bool:
    n = args.reasoning
    delta_chars, delta_bytes = bench.use_shape("paragraph", n)
    saved_rate = bench.sim.deltas_per_second
    bench.sim.deltas_per_second = args.history_rate
    print(
        f"reasoning: /think {n} (about {n * delta_bytes / 1000:.1f} KB) then /long 30, at "
        f"{args.history_rate:g} deltas/s, {args.runs} runs per side",
        flush=True,
    )
    ratios: dict[str, list[float]] = {side: [] for side in args.sides}
    try:
        for number in range(args.runs):
            for side in args.sides if number % 2 == 0 else args.sides[::-1]:
                question = f"reasoning {side} run {number}"
                base = make_plan("mixed", question, 30, delta_chars, 5)
                plan = ThinkingPlan(**vars(base), reasoning_deltas=n)
                session = bench.session(side)
                try:
                    session.warm_up()
                    run = measure(bench, side, session, plan, 2 * n / args.history_rate + 120)
                finally:
                    session.close()
                record = stream_for(bench.sim, question)
                thought = len(record.reasoning.encode()) if record is not None else 0
                total = thought + run.answer_bytes
                ratios[side].append(run.ws_bytes / total)
                print(
                    f"  {side:8} run {number + 1}: reasoning {thought:,} B + answer "
                    f"{run.answer_bytes:,} B, ws {run.ws_bytes:,} B = "
                    f"{run.ws_bytes / total:.1f}x, server CPU {cpu_seconds(run.cpu)}",
                    flush=True,
                )
    finally:
        bench.sim.deltas_per_second = saved_rate
    print()
    print_table(
        ("side", "ws bytes per byte (median)"),
        [(side, f"{median(values) or 0:.1f}x") for side, values in ratios.items()],
    )
    value = median(ratios.get("app", []))
    ok = None if value is None else value <= GOAL_WS_PER_BYTE
    print(f"goal (app) reasoning ws bytes per byte {GOAL_WS_PER_BYTE:g}x: {verdict(ok)}")
    return not ok


# -- --history: many turns in one browser session --


def history_mode(bench: Bench, args: argparse.Namespace) -> bool:
    turns, n = args.history, args.history_deltas
    delta_chars, delta_bytes = bench.use_shape("mixed", n)
    saved_rate = bench.sim.deltas_per_second
    bench.sim.deltas_per_second = args.history_rate
    print(
        f"history: {turns} turns per side in one browser session, /long {n} each "
        f"({delta_chars} characters, {delta_bytes:.1f} bytes per delta, about "
        f"{n * delta_bytes / 1000:.1f} KB) at {args.history_rate:g} deltas/s",
        flush=True,
    )
    runs: dict[str, list[Run]] = {}
    try:
        for side in args.sides:
            session = bench.session(side)
            runs[side] = []
            try:
                session.warm_up()
                for turn in range(1, turns + 1):
                    question = f"history {side} turn {turn} of {turns}"
                    # First words: the heading, which quotes this turn's question (the first
                    # delta alone reads the same in every turn).
                    plan = make_plan("mixed", question, n, delta_chars, 5, first_line=True)
                    run = measure(bench, side, session, plan, n / args.history_rate + 120)
                    runs[side].append(run)
                    print(
                        f"  history {side:8} turn {turn:3}: ws {run.ws_bytes:,} B, first words "
                        f"{seconds(run.first_word)} after Enter, server CPU {cpu_seconds(run.cpu)}"
                        f" {'; '.join(run.errors)}",
                        flush=True,
                    )
            finally:
                session.close()
    finally:
        bench.sim.deltas_per_second = saved_rate

    shown = sorted({t for t in (1, 2, 5, 10, 20, 30) if t <= turns} | {turns})
    rows: list[tuple[str, ...]] = []
    for turn in shown:
        row = [str(turn)]
        for side in SIDES:
            if side not in runs:
                row += ["(not run)"] * 3
                continue
            run = runs[side][turn - 1]
            row += [f"{run.ws_bytes:,}", seconds(run.first_word), cpu_seconds(run.cpu)]
        rows.append(tuple(row))

    def growth(side: str, name: str, window: int) -> float | None:
        if side not in runs:
            return None
        values = [getattr(run, name) for run in runs[side]]
        window = min(window, len(values) // 2) or 1
        return ratio(median(values[-window:]), median(values[:window]))

    growth_row = ["last / first"]
    median_row = ["median last 3 / first 3"]
    for side in SIDES:
        for name in ("ws_bytes", "first_word", "cpu"):
            growth_row.append("n/a" if (g := growth(side, name, 1)) is None else f"{g:.2f}x")
            median_row.append("n/a" if (g := growth(side, name, 3)) is None else f"{g:.2f}x")
    rows += [tuple(growth_row), tuple(median_row)]
    print()
    print(
        f"history: {turns} turns of /long {n} at {args.history_rate:g}/s in one session per "
        "side; ws = bytes received from sending the message until the run is idle; first words "
        "= Enter -> the answer's first line on screen"
    )
    print_table(
        (
            "turn",
            "plain: ws bytes",
            "plain: first words",
            "plain: server CPU",
            "app: ws bytes",
            "app: first words",
            "app: server CPU",
        ),
        rows,
    )
    bytes_growth = growth("app", "ws_bytes", 1)
    first_growth = growth("app", "first_word", 3)
    incomplete = sum(not run.complete for run in runs["app"])
    goals = [
        (f"ws bytes last/first {GOAL_HISTORY_GROWTH:g}x", bytes_growth),
        (f"first words (median last 3 / first 3) {GOAL_HISTORY_GROWTH:g}x", first_growth),
    ]
    failed = incomplete > 0
    for name, value in goals:
        ok = None if value is None else value <= GOAL_HISTORY_GROWTH
        failed = failed or not ok
        shown_value = "n/a" if value is None else f"{value:.2f}x"
        print(f"goal (app) {name}: {shown_value} {verdict(ok)}")
    print(f"app turns complete: {turns - incomplete}/{turns}")
    return failed


def parse_counts(text: str) -> list[int]:
    counts = [int(part) for part in text.split(",") if part.strip()]
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError("a comma-separated list of delta counts, e.g. 1000,3000")
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--deltas", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=100.0, help="deltas per second")
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--session-deltas", type=int, default=1000)
    parser.add_argument("--markers", type=int, default=30, help="markers sampled per answer")
    parser.add_argument(
        "--quick", action="store_true", help="1 run, 600 deltas, 4 x 300, sweep 300,1000,3000"
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal fails")
    parser.add_argument(
        "--shape",
        action="append",
        choices=[*SHAPE_KINDS, "all"],
        help="measure this answer shape (repeatable; all: every shape)",
    )
    parser.add_argument(
        "--deltas-sweep", metavar="SHAPE", choices=SHAPE_KINDS, help="one shape, several lengths"
    )
    parser.add_argument(
        "--sweep-counts",
        type=parse_counts,
        default=None,
        help="deltas per answer in --deltas-sweep (default 1000,3000,10000)",
    )
    parser.add_argument(
        "--history", type=int, metavar="TURNS", help="TURNS messages in one browser session"
    )
    parser.add_argument("--history-deltas", type=int, default=275, help="deltas per turn")
    parser.add_argument(
        "--restored", type=int, metavar="TURNS", help="one message after a restored chat"
    )
    parser.add_argument(
        "--reasoning", type=int, metavar="DELTAS", help="a reasoning block of DELTAS deltas"
    )
    parser.add_argument(
        "--sides",
        type=lambda text: [side for side in SIDES if side in text.split(",")],
        default=list(SIDES),
        help="for --deltas-sweep and --history: 'app' skips plain st.write_stream (it takes "
        "minutes at 10,000 deltas)",
    )
    parser.add_argument("--history-rate", type=float, default=500.0, help="deltas per second")
    parser.add_argument(
        "--app",
        type=Path,
        default=APP,
        help="the page measured as the app (default: streamlit_app.py, traced)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.deltas, args.sessions, args.session_deltas = 1, 600, 4, 300
    if args.sweep_counts is None:
        args.sweep_counts = [300, 1000, 3000] if args.quick else [1000, 3000, 10000]
    kinds = (
        list(SHAPE_KINDS) if "all" in (args.shape or []) else list(dict.fromkeys(args.shape or []))
    )
    default = not (kinds or args.deltas_sweep or args.history or args.restored or args.reasoning)

    failed: dict[str, bool] = {}
    # The page's fair share (20 messages a minute per visitor) would refuse --history's turns.
    env = {"BENCH_TRACE_DIR": str(TRACE_DIR), "COZE_MESSAGES_PER_MINUTE": "100000"}
    with (
        CozeSimulator(
            pat=PAT, bot_id=BOT_ID, deltas_per_second=args.rate, on_delta=record_sent
        ) as sim,
        # Both in the project's folder: the project's .streamlit/config.toml applies to both.
        harness.StreamlitServer(args.app, env=sim.env() | env, cwd=ROOT) as app_server,
        harness.StreamlitServer(BASELINE, env=sim.env() | env, cwd=ROOT) as base_server,
        sync_playwright() as pw,
    ):
        assert app_server.process is not None and base_server.process is not None
        bench = Bench(
            sim,
            harness.launch_browser(pw),
            {"app": app_server.url, "baseline": base_server.url},
            {"app": app_server.process.pid, "baseline": base_server.process.pid},
        )
        if args.app != APP:
            print(f"the app side is {args.app}", flush=True)
        bench.use_shape("mixed", 30)
        for side in ("app", "baseline"):  # warm-up: imports, first connections
            plan = make_plan("mixed", f"warm up {side}", 30, bench.sim.delta_chars, args.markers)
            single_run(bench, side, plan, 60)
        if default:
            failed["default"] = default_mode(bench, args)
        if kinds:
            failed["shapes"] = shapes_mode(bench, kinds, args)
        if args.deltas_sweep:
            failed["sweep"] = sweep_mode(bench, args.deltas_sweep, args.sweep_counts, args)
        if args.history:
            print()
            failed["history"] = history_mode(bench, args)
        if args.restored:
            print()
            failed["restored"] = restored_mode(bench, args)
        if args.reasoning:
            print()
            failed["reasoning"] = reasoning_mode(bench, args)
        bench.browser.close()

    print()
    print("goals: " + ", ".join(f"{m} {'FAIL' if f else 'PASS'}" for m, f in failed.items()))
    return 1 if args.check and any(failed.values()) else 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: the chat page's streaming in a real browser, against plain ``st.write_stream``.

Run from the project root:

    .venv/bin/python bench/ui.py            # full: 3 runs of 3,000 deltas at 100/s, 8 sessions
    .venv/bin/python bench/ui.py --quick    # smoke check: 1 run of 600 deltas, 4 sessions

One Coze simulator (in this process) answers ``/long N`` with exactly N deltas at ``--rate``
deltas per second, ``delta_chars`` chosen so that a delta is about 12 bytes of UTF-8 on average.
Two Streamlit servers point at it: the app (``streamlit_app.py``) and the baseline
(``bench/baseline_app.py``: the same page, but every delta is yielded to ``st.write_stream`` the
moment it arrives, so the whole answer is re-sent and re-rendered per delta). Headless Chromium
drives both; app and baseline runs alternate (and swap order each run) so noise hits both, and
the table shows medians over the runs.

How it measures (all times are wall clock on this machine: the simulator's ``time.time()`` and
the page's ``Date.now()``):

- In the page, an init script wraps ``WebSocket`` to count the bytes of every message received
  (payload bytes, counted from the moment the message is sent until the run is idle), and a
  ``MutationObserver`` recomputes the assistant bubble's answer text (the ``textContent`` of its
  Markdown elements; captions and follow-up buttons excluded) after every DOM change, recording
  ``Date.now()`` when a marker first appears in it.
- Markers are lines of the answer as they read once rendered (heading and list markup stripped,
  code lines as they are, a table row's last cell), each the first occurrence of its text, so a
  marker appears exactly when the delta holding its last character is shown. The simulator's
  send time of every delta is recorded (a wrapper around its per-delta bookkeeping), so each
  marker's lag is (first seen in the page) - (send time of the delta that completed it).
- "browser lag after last delta": the answer's last rendered line (the last line with visible
  text: normally inside the last delta) minus the send time of its delta (the last delta).
- "first delta visible": the first delta's visible words minus the first delta's send time.
- "max delta held back": the largest marker lag over about ``--markers`` lines sampled evenly
  through the answer: how long any piece of text waited between leaving the simulator and being
  on screen (coalescing, re-rendering and transport all included).
- "sessions": N browser contexts send ``/long M <distinct question>`` at once; each must end
  with a bubble holding its own question and its answer's last line, every sampled line seen,
  and its last line visible within 1 s of its stream's last delta.
"""

from __future__ import annotations

import argparse
import atexit
import bisect
import contextlib
import itertools
import json
import shutil
import statistics
import sys
import tempfile
import time
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
from coze_stream.simulator import CozeSimulator  # noqa: E402

APP = ROOT / "bench" / "app_traced.py"  # streamlit_app.py, its generator timed
BASELINE = ROOT / "bench" / "baseline_app.py"
TARGET_DELTA_BYTES = 12.0
PAT = "bench-token-of-the-ui-run"  # 16 characters or more, as the app asks
BOT_ID = "7379462189365198898"
TRACE_DIR = Path(tempfile.mkdtemp(prefix="bench-ui-trace-"))
atexit.register(shutil.rmtree, TRACE_DIR, ignore_errors=True)

# -- per-delta send times from the simulator (its records keep only the first and the last) --

SENT: dict[str, list[float]] = {}


def record_sent(chat_id: str, index: int, sent_at: float) -> None:
    """The simulator's ``on_delta``: delta ``index`` of chat ``chat_id`` was sent at ``sent_at``."""
    SENT.setdefault(chat_id, []).append(sent_at)


# -- in the page --

BENCH_JS = r"""
(() => {
  if (window.__bench) return;
  const B = window.__bench = {
    armed: false, counting: false, wsBytes: 0, wsFrames: 0,
    markers: [], seen: [], pending: [], hi: -1,
    first: null, firstSeen: null, tail: null, tailSeen: null,
    checks: 0, checkMs: 0,
  };
  // When each marker first arrived over the websocket (its text inside a received message).
  const decoder = new TextDecoder("utf-8");
  const wsCheck = (data) => {
    if (typeof data !== "string" && !(data instanceof ArrayBuffer)) return;
    const text = typeof data === "string" ? data : decoder.decode(data);
    const now = Date.now();
    if (B.wsFirstSeen === null && text.includes(B.first)) B.wsFirstSeen = now;
    if (B.wsTailSeen === null && text.includes(B.tail)) B.wsTailSeen = now;
    const still = [];
    for (const i of B.wsPending) {
      if (text.includes(B.markers[i])) B.wsSeen[i] = now;
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
  for (const key of ["CONNECTING", "OPEN", "CLOSING", "CLOSED"]) Counting[key] = Orig[key];
  window.WebSocket = Counting;

  B.answerText = () => {
    let bubble = null;
    for (const m of document.querySelectorAll('[data-testid="stChatMessage"]'))
      if (m.querySelector('[data-testid="stChatMessageAvatarAssistant"]')) bubble = m;
    if (!bubble) return "";
    const parts = bubble.querySelectorAll(
      '[data-testid="stMarkdown"] [data-testid="stMarkdownContainer"]');
    return Array.from(parts, (e) => e.textContent).join("\n");
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
    B.markers = plan.markers; B.seen = plan.markers.map(() => null);
    B.pending = plan.markers.map((_, i) => i); B.hi = -1;
    B.wsSeen = plan.markers.map(() => null); B.wsPending = plan.markers.map((_, i) => i);
    B.wsFirstSeen = null; B.wsTailSeen = null;
    B.first = plan.first; B.tail = plan.tail; B.firstSeen = null; B.tailSeen = null;
    B.wsBytes = 0; B.wsFrames = 0; B.checks = 0; B.checkMs = 0;
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


@dataclass
class Plan:
    question: str
    n: int
    text: str
    deltas: list[str]
    first: str
    first_idx: int
    tail: str
    tail_idx: int
    markers: list[str]
    marker_idx: list[int]


def _visible_lines(text: str) -> list[tuple[str, int]]:
    """(rendered text of the line, offset of its last character) for lines with visible text."""
    out: list[tuple[str, int]] = []
    in_fence = False
    offset = 0
    for line in text.split("\n"):
        start, offset = offset, offset + len(line) + 1
        stripped = line.strip()
        if stripped.startswith("```"):
            in_fence = not in_fence
            continue
        if in_fence:
            visible = stripped
        elif stripped.startswith("#"):
            visible = stripped.lstrip("#").strip()
        elif stripped.startswith("- "):
            visible = stripped[2:].strip()
        elif stripped.startswith("|"):
            cells = [c.strip() for c in stripped.strip("|").split("|")]
            cells = [c for c in cells if c and set(c) - set("-: ")]
            visible = cells[-1] if cells else ""
        else:
            visible = stripped
        if visible:
            end = start + line.rfind(visible) + len(visible) - 1
            out.append((visible, end))
    return out


def make_plan(question: str, n: int, delta_chars: int, samples: int) -> Plan:
    deltas = simulator.long_deltas(question, n, delta_chars)
    text = "".join(deltas)
    ends: list[int] = []
    total = 0
    for piece in deltas:
        total += len(piece)
        ends.append(total)  # delta i holds offsets [ends[i-1], ends[i])

    def delta_of(offset: int) -> int:
        return bisect.bisect_right(ends, offset)

    candidates = [
        (visible, delta_of(end))
        for visible, end in _visible_lines(text)
        if len(visible) >= 4 and text.find(visible) == end - len(visible) + 1
    ]
    first = deltas[0].split("\n")[0].lstrip("#").strip() or candidates[0][0]
    first_idx = delta_of(text.find(first) + len(first) - 1)
    tail, tail_idx = candidates[-1]
    step = max(1, len(candidates) // samples)
    sampled = candidates[::step]
    if sampled[-1] != candidates[-1]:
        sampled.append(candidates[-1])
    return Plan(
        question,
        n,
        text,
        deltas,
        first,
        first_idx,
        tail,
        tail_idx,
        [m for m, _ in sampled],
        [i for _, i in sampled],
    )


def pick_delta_chars(n: int) -> tuple[int, float]:
    """The delta size (characters) whose ``/long n`` deltas average closest to 12 bytes."""
    best = (1, 0.0)
    for chars in range(1, 41):
        deltas = simulator.long_deltas("benchmark question", n, chars)
        average = len("".join(deltas).encode()) / len(deltas)
        if best[1] == 0.0 or abs(average - TARGET_DELTA_BYTES) < abs(best[1] - TARGET_DELTA_BYTES):
            best = (chars, average)
    return best


# -- one answer in one browser context --


@dataclass
class Run:
    side: str
    question: str
    lag_last: float | None = None  # tail seen - send time of its delta
    first_lag: float | None = None
    max_held: float | None = None  # sampled lines: on screen - sent
    median_held: float | None = None
    max_ws_held: float | None = None  # sampled lines: arrived over the websocket - sent
    median_ws_held: float | None = None
    ws_lag_last: float | None = None
    max_app_held: float | None = None  # every delta: yielded to st.write_stream - sent
    median_app_held: float | None = None
    ws_first_lag: float | None = None
    ws_per_byte: float | None = None
    ws_bytes: int = 0
    ws_frames: int = 0
    answer_bytes: int = 0
    markers_seen: int = 0
    markers: int = 0
    complete: bool = False
    finish_after_end: float | None = None  # tail seen - last_delta_sent_at
    sim_span: float | None = None  # last - first delta send time
    check_ms: float = 0.0
    errors: list[str] = field(default_factory=list)


class Session:
    """A browser context on one server, with the page's instruments installed."""

    def __init__(self, browser: Any, url: str) -> None:
        self.context = browser.new_context()
        self.page = self.context.new_page()
        self.page.add_init_script(BENCH_JS)
        self.page.goto(url)
        harness.wait_for_app_idle(self.page, timeout=60)

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
            {"markers": plan.markers, "first": plan.first, "tail": plan.tail},
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
              firstSeen: B.firstSeen, tailSeen: B.tailSeen, seen: B.seen,
              wsFirstSeen: B.wsFirstSeen, wsTailSeen: B.wsTailSeen, wsSeen: B.wsSeen,
              wsBytes: B.wsBytes, wsFrames: B.wsFrames, checks: B.checks, checkMs: B.checkMs,
              text: B.answerText() }; }"""
        )

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.context.close()


def wait_done(sessions: list[Session], timeout: float) -> None:
    """Until every page shows its last line and is idle with no more bytes arriving (or not
    showing it 5 s after going idle)."""
    deadline = time.monotonic() + timeout
    idle_since: dict[int, float] = {}
    last_bytes: dict[int, int] = {}
    done: set[int] = set()
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
                continue
            since = idle_since.setdefault(number, now)
            if (state["tailSeen"] is not None and now - since >= 0.5) or now - since >= 5:
                done.add(number)


def stream_for(sim: CozeSimulator, question: str) -> simulator.StreamRecord | None:
    for record in sim.streams:
        if record.question == question:
            return record
    return None


def evaluate(side: str, plan: Plan, sim: CozeSimulator, session: Session) -> Run:
    run = Run(side, plan.question)
    data = session.result()
    record = stream_for(sim, plan.question)
    sent = SENT.get(record.chat_id, []) if record is not None else []
    run.answer_bytes = len(plan.text.encode())
    run.ws_bytes, run.ws_frames = data["wsBytes"], data["wsFrames"]
    run.ws_per_byte = run.ws_bytes / run.answer_bytes
    run.check_ms = data["checkMs"]
    run.markers = len(plan.markers)
    if record is None or len(sent) != plan.n:
        run.errors.append(f"simulator sent {len(sent)} of {plan.n} deltas")
        return run
    if record.answer != plan.text:
        run.errors.append("the simulator's answer differs from the planned one")
    run.sim_span = sent[-1] - sent[0]
    seen = [s for s in data["seen"]]
    lags = [
        s / 1000 - sent[idx] for s, idx in zip(seen, plan.marker_idx, strict=True) if s is not None
    ]
    run.markers_seen = len(lags)
    run.max_held = max(lags) if lags else None
    run.median_held = statistics.median(lags) if lags else None
    ws_lags = [
        s / 1000 - sent[idx]
        for s, idx in zip(data["wsSeen"], plan.marker_idx, strict=True)
        if s is not None
    ]
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
    if data["wsFirstSeen"] is not None:
        run.ws_first_lag = data["wsFirstSeen"] / 1000 - sent[plan.first_idx]
    if data["wsTailSeen"] is not None:
        run.ws_lag_last = data["wsTailSeen"] / 1000 - sent[plan.tail_idx]
    if data["firstSeen"] is not None:
        run.first_lag = data["firstSeen"] / 1000 - sent[plan.first_idx]
    if data["tailSeen"] is not None:
        run.lag_last = data["tailSeen"] / 1000 - sent[plan.tail_idx]
        run.finish_after_end = data["tailSeen"] / 1000 - record.last_delta_sent_at
    text = data["text"]
    run.complete = (
        plan.tail in text and plan.question in text and run.markers_seen == len(plan.markers)
    )
    if not run.complete:
        run.errors.append(
            f"incomplete: tail {'found' if plan.tail in text else 'missing'}, question "
            f"{'found' if plan.question in text else 'missing'}, "
            f"{run.markers_seen}/{len(plan.markers)} lines seen"
        )
    return run


def single_run(
    browser: Any, url: str, side: str, sim: CozeSimulator, plan: Plan, timeout: float
) -> Run:
    session = Session(browser, url)
    try:
        session.warm_up()
        session.arm(plan)
        harness.send_message(session.page, f"/long {plan.n} {plan.question}")
        wait_done([session], timeout)
        return evaluate(side, plan, sim, session)
    finally:
        session.close()


def concurrent_runs(
    browser: Any, url: str, side: str, sim: CozeSimulator, plans: list[Plan], timeout: float
) -> list[Run]:
    sessions = [Session(browser, url) for _ in plans]
    try:
        for session, plan in zip(sessions, plans, strict=True):
            session.warm_up()
            session.arm(plan)
        for session, plan in zip(sessions, plans, strict=True):
            harness.send_message(session.page, f"/long {plan.n} {plan.question}")
        wait_done(sessions, timeout)
        return [
            evaluate(side, plan, sim, session)
            for session, plan in zip(sessions, plans, strict=True)
        ]
    finally:
        for session in sessions:
            session.close()


# -- the table --


def median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def seconds(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.2f} s" if abs(value) >= 0.1 else f"{value * 1000:.0f} ms"


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


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--deltas", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=100.0, help="deltas per second")
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--session-deltas", type=int, default=1000)
    parser.add_argument("--markers", type=int, default=30, help="lines sampled per answer")
    parser.add_argument("--quick", action="store_true", help="1 run, 600 deltas, 4 x 300")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal fails")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.deltas, args.sessions, args.session_deltas = 1, 600, 4, 300

    delta_chars, delta_bytes = pick_delta_chars(args.deltas)
    print(
        f"simulator: {args.rate:g} deltas/s, delta_chars={delta_chars} "
        f"({delta_bytes:.1f} bytes per delta on average in /long {args.deltas}); "
        f"{args.runs} run(s) of {args.deltas} deltas per side, then {args.sessions} sessions x "
        f"{args.session_deltas} deltas per side",
        flush=True,
    )
    stream_seconds = args.deltas / args.rate
    runs: dict[str, list[Run]] = {"baseline": [], "app": []}
    env = {"BENCH_TRACE_DIR": str(TRACE_DIR)}
    conc: dict[str, list[Run]] = {}
    with (
        CozeSimulator(
            pat=PAT,
            bot_id=BOT_ID,
            deltas_per_second=args.rate,
            delta_chars=delta_chars,
            on_delta=record_sent,
        ) as sim,
        harness.StreamlitServer(APP, env=sim.env() | env) as app_server,
        harness.StreamlitServer(BASELINE, env=sim.env() | env) as base_server,
        sync_playwright() as pw,
    ):
        urls = {"app": app_server.url, "baseline": base_server.url}
        browser = harness.launch_browser(pw)
        for side in ("app", "baseline"):  # warm-up: imports, first connections
            plan = make_plan(f"warm up {side}", 30, delta_chars, args.markers)
            single_run(browser, urls[side], side, sim, plan, 60)
        for number in range(args.runs):
            order = ("baseline", "app") if number % 2 == 0 else ("app", "baseline")
            for side in order:
                plan = make_plan(
                    f"bench {side} run {number + 1}", args.deltas, delta_chars, args.markers
                )
                run = single_run(browser, urls[side], side, sim, plan, stream_seconds + 600)
                runs[side].append(run)
                print(
                    f"run {number + 1} {side:8}: last line on screen "
                    f"{seconds(run.lag_last)} (on websocket {seconds(run.ws_lag_last)}) after "
                    f"its delta; ws {times(run.ws_per_byte)} ({run.ws_bytes:,} B in "
                    f"{run.ws_frames:,} messages for {run.answer_bytes:,} B); first delta on "
                    f"screen {seconds(run.first_lag)} (ws {seconds(run.ws_first_lag)}); lines "
                    f"held back on ws max {seconds(run.max_ws_held)} median "
                    f"{seconds(run.median_ws_held)}, to screen max {seconds(run.max_held)} "
                    f"median {seconds(run.median_held)} ({run.markers_seen}/{run.markers} "
                    f"lines); every delta held in the app's generator max "
                    f"{seconds(run.max_app_held)} median {seconds(run.median_app_held)}; "
                    f"sim span {seconds(run.sim_span)}; observer cost "
                    f"{run.check_ms / 1000:.2f} s {'; '.join(run.errors)}",
                    flush=True,
                )
        for side in ("baseline", "app"):
            plans = [
                make_plan(
                    f"session {k + 1} {side} 问题{k + 1}", args.session_deltas, delta_chars, 10
                )
                for k in range(args.sessions)
            ]
            conc[side] = concurrent_runs(
                browser, urls[side], side, sim, plans, args.session_deltas / args.rate + 600
            )
            for run in conc[side]:
                print(
                    f"sessions {side:8} {run.question!r}: complete={run.complete}, last line "
                    f"{seconds(run.finish_after_end)} after its stream's last delta, max held "
                    f"{seconds(run.max_held)} (ws {seconds(run.max_ws_held)}, app generator "
                    f"{seconds(run.max_app_held)}) {'; '.join(run.errors)}",
                    flush=True,
                )
        browser.close()

    base, app = runs["baseline"], runs["app"]
    lag_b, lag_a = median([r.lag_last for r in base]), median([r.lag_last for r in app])
    ws_b, ws_a = median([r.ws_per_byte for r in base]), median([r.ws_per_byte for r in app])
    first_b, first_a = median([r.first_lag for r in base]), median([r.first_lag for r in app])
    held_b, held_a = median([r.max_held for r in base]), median([r.max_held for r in app])
    wsheld_b = median([r.max_ws_held for r in base])
    wsheld_a = median([r.max_ws_held for r in app])
    appheld_b = median([r.max_app_held for r in base])
    appheld_a = median([r.max_app_held for r in app])

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
            verdict(None if lag_a is None else lag_a <= 0.3),
        ),
        (
            "websocket bytes per answer byte",
            times(ws_b),
            times(ws_a),
            less(ws_b, ws_a),
            "<= 20x",
            verdict(None if ws_a is None else ws_a <= 20),
        ),
        (
            "first delta visible after send",
            seconds(first_b),
            seconds(first_a),
            diff_ms(first_b, first_a),
            "<= baseline + 50 ms",
            verdict(None if None in (first_a, first_b) else first_a <= first_b + 0.05),
        ),
        (
            f"max delta held back: sent -> in a websocket message ({args.markers} lines)",
            seconds(wsheld_b),
            seconds(wsheld_a),
            diff_ms(wsheld_b, wsheld_a),
            "<= 100 ms",
            verdict(None if wsheld_a is None else wsheld_a <= 0.1),
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
            f"max delta lag: sent -> on screen ({args.markers} lines)",
            seconds(held_b),
            seconds(held_a),
            less(held_b, held_a),
            "(info)",
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
    header = (
        "figure",
        "baseline (plain st.write_stream)",
        "app",
        "ratio/diff",
        "goal",
        "pass?",
    )
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    print()
    print(f"medians of {args.runs} run(s) per side; app and baseline runs interleaved")
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print(" | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    print()
    print(
        "method: times are wall clock (simulator time.time(), page Date.now()). Each delta's "
        "send time is recorded in the simulator; a MutationObserver in the page records when "
        "each sampled answer line (as rendered) first appears in the assistant bubble. lag = "
        "first seen - send time of the delta that completed the line ('held back': first "
        "websocket message whose UTF-8 text contains the line). 'last delta': the "
        "answer's last rendered line; 'first delta': the first delta's words; 'max held back': "
        "the largest lag over the sampled lines. websocket bytes: payload bytes of every "
        "message the page received from sending to idle, / UTF-8 bytes of the answer. "
        "'held in the app's generator': for every delta, when the page's answer generator "
        "yielded the text that completes it to st.write_stream (bench/_trace.py) - its send "
        "time. The websocket and screen times are taken on the page's main thread, so a long "
        "render task there delays them too."
    )
    failed = any(row[-1] == "FAIL" for row in rows)
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    sys.exit(main())

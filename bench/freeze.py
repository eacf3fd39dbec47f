"""Benchmark: answers that froze a reader's tab, on the guarded page and with the guards off.

Run from the project root (needs Debian's chromium):

    .venv/bin/python bench/freeze.py                      # every /heavy answer, 1 run per side
    .venv/bin/python bench/freeze.py --case stars --case table40 --runs 2

One simulator on 127.0.0.1 answers ``/heavy KIND`` (``coze_stream/simulator/heavy.py``: big
tables, runs of ``*`` and brackets, 10,000 ``$`` formulas, 5,000 fenced ``math`` blocks, a list
and a quote nested 2,000 deep) fast, so the browser is what is measured. Two Streamlit servers:
the page (``streamlit_app.py``) and the same page with its display guards passing everything
through (``bench/unguarded_app.py``). For each answer and side, headless Chromium opens a fresh
session, sends an ordinary message, then the heavy one, then an ordinary one again, and records
the longest main-thread block (PerformanceObserver ``longtask`` entries) while the heavy answer
streams and is drawn, all its blocking added up, and the same for the next message (a rerun
draws the history again, the heavy answer included), with the time from sending to the page
being idle. Sides alternate and swap order per answer, so noise hits both. Goals: heavy answer
at most 1 s, next message at most 0.3 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for entry in (ROOT, ROOT / "tests" / "e2e"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

import harness  # noqa: E402
from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from coze_stream.simulator import CozeSimulator  # noqa: E402
from coze_stream.simulator.heavy import HEAVY, HEAVY_KINDS, heavy_answer  # noqa: E402

PAT = "bench-token-of-the-freeze-run"
BOT_ID = "7379462189365198898"
LONG_TASKS = """
(() => {
  window.__longest = 0;
  window.__blocked = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      window.__longest = Math.max(window.__longest, entry.duration);
      window.__blocked += entry.duration;
    }
  }).observe({ type: "longtask", buffered: true });
})();
"""
GOAL_HEAVY = 1.0
GOAL_NEXT = 0.3


def timed_message(page: Any, text: str, timeout: float) -> float | None:
    """Seconds from sending ``text`` until its answer is in and the page is idle (None: not
    within ``timeout``)."""
    count = "document.querySelectorAll('[data-testid=\"stChatMessage\"]').length"
    before = page.evaluate(count)
    started = time.monotonic()
    harness.send_message(page, text)
    try:
        page.wait_for_function(f"{count} >= {before + 2}", timeout=timeout * 1000)
        harness.wait_for_app_idle(page, timeout=timeout)
    except PlaywrightTimeout:
        return None
    return time.monotonic() - started


def blocking(page: Any) -> tuple[float, float]:
    """The longest main-thread block and all blocking since the last call, in seconds."""
    longest, blocked = page.evaluate(
        "(() => { const r = [window.__longest, window.__blocked];"
        " window.__longest = 0; window.__blocked = 0; return r; })()"
    )
    return longest / 1000, blocked / 1000


def one_run(browser: Any, url: str, kind: str, timeout: float) -> dict[str, float | None]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.add_init_script(LONG_TASKS)
        page.goto(url)
        harness.wait_for_app_idle(page, 60)
        timed_message(page, "a first, ordinary question", 60)
        blocking(page)
        heavy = timed_message(page, f"/heavy {kind}", timeout)
        if heavy is None:
            return {"heavy": None, "longest_heavy": None, "blocked_heavy": None, "next": None}
        longest_heavy, blocked_heavy = blocking(page)
        later = timed_message(page, "a later question", timeout)
        longest_next, blocked_next = blocking(page) if later is not None else (None, None)
        return {
            "heavy": heavy,
            "longest_heavy": longest_heavy,
            "blocked_heavy": blocked_heavy,
            "next": later,
            "longest_next": longest_next,
            "blocked_next": blocked_next,
        }
    finally:
        context.close()


def cell(values: list[float | None], unit: str = "s") -> str:
    known = [v for v in values if v is not None]
    if len(known) < len(values):
        return "timed out"
    return f"{statistics.median(known):,.2f} {unit}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", action="append", choices=HEAVY_KINDS, dest="cases")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--side", action="append", choices=["guarded", "unguarded"])
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per message")
    args = parser.parse_args()
    cases = args.cases or list(HEAVY_KINDS)
    with CozeSimulator(PAT, BOT_ID, deltas_per_second=2000, delta_chars=400) as sim:
        env = {"COZE_PAT": PAT, "COZE_BOT_ID": BOT_ID, "COZE_API_BASE_URL": sim.base_url}
        apps = {"guarded": ROOT / "streamlit_app.py", "unguarded": ROOT / "bench/unguarded_app.py"}
        apps = {side: app for side, app in apps.items() if side in (args.side or apps)}
        servers = {
            side: harness.StreamlitServer(app, env=env, cwd=ROOT).start()
            for side, app in apps.items()
        }
        results: dict[tuple[str, str], list[dict[str, float | None]]] = {}
        try:
            with sync_playwright() as playwright:
                browser = harness.launch_browser(playwright)
                for number, kind in enumerate(cases):
                    for run in range(args.runs):
                        sides = list(apps) if (number + run) % 2 == 0 else list(reversed(apps))
                        for side in sides:
                            result = one_run(browser, servers[side].url, kind, args.timeout)
                            results.setdefault((kind, side), []).append(result)
                            print(f"{kind} run {run + 1} {side}: {result}", flush=True)
                browser.close()
        finally:
            for server in servers.values():
                server.cleanup()
    helps = {heavy.kind: heavy.help for heavy in HEAVY}
    print(f"\nLongest main-thread block (all blocking in brackets); medians of {args.runs} run(s)")
    print(f"goals: the answer <= {GOAL_HEAVY} s, the next message <= {GOAL_NEXT} s\n")
    names = {"guarded": "guarded", "unguarded": "guards off"}
    header = ["answer", "size"]
    header += [f"{names[side]}: {what}" for side in apps for what in ("answer", "next message")]
    rows = [header, ["---"] * len(header)]
    failed = False
    for kind in cases:
        size = len(heavy_answer(kind).encode())
        row = [helps[kind], f"{size / 1000:,.0f} KB"]
        for side in apps:
            runs = results[(kind, side)]
            for key in ("heavy", "next"):
                longest = [r.get(f"longest_{key}") for r in runs]
                blocked = [r.get(f"blocked_{key}") for r in runs]
                row.append(f"{cell(longest)} ({cell(blocked)})")
                if side == "guarded":
                    goal = GOAL_HEAVY if key == "heavy" else GOAL_NEXT
                    known = [v for v in longest if v is not None]
                    failed |= len(known) < len(longest) or statistics.median(known) > goal
        rows.append(row)
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print("\nsend -> idle:")
    for kind in cases:
        figures = [
            f"{names[side]} {what} {cell([r.get(key) for r in results[(kind, side)]])}"
            for side in apps
            for what, key in (("answer", "heavy"), ("next", "next"))
        ]
        print(f"  {kind}: " + ", ".join(figures))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

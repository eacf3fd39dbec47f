"""Benchmark: a formula-heavy answer, and the messages after it, with and without the cap.

Run from the project root (needs Debian's chromium):

    .venv/bin/python bench/latex.py             # /latex 5000 (about 180 KB), 2 runs per side
    .venv/bin/python bench/latex.py --formulas 2000 --runs 1

Two Streamlit servers of the same page talk to one simulator on 127.0.0.1 (answering fast, so
the browser is what is measured): one with ``COZE_MAX_FORMULAS`` so high that every formula is
typeset (as before the cap), one with the default cap. Headless Chromium, a fresh session per
run, sends ``/latex N``, then three ordinary messages. For each side the table gives the time
from sending to the page being idle again (a rerun of the page re-renders the whole history,
so a heavy bubble makes every later message dearer), the longest the tab's main thread was
blocked (long tasks), and how many formulas were typeset. Medians over the runs.
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
from playwright.sync_api import sync_playwright  # noqa: E402

from coze_stream.simulator import CozeSimulator  # noqa: E402

PAT = "bench-token-of-the-latex-run"
BOT_ID = "7379462189365198898"
LONG_TASKS = """
(() => {
  window.__longest = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      window.__longest = Math.max(window.__longest, entry.duration);
    }
  }).observe({ type: "longtask", buffered: true });
})();
"""


def timed_message(page: Any, text: str, timeout: float) -> float:
    """Seconds from sending ``text`` until its answer is in and the page is idle."""
    count = "document.querySelectorAll('[data-testid=\"stChatMessage\"]').length"
    before = page.evaluate(count)
    started = time.monotonic()
    harness.send_message(page, text)
    page.wait_for_function(f"{count} >= {before + 2}", timeout=timeout * 1000)
    harness.wait_for_app_idle(page, timeout=timeout)
    return time.monotonic() - started


def one_run(browser: Any, url: str, formulas: int) -> dict[str, float]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.add_init_script(LONG_TASKS)
    page.goto(url)
    harness.wait_for_app_idle(page, 60)
    before = timed_message(page, "a first, ordinary question", 60)
    heavy = timed_message(page, f"/latex {formulas} heavy", 600)
    typeset = page.locator(".katex").count()
    longest_heavy = page.evaluate("window.__longest")
    page.evaluate("window.__longest = 0")
    later = [timed_message(page, f"a later question {n}", 600) for n in range(3)]
    longest_later = page.evaluate("window.__longest")
    context.close()
    return {
        "before": before,
        "heavy": heavy,
        "later": statistics.median(later),
        "longest_heavy": longest_heavy / 1000,
        "longest_later": longest_later / 1000,
        "typeset": typeset,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--formulas", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    with CozeSimulator(PAT, BOT_ID, deltas_per_second=2000, delta_chars=400) as sim:
        env = {"COZE_PAT": PAT, "COZE_BOT_ID": BOT_ID, "COZE_API_BASE_URL": sim.base_url}
        sides = {
            "every formula typeset": {**env, "COZE_MAX_FORMULAS": "1000000"},
            "cap (default, 200)": env,
        }
        servers = {
            name: harness.StreamlitServer(ROOT / "streamlit_app.py", env=e).start()
            for name, e in sides.items()
        }
        results: dict[str, list[dict[str, float]]] = {name: [] for name in sides}
        try:
            with sync_playwright() as playwright:
                browser = harness.launch_browser(playwright)
                for run in range(args.runs):
                    order = list(sides) if run % 2 == 0 else list(reversed(sides))
                    for name in order:
                        result = one_run(browser, servers[name].url, args.formulas)
                        results[name].append(result)
                        print(f"run {run + 1} {name}: {result}", flush=True)
                browser.close()
        finally:
            for server in servers.values():
                server.cleanup()
        size = max((len(s.answer.encode()) for s in sim.streams), default=0)
    print(f"\n/latex {args.formulas}: {size:,} bytes; medians of {args.runs} run(s) per side")
    rows = [
        ("ordinary message before it: send -> idle", "before", "s"),
        ("the formula answer: send -> idle", "heavy", "s"),
        ("each later message: send -> idle", "later", "s"),
        ("longest main-thread block, formula answer", "longest_heavy", "s"),
        ("longest main-thread block, later messages", "longest_later", "s"),
        ("formulas typeset", "typeset", ""),
    ]
    names = list(sides)
    print(f"{'figure':<46} | {names[0]:>22} | {names[1]:>22}")
    print(f"{'-' * 46} | {'-' * 22} | {'-' * 22}")
    for label, key, unit in rows:
        cells = []
        for name in names:
            value = statistics.median(r[key] for r in results[name])
            cells.append(f"{value:,.2f} {unit}".strip() if unit else f"{value:,.0f}")
        print(f"{label:<46} | {cells[0]:>22} | {cells[1]:>22}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark: what the browser's time for a formula-heavy answer is made of.

Run from the project root (needs Debian's chromium):

    .venv/bin/python bench/markdown_parts.py --runs 3

One bare Streamlit page (``bench/markdown_parts_app.py``) draws, with one ``st.markdown``, a
variant of ``/heavy formulas`` (10,000 ``$`` formulas, about 426 KB) named in its chat box:
the text as the page's display guard hands it on with 200, 100 or 0 formulas typeset, the
same with the escaped rest in other forms, and parts of it. Headless Chromium sends the
variants in turn (order rotated per run) in one fresh page each, and records the longest
main-thread block (PerformanceObserver ``longtask``) from sending to the page being idle.
"""

from __future__ import annotations

import argparse
import functools
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for entry in (ROOT, ROOT / "tests" / "e2e"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

from coze_answer import Markdown, guarded, shown  # noqa: E402
from coze_stream.simulator.heavy import formulas  # noqa: E402

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


def _guarded(cap: int) -> str:
    """As the page showed it before a long rest past the cap was shown as source: every "$"
    past the cap escaped."""
    return guarded(formulas(), max_formulas=cap)


def _split_at_cap(cap: int) -> tuple[str, str]:
    """The guarded text cut where the first escaped ``$`` is."""
    text = _guarded(cap)
    cut = text.find("\\$")
    return text[:cut], text[cut:]


@functools.cache
def variant_text(name: str) -> str:
    if name == "tiny":  # what a message costs whatever it holds
        return "A short answer."
    if name == "page":  # as the page now shows it: the long rest past the cap as source
        [element] = shown(guarded(formulas())).elements
        assert isinstance(element, Markdown)
        return element.text
    if name == "cap200":
        return _guarded(200)
    if name == "cap100":
        return _guarded(100)
    if name == "cap0":
        return _guarded(0)
    if name == "head200":  # only the part with the 200 typeset formulas
        return _split_at_cap(200)[0]
    if name == "tail200":  # only the escaped rest
        return _split_at_cap(200)[1]
    if name == "nodollar":  # the text with no $ at all
        return formulas().replace("$", "")
    if name == "prose":  # as long, words only
        words = ["lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit"]
        text, size, limit = [], 0, len(formulas())
        for n in range(60_000):
            text.append(words[n % len(words)] + ("\n\n" if n % 90 == 89 else " "))
            size += len(text[-1])
            if size > limit:
                break
        return "".join(text)
    if name == "onedollar":  # no $ but one formula first
        return "$x$ and\n\n" + formulas().replace("$", "")
    if name == "onesign":  # no $ but one escaped one
        return "\\$ and\n\n" + formulas().replace("$", "")
    if name == "fullwidth":  # the escaped rest's "\\$" as a full-width dollar sign
        head, tail = _split_at_cap(200)
        return head + tail.replace("\\$", "\uff04")
    if name == "codespans":  # each escaped formula of the rest in a code span
        head, tail = _split_at_cap(200)
        formula = re.compile(r"\\\$\\\$.*?\\\$\\\$|\\\$.*?\\\$", re.S)
        return head + formula.sub(lambda m: "`" + m[0].replace("\\$", "$") + "`", tail)
    if name == "restcode":  # the escaped rest in one fenced code block
        head, tail = _split_at_cap(200)
        return head + "\n\n```text\n" + tail.replace("\\$", "$") + "\n```\n"
    raise ValueError(name)


VARIANTS = (
    "tiny",
    "page",
    "cap200",
    "cap100",
    "cap0",
    "head200",
    "tail200",
    "nodollar",
    "prose",
    "restcode",
    "fullwidth",
    "codespans",
    "onedollar",
    "onesign",
)


def print_profile(name: str, profile: dict[str, Any]) -> None:
    """Self time by function (top 15) and the share of busy time in KaTeX and in remark."""
    nodes = {node["id"]: node for node in profile["nodes"]}
    deltas = profile["timeDeltas"]
    self_ms: dict[str, float] = {}
    for sample, delta in zip(profile["samples"], deltas, strict=True):
        frame = nodes[sample]["callFrame"]
        where = frame["url"].rsplit("/", 1)[-1]
        key = f"{frame['functionName'] or '(anonymous)'} {where}:{frame['lineNumber']}"
        self_ms[key] = self_ms.get(key, 0.0) + delta / 1000
    idle = sum(v for k, v in self_ms.items() if k.startswith(("(idle)", "(program)")))
    busy = sum(self_ms.values()) - idle
    print(f"  profile {name}: busy {busy / 1000:.2f} s")
    by_file: dict[str, float] = {}
    for key, ms in self_ms.items():
        where = key.split(" ", 1)[1].split(":")[0] or key.split(" ")[0]
        by_file[where] = by_file.get(where, 0.0) + ms
    for where, ms in sorted(by_file.items(), key=lambda item: -item[1])[:8]:
        print(f"    {ms:8.0f} ms  [{where}]")
    for key, ms in sorted(self_ms.items(), key=lambda item: -item[1])[:15]:
        print(f"    {ms:8.0f} ms  {key}")


def main() -> int:
    import harness
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--variant", action="append", choices=VARIANTS, dest="variants")
    parser.add_argument("--profile", action="store_true", help="print where the time went")
    args = parser.parse_args()
    variants = list(args.variants or VARIANTS)
    for name in variants:
        print(f"{name}: {len(variant_text(name).encode()) / 1000:,.0f} KB", flush=True)
    longest: dict[str, list[float]] = {}
    app = ROOT / "bench/markdown_parts_app.py"
    with harness.StreamlitServer(app, cwd=ROOT) as server, sync_playwright() as playwright:
        browser = harness.launch_browser(playwright)
        for run in range(args.runs):
            order = variants[run % len(variants) :] + variants[: run % len(variants)]
            for name in order:
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                page = context.new_page()
                page.add_init_script(LONG_TASKS)
                page.goto(server.url)
                harness.wait_for_app_idle(page, 60)
                page.evaluate("window.__longest = 0; window.__blocked = 0")
                if args.profile:
                    cdp = context.new_cdp_session(page)
                    cdp.send("Profiler.enable")
                    cdp.send("Profiler.setSamplingInterval", {"interval": 500})
                    cdp.send("Profiler.start")
                started = time.monotonic()
                harness.send_message(page, name)
                # Drawn: the bubble holds most of the variant's text (polled between tasks).
                page.wait_for_function(
                    "document.querySelector('[data-testid=\"stChatMessage\"]')"
                    f"?.textContent.length >= {len(variant_text(name)) // 3}",
                    timeout=600_000,
                )
                harness.wait_for_app_idle(page, 600)
                time.sleep(0.5)  # a long task is reported once it is over
                took = time.monotonic() - started
                block = page.evaluate("window.__longest") / 1000
                longest.setdefault(name, []).append(block)
                if args.profile:
                    profile = cdp.send("Profiler.stop")["profile"]
                    print_profile(name, profile)
                print(
                    f"run {run + 1} {name}: longest {block:.2f} s, idle {took:.2f} s",
                    flush=True,
                )
                context.close()
        browser.close()
    print("\nlongest main-thread block, medians:")
    for name in variants:
        print(f"  {name}: {statistics.median(longest[name]):.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

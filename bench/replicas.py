"""Benchmark: one replica against two behind HAProxy, limits shared in Redis, many visitors at once.

Run from the project root:

    .venv/bin/python bench/replicas.py                     # 12 visitors x 3 answers, cap 8
    .venv/bin/python bench/replicas.py --visitors 16 --answers 4 --cap 10 --runs 2

Each side is ``scripts/replicas.sh`` (1 replica, then 2; the order swaps every run), with its own
redis-server and HAProxy, all pointed at one Coze simulator in this process answering
``/long N`` at ``--rate`` deltas a second. Headless Chromium opens ``--visitors`` browser contexts
through HAProxy, each a visitor of its own (its own X-Forwarded-For address, with
``COZE_TRUSTED_PROXIES=2``); all start together and send ``--answers`` messages one after the
other. ``COZE_MAX_CHATS`` is ``--cap``, below the number of visitors, so the cap is tested too: a
message held back (busy) is sent again half a second later, until it is answered.

Per side:

- answers per second: answers over the wall time from the first send to the last answer's end;
- time to first words: Enter (of the send that was admitted) to the answer's heading, which
  quotes the question, visible in the page; median and 95th percentile;
- server CPU per answer: the replicas' CPU time (user + system, all threads, ``/proc``) over the
  run, per answer; HAProxy's and Redis's, apart;
- limits held: the most leases in Redis at once (sampled every 20 ms) and the most chats
  streaming at once at the simulator (request to last delta), never above ``--cap``, and how
  many sends the cap held back;
- no cross-talk: every answer quotes its own question and no page shows another visitor's.

The browser runs on the same machine as the replicas, so it takes its share of the cores.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "e2e")]

import harness  # noqa: E402
import redis  # noqa: E402
from playwright.async_api import TimeoutError as PlaywrightTimeout  # noqa: E402
from playwright.async_api import async_playwright  # noqa: E402

from coze_stream.simulator import CozeSimulator  # noqa: E402

TOKEN = "pat_bench" + "x" * 40
BOT_ID = "7379462189365198898"
APP = '[data-testid="stApp"]'
BUBBLE = '[data-testid="stChatMessage"]'
TEXTAREA = '[data-testid="stChatInputTextArea"]'
WARNING = '[data-testid="stAlertContentWarning"]'
# Counts the script runs that ended (the app's state leaving "running"), every one of them.
RUNS_JS = """
(() => {
  window.__runsEnded = 0;
  const hook = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app) return setTimeout(hook, 10);
    new MutationObserver((records) => {
      for (const r of records) if (r.oldValue === "running") window.__runsEnded++;
    }).observe(app, {
      attributes: true, attributeOldValue: true, attributeFilter: ["data-test-script-state"],
    });
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", hook);
  else hook();
})();
"""


def process_cpu(pid: int) -> float:
    """A process's CPU seconds so far (user + system, all threads)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pids_with(fragment: str) -> list[int]:
    """Processes whose command line contains ``fragment``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                if fragment in command:
                    found.append(int(entry.name))
    return found


@dataclass
class Side:
    replicas: int
    sends: int = 0
    held_back: int = 0
    first_words: list[float] = field(default_factory=list)
    answers: int = 0
    wall: float = 0.0
    cpu_replicas: float = 0.0
    cpu_proxy: float = 0.0
    cpu_redis: float = 0.0
    peak_streaming: int = 0
    peak_leases: int = 0
    stuck: int = 0
    cross_talk: int = 0
    wrong: int = 0


class Deployment:
    """scripts/replicas.sh with ``replicas`` replicas, on free ports."""

    def __init__(self, replicas: int, sim: CozeSimulator, cap: int) -> None:
        self.run = Path(tempfile.mkdtemp(prefix="bench-replicas-"))
        ports = [harness.free_port() for _ in range(2 + replicas)]
        self.proxy, self.redis_port, self.replica_ports = ports[0], ports[1], ports[2:]
        self.url = f"http://127.0.0.1:{self.proxy}/"
        env = {k: v for k, v in os.environ.items() if not k.startswith("COZE_")}
        env |= {
            "COZE_PAT": TOKEN,
            "COZE_BOT_ID": BOT_ID,
            "COZE_API_BASE_URL": sim.base_url,
            "COZE_DEMO": "off",
            "COZE_MAX_CHATS": str(cap),
            "COZE_MESSAGES_PER_MINUTE": "100",
            "COZE_TRUSTED_PROXIES": "2",
            "COZE_PYTHON": sys.executable,
            "PORT": str(self.proxy),
            "REDIS_PORT": str(self.redis_port),
            "REPLICA_PORTS": " ".join(map(str, self.replica_ports)),
            "RUN_DIR": str(self.run),
        }
        self.output = (self.run / "script.out").open("wb")
        self.script = subprocess.Popen(
            ["bash", str(ROOT / "scripts" / "replicas.sh")],
            env=env,
            cwd=ROOT,
            stdout=self.output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 180
        while True:
            if self.script.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((self.run / "script.out").read_text())
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(self.url + "_stcore/health", timeout=2) as response,
            ):
                if response.read().strip() == b"ok":
                    break
            time.sleep(0.2)
        self.replica_pids = [p for port in self.replica_ports for p in pids_with(f"port {port}")]
        self.proxy_pids = pids_with(f"{self.run}/haproxy.cfg")
        self.redis_pids = pids_with(f"127.0.0.1:{self.redis_port}")

    def cpu(self) -> tuple[float, float, float]:
        return tuple(  # type: ignore[return-value]
            sum(process_cpu(pid) for pid in pids)
            for pids in (self.replica_pids, self.proxy_pids, self.redis_pids)
        )

    def stop(self) -> None:
        self.script.send_signal(signal.SIGTERM)
        self.script.wait(timeout=60)
        self.output.close()


async def visitor(
    browser: object,
    url: str,
    number: int,
    side: Side,
    args: argparse.Namespace,
    start: asyncio.Event,
    ready: list[int],
) -> list[str]:
    """One visitor's messages, each sent until admitted and waited for to its end; returns
    the questions asked."""
    context = await browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": 1280, "height": 900},
        locale="en-US",
        extra_http_headers={"X-Forwarded-For": f"10.1.{number // 250}.{number % 250 + 1}"},
    )
    page = await context.new_page()
    page.set_default_timeout(120_000)
    await page.add_init_script(harness._WATCHER_JS)
    await page.add_init_script(RUNS_JS)
    await page.goto(url)
    await page.wait_for_selector(f'{APP}[data-test-script-state="notRunning"]', state="attached")
    ready.append(number)
    await start.wait()
    asked = []
    answers, deltas = args.answers, args.deltas
    for k in range(answers):
        question = f"visitor{number}q{k}"
        heading = f"关于「{question}」"
        asked.append(question)
        await page.evaluate(
            "(t) => { window.__textWatch[t] = null; window.__textWatchCheck(); }", heading
        )
        box = page.locator(TEXTAREA)
        await box.fill(f"/long {deltas} {question}")
        before = await page.locator(BUBBLE).count()
        while True:
            sent_at = time.time()
            side.sends += 1
            runs = await page.evaluate("() => window.__runsEnded")
            pressed = await page.evaluate("() => Date.now()")
            await box.press("Enter")
            # Admitted: two new bubbles. Held back: the run the message started ended without
            # them, or (a quick run may never show as running) the box, which Enter empties, has
            # the message again a second later with the app idle.
            try:
                outcome = await page.wait_for_function(
                    """([before, runs, pressed, app, bubble, box]) => {
                      if (document.querySelectorAll(bubble).length > before) return "admitted";
                      if (window.__runsEnded > runs) return "held";
                      const idle =
                        document.querySelector(app)?.dataset.testScriptState === "notRunning";
                      const typed = document.querySelector(box)?.value;
                      return idle && typed && Date.now() - pressed > 1000 && "held";
                    }""",
                    arg=[before, runs, pressed, APP, BUBBLE, TEXTAREA],
                    polling=100,
                    timeout=30_000,
                )
            except PlaywrightTimeout:
                # Neither answered nor held back in 30 s: say what the page shows, send again.
                state = await page.evaluate(
                    """([app, bubble, box]) => ({
                      bubbles: document.querySelectorAll(bubble).length,
                      box: document.querySelector(box)?.value,
                      script: document.querySelector(app)?.dataset.testScriptState,
                      connection: document.querySelector(app)?.dataset.testConnectionState,
                    })""",
                    [APP, BUBBLE, TEXTAREA],
                )
                print(f"visitor {number}: a send went unanswered: {state}", flush=True)
                side.stuck += 1
                before = await page.locator(BUBBLE).count()
                await box.fill(f"/long {deltas} {question}")
                continue
            if await outcome.json_value() == "admitted":
                # The cap may still refuse it, taken by another visitor since the box's check:
                # the bubble then says so, and the message is sent again.
                started = await page.wait_for_function(
                    """([heading, app, bubble, warning]) => {
                      if (window.__textWatch[heading] !== null) return "answer";
                      const idle =
                        document.querySelector(app)?.dataset.testScriptState === "notRunning";
                      const last = [...document.querySelectorAll(bubble)].pop();
                      return idle && last && last.querySelector(warning) && "refused";
                    }""",
                    arg=[heading, APP, BUBBLE, WARNING],
                    polling="raf",
                )
                if await started.json_value() == "answer":
                    break
                before = await page.locator(BUBBLE).count()
                await box.fill(f"/long {deltas} {question}")
            side.held_back += 1
            await asyncio.sleep(0.5)
        seen = await page.evaluate("(t) => window.__textWatch[t]", heading)
        side.first_words.append(seen / 1000 - sent_at)
        await page.wait_for_selector(f'{APP}[data-test-script-state="running"]', state="detached")
        await page.wait_for_selector(
            f'{APP}[data-test-script-state="notRunning"]', state="attached"
        )
        bubble = page.locator(BUBBLE).last
        text = await bubble.inner_text()
        if f'You asked: "{question}"' not in text:
            side.wrong += 1
        side.answers += 1
    main = await page.locator('[data-testid="stMainBlockContainer"]').inner_text()
    await context.close()
    return [main]


async def sample_leases(port: int, side: Side) -> None:
    """The most leases held in Redis at once, looked at every 20 ms."""
    client = redis.Redis(port=port, socket_timeout=1)
    while True:
        with contextlib.suppress(redis.RedisError):
            side.peak_leases = max(side.peak_leases, int(client.zcard("coze-chat:chats")))
        await asyncio.sleep(0.02)


async def run_side(
    replicas: int, sim: CozeSimulator, args: argparse.Namespace, playwright: object
) -> Side:
    side = Side(replicas)
    deployment = Deployment(replicas, sim, args.cap)
    try:
        browser = await playwright.chromium.launch(  # type: ignore[attr-defined]
            executable_path=harness.chromium_path(), headless=True, args=harness.CHROMIUM_ARGS
        )
        start = asyncio.Event()
        ready: list[int] = []
        tasks = [
            asyncio.create_task(visitor(browser, deployment.url, n, side, args, start, ready))
            for n in range(args.visitors)
        ]
        while len(ready) < args.visitors:  # every page open and idle
            await asyncio.sleep(0.1)
        first_stream = len(sim.streams)
        cpu_before = deployment.cpu()
        began = time.time()
        start.set()
        sampling = asyncio.create_task(sample_leases(deployment.redis_port, side))
        pages = await asyncio.gather(*tasks)
        sampling.cancel()
        side.wall = time.time() - began
        cpu_after = deployment.cpu()
        side.cpu_replicas, side.cpu_proxy, side.cpu_redis = (
            after - before for after, before in zip(cpu_after, cpu_before, strict=True)
        )
        await browser.close()
        records = sim.streams[first_stream:]
        outcomes = collections.Counter(r.outcome for r in records)
        print(f"{replicas} replica(s): {len(records)} chats at Coze: {dict(outcomes)}", flush=True)
        for a in records:
            overlapping = [
                b
                for b in records
                if b.started_at <= a.started_at <= (b.last_delta_sent_at or time.time())
            ]
            if len(overlapping) > args.cap:
                print(
                    "  over the cap at",
                    a.started_at,
                    [(b.started_at, b.last_delta_sent_at, b.outcome) for b in overlapping],
                    flush=True,
                )
                break
        # From the request's arrival to the last delta sent: inside the chat's hold on its
        # place (taken before the request, given back after the page read the end). The
        # simulator's own end of stream comes after the page may have moved on, so it is not
        # used.
        events = sorted(
            [(r.started_at, 1) for r in records]
            + [(r.last_delta_sent_at or r.ended_at or time.time(), -1) for r in records]
        )
        streaming = 0
        for _, step in events:
            streaming += step
            side.peak_streaming = max(side.peak_streaming, streaming)
        for number, (main,) in enumerate(pages):
            others = [f"visitor{n}q" for n in range(args.visitors) if n != number]
            side.cross_talk += sum(1 for marker in others if marker + "0" in main)
    finally:
        deployment.stop()
    return side


def table(sides: list[Side], args: argparse.Namespace) -> str:
    rows = [
        "| figure | "
        + " | ".join(f"{s.replicas} replica{'s' * (s.replicas > 1)}" for s in sides)
        + " |",
        "|---|" + "---|" * len(sides),
    ]

    def row(name: str, values: list[str]) -> None:
        rows.append(f"| {name} | " + " | ".join(values) + " |")

    def p95(values: list[float]) -> float:
        return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]

    row("answers", [f"{s.answers} of {args.visitors * args.answers}" for s in sides])
    row("answers per second", [f"{s.answers / s.wall:.2f}" for s in sides])
    row("time to first words, median", [f"{statistics.median(s.first_words):.2f} s" for s in sides])
    row("time to first words, p95", [f"{p95(s.first_words):.2f} s" for s in sides])
    row("replicas' CPU per answer", [f"{s.cpu_replicas / s.answers:.2f} s" for s in sides])
    row(
        "HAProxy + Redis CPU per answer",
        [f"{(s.cpu_proxy + s.cpu_redis) / s.answers * 1000:.1f} ms" for s in sides],
    )
    row(f"most leases held at once (cap {args.cap})", [str(s.peak_leases) for s in sides])
    row("most chats streaming at once at Coze", [str(s.peak_streaming) for s in sides])
    row("sends held back by the cap", [f"{s.held_back} of {s.sends}" for s in sides])
    row("sends unanswered for 30 s, sent again", [str(s.stuck) for s in sides])
    row(
        "answers not quoting their question / cross-talk",
        [f"{s.wrong} / {s.cross_talk}" for s in sides],
    )
    return "\n".join(rows)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--visitors", type=int, default=12)
    parser.add_argument("--answers", type=int, default=3, help="messages per visitor")
    parser.add_argument("--deltas", type=int, default=300, help="deltas per answer")
    parser.add_argument("--rate", type=float, default=100, help="deltas a second")
    parser.add_argument("--cap", type=int, default=8, help="COZE_MAX_CHATS")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    results: dict[int, list[Side]] = {1: [], 2: []}
    with CozeSimulator(pat=TOKEN, bot_id=BOT_ID, deltas_per_second=args.rate) as sim:
        async with async_playwright() as playwright:
            for run in range(args.runs):
                for replicas in (1, 2) if run % 2 == 0 else (2, 1):
                    side = await run_side(replicas, sim, args, playwright)
                    results[replicas].append(side)
                    print(table([side], args), flush=True)
    print(
        f"\n{args.visitors} visitors x {args.answers} answers of {args.deltas} deltas at "
        f"{args.rate:g}/s, COZE_MAX_CHATS={args.cap}, {os.cpu_count()} cores; run 1:\n"
    )
    print(table([results[1][0], results[2][0]], args))


if __name__ == "__main__":
    asyncio.run(main())

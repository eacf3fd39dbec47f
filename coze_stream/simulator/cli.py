"""``python -m coze_stream.simulator``: run the simulator from the command line until Ctrl+C."""

from __future__ import annotations

import argparse
import sys
import time

from .server import DEMO_BOT_ID, DEMO_PAT, CozeSimulator


def main(argv: list[str] | None = None) -> int:
    """Run the simulator from the command line until Ctrl+C."""
    parser = argparse.ArgumentParser(
        prog="python -m coze_stream.simulator",
        description="A local Coze v3 chat simulator. Send /help as a message to list the commands.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--pat", default=DEMO_PAT, help="the token clients must send")
    parser.add_argument("--bot-id", default=DEMO_BOT_ID)
    parser.add_argument("--deltas-per-second", type=float, default=30.0, help="0: no pacing")
    parser.add_argument("--delta-chars", type=int, default=4)
    parser.add_argument("--verbose", action="store_true", help="log method and path of requests")
    args = parser.parse_args(argv)
    sim = CozeSimulator(
        args.pat,
        args.bot_id,
        host=args.host,
        port=args.port,
        deltas_per_second=args.deltas_per_second,
        delta_chars=args.delta_chars,
        verbose=args.verbose,
    )
    try:
        sim.start()
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    try:  # from the first line printed on, Ctrl+C stops the simulator cleanly
        print(f"Coze simulator listening on {sim.base_url}")
        for key, value in (
            ("COZE_API_BASE_URL", sim.base_url),
            ("COZE_PAT", sim.pat),
            ("COZE_BOT_ID", sim.bot_id),
        ):
            print(f"export {key}={value}")
        print('Send "/help" as a message to list the commands. Ctrl+C to stop.', flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("\nstopping", file=sys.stderr)
    finally:
        sim.stop()
    return 0

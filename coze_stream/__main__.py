"""Command line: ``python -m coze_stream "你好"`` streams a Coze bot's answer to stdout.

The answer is assembled by :class:`coze_answer.AnswerStream`, the same rule the page uses. This
is an entry point on top of both layers, never imported by the library itself.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import sys
from collections.abc import Iterator, Sequence

from coze_answer import AnswerStream, AppendText, Change, Replace

from ._client import stream_chat
from ._config import CozeConfig, load_config
from ._exceptions import CozeConfigError, CozeError, redact
from ._models import ChatEvent

EXIT_COZE_ERROR = 1
EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m coze_stream",
        description="Send one message to a Coze bot and stream its answer. Configuration comes "
        "from COZE_PAT, COZE_BOT_ID and COZE_API_BASE_URL (default https://api.coze.cn).",
    )
    parser.add_argument("message", help="the message to send")
    parser.add_argument(
        "--events", action="store_true", help="print every event as one JSON line instead"
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="answer from the built-in Coze simulator (no account needed); send /help to list "
        "its commands",
    )
    return parser


@contextlib.contextmanager
def _demo_config() -> Iterator[CozeConfig]:
    from .simulator import DEMO_BOT_ID, DEMO_PAT, CozeSimulator

    with CozeSimulator(pat=DEMO_PAT, bot_id=DEMO_BOT_ID) as simulator:
        yield CozeConfig(pat=DEMO_PAT, bot_id=DEMO_BOT_ID, base_url=simulator.base_url)


def _print_events(events: Iterator[ChatEvent]) -> None:
    for event in events:
        line = {"event": type(event).__name__, **dataclasses.asdict(event)}
        print(json.dumps(line, ensure_ascii=False), flush=True)


def _print_answer(events: Iterator[ChatEvent]) -> None:
    # A terminal fetches no images: Markdown images are printed as the bot wrote them.
    answer = AnswerStream(frame_seconds=0, split_blocks=False, image_hosts=None)
    for event in events:
        _write(answer.update((event,)))
    _write(answer.finish())
    sys.stdout.write("\n")
    sys.stdout.flush()
    if answer.awaiting_reply:  # a note about the answer, not part of it: stderr
        print("(The bot asked a question and is waiting for your reply.)", file=sys.stderr)
    elif answer.has_no_text:
        print("(The bot finished without any text to show.)", file=sys.stderr)


def _write(changes: list[Change]) -> None:
    for change in changes:
        if isinstance(change, AppendText):
            sys.stdout.write(change.text)
            sys.stdout.flush()
        elif isinstance(change, Replace):
            # Coze's completed text differs from what was streamed; a terminal cannot redraw.
            sys.stdout.write(f"\n\n[final text from Coze]\n{change.text}")


def _silence_stdout() -> None:
    """Point stdout at nothing, so Python's own flush at exit does not hit a closed pipe."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not args.message.strip():
        print(
            "The message is empty: give the text to send, e.g. python -m coze_stream 你好",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        with contextlib.ExitStack() as stack:
            config = stack.enter_context(_demo_config()) if args.demo else load_config()
            events = stream_chat(config, args.message)
            stack.callback(events.close)
            if args.events:
                _print_events(events)
            else:
                _print_answer(events)
    except CozeConfigError as error:
        print(error, file=sys.stderr)
        print("Or try the built-in simulator: python -m coze_stream --demo 你好", file=sys.stderr)
        return EXIT_USAGE
    except CozeError as error:
        try:
            sys.stdout.write("\n")  # end the partial answer's line
            sys.stdout.flush()
        except BrokenPipeError:
            _silence_stdout()
        print(error, file=sys.stderr)
        return EXIT_COZE_ERROR
    except KeyboardInterrupt:
        print("\nStopped.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _silence_stdout()  # the reader went away (``| head``): not an error
        return 0
    except Exception as error:  # a bug here, not a Coze failure: one line, not a traceback
        detail = redact(f"{type(error).__name__}: {error}", os.environ.get("COZE_PAT", "").strip())
        print(f"Something went wrong in coze_stream ({detail}).", file=sys.stderr)
        return EXIT_COZE_ERROR
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

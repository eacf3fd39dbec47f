"""Command line: ``python -m coze_stream "你好"`` streams a Coze bot's answer to stdout.

The answer is assembled by :class:`coze_answer.AnswerStream`, the same rule the page uses. This
is an entry point on top of both layers, never imported by the library itself.

stdout carries the answer (and, with ``--follow-ups``, the suggested questions after it); stderr
carries everything about it: notes, errors, and with ``--reasoning`` the bot's reasoning, dimmed
when stderr is a terminal (unless ``NO_COLOR`` is set). ``--events`` prints every event instead,
reasoning and follow-ups included. ``--file PATH`` (repeatable) uploads each file first, a line on
stderr for each, and asks about them (the message may then be left out).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from coze_answer import AnswerStream, AppendReasoning, AppendText, Change, Replace, words

from ._client import stream_chat
from ._config import CozeConfig, load_config
from ._exceptions import CozeConfigError, CozeError, redact
from ._files import MAX_UPLOAD_BYTES, Attachment, attachment_kind, upload_file
from ._models import ChatEvent

EXIT_COZE_ERROR = 1
EXIT_USAGE = 2
# The command line is English: the page's sentence for a question of files alone.
FILES_ONLY_MESSAGE = words("en").files_only_question
"""What is asked with files when no message is given: Coze refuses files without a text."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m coze_stream",
        description="Send one message to a Coze bot and stream its answer. Configuration comes "
        "from COZE_PAT, COZE_BOT_ID and COZE_API_BASE_URL (default https://api.coze.cn).",
    )
    parser.add_argument(
        "message",
        nargs="?",
        default="",
        help=f"the message to send (with --file, it defaults to {FILES_ONLY_MESSAGE!r})",
    )
    parser.add_argument(
        "--file",
        action="append",
        default=[],
        metavar="PATH",
        help="upload this file to Coze and ask about it (repeat for several files)",
    )
    parser.add_argument(
        "--events",
        action="store_true",
        help="print every event as one JSON line instead (reasoning and follow-ups included)",
    )
    parser.add_argument(
        "--reasoning",
        action="store_true",
        help="show the bot's reasoning (deep-thinking models) on stderr as it arrives, dimmed "
        "on a terminal",
    )
    parser.add_argument(
        "--follow-ups",
        action="store_true",
        help="print the bot's suggested follow-up questions after the answer, one per line",
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


class _Reasoning:
    """The bot's reasoning on stderr (or nowhere), its line ended before anything else is said."""

    _DIM, _RESET = "\x1b[2m", "\x1b[0m"

    def __init__(self, shown: bool) -> None:
        self._shown = shown
        self._dim = shown and sys.stderr.isatty() and not os.environ.get("NO_COLOR")
        self._line_open = False

    def write(self, text: str) -> None:
        if not self._shown or not text:
            return
        # Dimmed piece by piece: an interrupted answer leaves the terminal as it was.
        sys.stderr.write(f"{self._DIM}{text}{self._RESET}" if self._dim else text)
        sys.stderr.flush()
        self._line_open = not text.endswith("\n")

    def end_line(self) -> None:
        if self._line_open:
            sys.stderr.write("\n")
            sys.stderr.flush()
            self._line_open = False


def _print_answer(
    events: Iterator[ChatEvent], *, reasoning: bool = False, follow_ups: bool = False
) -> None:
    # A terminal fetches no images: Markdown images are printed as the bot wrote them.
    answer = AnswerStream(frame_seconds=0, split_blocks=False, image_hosts=None)
    thoughts = _Reasoning(reasoning)
    try:
        for event in events:
            _write(answer.update((event,)), thoughts)
        _write(answer.finish(), thoughts)
    finally:
        thoughts.end_line()  # before the error, or the answer's end, is said
    sys.stdout.write("\n")
    if follow_ups and answer.follow_ups:
        # One blank line after the answer (the line the answer's end started is one).
        gap = "\n" if answer.shown and not answer.shown.endswith("\n") else ""
        sys.stdout.write(f"{gap}Follow-up questions:\n")
        sys.stdout.writelines(f"- {' '.join(text.split())}\n" for text in answer.follow_ups)
    sys.stdout.flush()
    if answer.awaiting_reply:  # a note about the answer, not part of it: stderr
        print("(The bot asked a question and is waiting for your reply.)", file=sys.stderr)
    elif answer.has_no_text:
        print("(The bot finished without any text to show.)", file=sys.stderr)


def _write(changes: list[Change], thoughts: _Reasoning) -> None:
    for change in changes:
        if isinstance(change, AppendReasoning):
            thoughts.write(change.text)
        elif isinstance(change, AppendText):
            thoughts.end_line()
            sys.stdout.write(change.text)
            sys.stdout.flush()
        elif isinstance(change, Replace):
            # Coze's completed text differs from what was streamed; a terminal cannot redraw.
            thoughts.end_line()
            sys.stdout.write(f"\n\n[final text from Coze]\n{change.text}")


def _silence_stdout() -> None:
    """Point stdout at nothing, so Python's own flush at exit does not hit a closed pipe."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


class _FileProblem(Exception):
    """A file given with --file cannot be read or sent: the sentence names it."""


def _read_files(paths: Sequence[str]) -> list[tuple[str, bytes]]:
    """(name, bytes) of each file, before anything is sent."""
    files = []
    for path in paths:
        name = Path(path).name
        try:
            data = Path(path).read_bytes()
        except OSError as error:
            reason = error.strerror or type(error).__name__
            raise _FileProblem(f"Cannot read the file {path}: {reason}.") from None
        if not data:
            raise _FileProblem(f"The file {path} is empty: Coze takes no empty file.")
        if len(data) > MAX_UPLOAD_BYTES:
            raise _FileProblem(
                f"The file {path} is larger than Coze takes ({MAX_UPLOAD_BYTES // 2**20} MB)."
            )
        files.append((name, data))
    return files


def _upload(config: CozeConfig, files: Sequence[tuple[str, bytes]]) -> list[Attachment]:
    """Upload each file, a line on stderr for each; a failure names the file."""
    attachments = []
    for name, data in files:
        print(f"Uploading {name} ({len(data):,} bytes)...", file=sys.stderr, flush=True)
        try:
            file_id = upload_file(config, name, data)
        except ValueError as refused:  # a name no request can carry: nothing was sent
            raise _FileProblem(f"The file {name} cannot be sent: {refused}.") from None
        except CozeError:
            print(f"The file {name} was not sent:", file=sys.stderr)  # Coze's reason follows
            raise
        attachments.append(Attachment(file_id, name, attachment_kind(name), len(data)))
    return attachments


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    message = args.message.strip() and args.message
    if not message and args.file:
        message = FILES_ONLY_MESSAGE
    if not message:
        print(
            "The message is empty: give the text to send, e.g. python -m coze_stream 你好",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        files = _read_files(args.file)
        with contextlib.ExitStack() as stack:
            config = stack.enter_context(_demo_config()) if args.demo else load_config()
            attachments = _upload(config, files)
            events = stream_chat(config, message, attachments=attachments)
            stack.callback(events.close)
            if args.events:
                _print_events(events)
            else:
                _print_answer(events, reasoning=args.reasoning, follow_ups=args.follow_ups)
    except _FileProblem as problem:
        print(problem, file=sys.stderr)
        return EXIT_USAGE
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

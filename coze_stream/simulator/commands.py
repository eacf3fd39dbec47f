"""The commands a user message can hold, and the parser that finds them.

``COMMANDS`` is the one table of commands: ``parse_message`` parses with it, ``/help`` and the
package docstring list it. Each row says how its argument is read and what it changes in the
``ParsedMessage``; adding a command is adding a row (a fault is a row of ``faults.FAULTS``, a
``/shape`` kind a row of ``shapes.SHAPES``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar

from .faults import FAULTS
from .heavy import HEAVY
from .shapes import DEFAULT_SHAPE_DELTAS, SHAPES

MAX_LONG = 100_000
MAX_WAIT = 3600.0  # seconds, for /stall and /late
STALL_AFTER_DELTAS = 3

_T = TypeVar("_T")


@dataclass
class ParsedMessage:
    """A user message split into the quoted question and the commands it contains."""

    question: str
    commands: list[str] = field(default_factory=list)
    help: bool = False
    think: bool = False
    think_deltas: int | None = None  # /think N: N reasoning deltas, one long paragraph
    long: int | None = None
    shape: str | None = None
    slow: bool = False
    stall: float | None = None
    late: float | None = None
    multi: bool = False
    card: bool = False
    rich: bool = False
    latex: int | None = None
    question_node: bool = False
    plugin: bool = False
    xss: bool = False
    heavy: str | None = None
    recall: bool = False
    fail: str | None = None


@dataclass(frozen=True)
class Command(Generic[_T]):
    """One row of the command table.

    ``name`` has the slash. ``argument`` is empty for a command without one, else the next token
    is its argument: ``argument`` names it in the usage (``N``, ``S``, or the literal word the
    row accepts, as ``/fail auth``). ``parse`` reads the argument (it gets ``""`` when there is
    none) and returns None when it is invalid; ``apply`` returns the message with the parsed
    value applied. Several rows may share a name: the first that accepts the argument wins.
    """

    name: str
    argument: str
    help: str
    parse: Callable[[str], _T | None]
    apply: Callable[[ParsedMessage, _T], ParsedMessage]

    @property
    def usage(self) -> str:
        return f"{self.name} {self.argument}" if self.argument else self.name


def _no_argument(_: str) -> bool:
    return True


def _whole_number(low: int, high: int) -> Callable[[str], int | None]:
    def parse(text: str) -> int | None:
        # isdecimal, not isdigit: "²" is a digit that int() rejects. int() also rejects more than
        # 4300 digits, hence the try as well.
        if not text.isdecimal():
            return None
        try:
            number = int(text)
        except ValueError:
            return None
        return number if low <= number <= high else None

    return parse


def _seconds(high: float) -> Callable[[str], float | None]:
    def parse(text: str) -> float | None:
        try:
            seconds = float(text)
        except ValueError:
            return None
        return seconds if 0.0 <= seconds <= high else None  # NaN fails both comparisons

    return parse


def _word(word: str) -> Callable[[str], str | None]:
    def parse(text: str) -> str | None:
        return text if text == word else None

    return parse


COMMANDS: tuple[Command[Any], ...] = (
    Command(
        "/help",
        "",
        "answer with this list of commands",
        _no_argument,
        lambda p, _: replace(p, help=True),
    ),
    Command(
        "/think",
        "N",
        f"stream exactly N reasoning deltas, one long paragraph, before the answer (1-{MAX_LONG})",
        _whole_number(1, MAX_LONG),
        lambda p, n: replace(p, think_deltas=n),
    ),
    Command(
        "/think",
        "",
        "stream reasoning deltas (reasoning_content) before the answer",
        _no_argument,
        lambda p, _: replace(p, think=True),
    ),
    Command(
        "/long",
        "N",
        f"answer with a long Markdown document of exactly N deltas (1-{MAX_LONG})",
        _whole_number(1, MAX_LONG),
        lambda p, n: replace(p, long=n),
    ),
    *(
        Command(
            "/shape",
            shape.kind,
            f"{shape.help} (N deltas with /long N, else {DEFAULT_SHAPE_DELTAS})",
            _word(shape.kind),
            lambda p, k: replace(p, shape=k),
        )
        for shape in SHAPES
    ),
    Command(
        "/slow",
        "",
        "pause 1 s between deltas",
        _no_argument,
        lambda p, _: replace(p, slow=True),
    ),
    Command(
        "/stall",
        "S",
        f"after the first {STALL_AFTER_DELTAS} deltas, stay silent for S seconds (0-{MAX_WAIT:g})",
        _seconds(MAX_WAIT),
        lambda p, s: replace(p, stall=s),
    ),
    Command(
        "/late",
        "S",
        "accept the chat, then send nothing (not even headers) for S seconds",
        _seconds(MAX_WAIT),
        lambda p, s: replace(p, late=s),
    ),
    Command(
        "/multi",
        "",
        "two separate answer messages (different ids) in one chat",
        _no_argument,
        lambda p, _: replace(p, multi=True),
    ),
    Command(
        "/card",
        "",
        "the answer is a card (content_type card), with no text at all",
        _no_argument,
        lambda p, _: replace(p, card=True),
    ),
    Command(
        "/latex",
        "N",
        f"an answer with N formulas, inline and display (1-{MAX_LONG})",
        _whole_number(1, MAX_LONG),
        lambda p, n: replace(p, latex=n),
    ),
    Command(
        "/rich",
        "",
        "the answer is an object_string message: text, an image, a file and a non-web link",
        _no_argument,
        lambda p, _: replace(p, rich=True),
    ),
    Command(
        "/question",
        "",
        "a chatflow Question node: the question streams as the answer, then "
        "conversation.chat.requires_action (reply_message) and done, no chat.completed",
        _no_argument,
        lambda p, _: replace(p, question_node=True),
    ),
    Command(
        "/plugin",
        "",
        "a client-side plugin: conversation.chat.requires_action (function get_weather) and done",
        _no_argument,
        lambda p, _: replace(p, plugin=True),
    ),
    Command(
        "/recall",
        "",
        "answer with what the bot was told before this message: a list of the earlier messages "
        "it received in additional_messages (role: text)",
        _no_argument,
        lambda p, _: replace(p, recall=True),
    ),
    Command(
        "/xss",
        "",
        "the answer contains script, img onerror and bold HTML tags as text",
        _no_argument,
        lambda p, _: replace(p, xss=True),
    ),
    *(
        Command(
            "/heavy",
            heavy.kind,
            f"an answer that is costly to render: {heavy.help}",
            _word(heavy.kind),
            lambda p, k: replace(p, heavy=k),
        )
        for heavy in HEAVY
    ),
    *(
        Command("/fail", fault.kind, fault.help, _word(fault.kind), lambda p, k: replace(p, fail=k))
        for fault in FAULTS
    ),
)

_ROWS_BY_NAME: dict[str, list[Command[Any]]] = {}
for _row in COMMANDS:
    _ROWS_BY_NAME.setdefault(_row.name, []).append(_row)
del _row


def commands_markdown() -> str:
    """The command table as a Markdown list (``/help``'s answer and the package docstring)."""
    return "\n".join(f"- `{c.usage}`: {c.help}" for c in COMMANDS)


def _apply_command(
    parsed: ParsedMessage, token: str, following: str | None
) -> tuple[ParsedMessage, int] | None:
    """``parsed`` with the command ``token`` applied and the number of tokens it used (1 or 2),
    or None when ``token`` is no command or its argument is missing or invalid."""
    for row in _ROWS_BY_NAME.get(token, ()):
        if not row.argument:
            argument = ""
        elif following is None:
            continue
        else:
            argument = following
        try:
            value = row.parse(argument)
            if value is None:
                continue
            return row.apply(parsed, value), 2 if row.argument else 1
        except Exception:
            # A row's mistake must not cost the user the answer: the command is plain text then.
            continue
    return None


def parse_message(text: str) -> ParsedMessage:
    """Find the commands in ``text``; the rest (rejoined with single spaces) is the question.

    A command whose argument is missing or invalid (``/long x``, ``/fail nope``) is plain text.
    Without any command the question is ``text.strip()`` unchanged.
    """
    tokens = text.split()
    parsed = ParsedMessage(question="")
    commands: list[str] = []
    kept: list[str] = []
    i = 0
    while i < len(tokens):
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        applied = _apply_command(parsed, tokens[i], following)
        if applied is None:
            kept.append(tokens[i])
            i += 1
            continue
        parsed, used = applied
        commands.append(" ".join(tokens[i : i + used]))
        i += used
    question = " ".join(kept) if commands else text.strip()
    return replace(parsed, question=question, commands=commands)

"""``/heavy KIND``'s answers: Markdown that costs a browser's renderer far more than its length.

Each is the kind of answer that froze a reader's tab before the page guarded its display (see
``coze_answer._display`` and ``bench/freeze.py``). The texts are fixed (seeded), so runs compare.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass


def _table(rows: int, columns: int, cell: Callable[[int, int], str]) -> str:
    header = "| " + " | ".join(f"col {c}" for c in range(columns)) + " |"
    delimiter = "|" + "---|" * columns
    body = ("| " + " | ".join(cell(r, c) for c in range(columns)) + " |" for r in range(rows))
    return "\n".join([header, delimiter, *body]) + "\n"


def table_3000x10() -> str:
    """A table of 3,000 rows and 10 columns (about 240 KB)."""
    return _table(3000, 10, lambda r, c: f"{(r * 10 + c) % 99991:05d}" if c else f"**{r}**")


def table_3000x40() -> str:
    """A table of 3,000 rows and 40 columns (about 960 KB: just under the client's bound on
    an answer, a million characters)."""
    return _table(3000, 40, lambda r, c: f"{(r * 40 + c) % 99991:05d}")


def stars() -> str:
    """20,000 ``*`` after a sentence."""
    return "Stars: " + "*" * 20_000 + "\n"


def brackets() -> str:
    """80,000 characters of ``[``, ``]`` and ``*`` in a random order."""
    rng = random.Random(23)
    return "".join(rng.choice("[]*") for _ in range(80_000)) + "\n"


def math_fences() -> str:
    """5,000 fenced ```` ```math ```` blocks."""
    return "".join(f"```math\nx_{{{n}}} = \\frac{{{n}}}{{k+1}}\n```\n\n" for n in range(5000))


def nested_list() -> str:
    """A list nested 2,000 deep: an item holding an item, 2,000 times, on one line."""
    return "- " * 2000 + "the deepest item\n"


def nested_quotes() -> str:
    """A quote nested 2,000 deep."""
    return ">" * 2000 + " the deepest quote\n"


def formulas() -> str:
    """10,000 ``$`` formulas, every tenth a display formula (as ``/latex 10000``)."""
    lines = []
    for n in range(10_000):
        if n % 10 == 9:
            lines.append(f"\n\n$$\\sum_{{k=1}}^{{{n}}} \\frac{{k^2}}{{\\sqrt{{k+{n}}}}}$$\n\n")
        else:
            lines.append(f"$x_{{{n}}} = \\alpha^{{{n}}} + \\beta_{{{n}}}$ ")
    return "".join(lines) + "\n"


@dataclass(frozen=True)
class Heavy:
    kind: str
    help: str
    text: Callable[[], str]


HEAVY: tuple[Heavy, ...] = (
    Heavy("table10", "a table of 3,000 rows and 10 columns (240 KB)", table_3000x10),
    Heavy("table40", "a table of 3,000 rows and 40 columns (960 KB)", table_3000x40),
    Heavy("stars", "20,000 '*' in a row", stars),
    Heavy("brackets", "80,000 characters of '[', ']' and '*'", brackets),
    Heavy("formulas", "10,000 '$' formulas", formulas),
    Heavy("mathfences", "5,000 fenced math blocks", math_fences),
    Heavy("nested", "a list nested 2,000 deep", nested_list),
    Heavy("quotes", "a quote nested 2,000 deep", nested_quotes),
)
HEAVY_KINDS = tuple(heavy.kind for heavy in HEAVY)


def heavy_answer(kind: str) -> str:
    return next(heavy.text() for heavy in HEAVY if heavy.kind == kind)

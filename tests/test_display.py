"""What a reader's browser is handed of an answer: runs of markup, deep nesting, fenced math, big
tables and long text capped (coze_answer._display), while the kept text stays as it came."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coze_answer import (
    AnswerStream,
    AppendReasoning,
    AppendText,
    Cap,
    DisplayGuard,
    EndBlock,
    EndPiece,
    Grid,
    Markdown,
    Pieces,
    PlainText,
    Preview,
    Replace,
    Turn,
    _display,
    guarded,
    shown,
    turn_notes,
    words,
)
from coze_answer._display import (
    MAX_CAPPED_CHARS,
    MAX_DELIMITERS,
    MAX_NESTING,
    MAX_RUN,
    MAX_TABLE_ROWS,
)
from coze_answer._model import JOINED_BLOCK_CHARS, MANY_BLOCKS, STREAMED_TABLE_CHARS
from coze_stream import AnswerCompleted, AnswerDelta, ChatCompleted, ReasoningDelta, Usage
from coze_stream.simulator.heavy import HEAVY_KINDS, heavy_answer


def displayed(text: str, max_formulas: int = 200) -> tuple[str, DisplayGuard]:
    guard = DisplayGuard(max_formulas)
    return guard.feed(text) + guard.flush(), guard


def streamed(text: str, cuts: list[int], max_formulas: int = 200) -> str:
    guard = DisplayGuard(max_formulas)
    bounds = sorted({0, len(text), *(c % (len(text) + 1) for c in cuts)})
    return "".join(guard.feed(text[a:b]) for a, b in itertools.pairwise(bounds)) + guard.flush()


def reads(text: str) -> str:
    """What the text says once escapes and code span marks are taken out and white space
    folded: the guard only escapes characters, puts runs in code spans and folds indentation,
    so the shown text says the same."""
    return " ".join(text.replace("\\", "").replace("`", "").split())


# Ordinary Markdown: short runs of markup, shallow nesting, a few formulas, code blocks.
LINES = st.sampled_from(
    [
        "Some *emphasis*, **bold**, `code` and a [link](https://coze.cn/x).",
        "- an item",
        "  - a nested item with _underscores_",
        "1. first",
        "2) second",
        "> a quote",
        "> > a quote in a quote",
        "```python",
        "```",
        "def f(x):  # /* a comment */",
        "    return x ** 2",
        "| a | b |",
        "|---|---|",
        "| 1 | 2 |",
        "Euler: $e^{i\\pi} + 1 = 0$.",
        "~~struck~~ <b>tag</b> (parentheses) 2 * 3",
        "",
        "***",
        "---",
        "中文段落，没有空格。",
    ]
)
ORDINARY = st.lists(LINES, max_size=30).map("\n".join)


@given(ORDINARY)
def test_ordinary_markdown_passes_unchanged(text):
    out, guard = displayed(text)
    assert out == text
    assert not guard.caps and not guard.math_capped
    assert shown(text).elements == ((Markdown(text),) if text else ())


# Anything, with the characters that matter frequent.
NASTY = st.lists(st.sampled_from([*"*_~[]()<>$`\\-+>1. \t\nmath", "```math\n"])).map("".join)


@settings(max_examples=300)
@given(NASTY, st.lists(st.integers(min_value=0), max_size=8))
def test_the_same_however_the_text_is_split(text, cuts):
    assert streamed(text, cuts, max_formulas=2) == displayed(text, max_formulas=2)[0]


@settings(max_examples=300)
@given(NASTY)
def test_what_is_shown_says_what_the_text_says(text):
    out, _ = displayed(text, max_formulas=2)
    assert reads(out) == reads(text)


def unescaped_runs(text: str) -> list[str]:
    """Runs of markup characters not escaped by a backslash."""
    plain = re.sub(r"``[^`]*``", " ", text)
    plain = re.sub(r"\\.", " ", plain, flags=re.DOTALL)
    return re.findall(r"[*_~\[\]()<>]+", plain)


@settings(max_examples=100)
@given(st.text(alphabet="*_~[]()<>a \n", min_size=0, max_size=3000))
def test_no_long_run_of_markup_and_no_more_delimiters_than_the_cap_reach_the_renderer(text):
    text = text * 3
    out, guard = displayed(text)
    assert all(len(run) <= MAX_RUN for run in unescaped_runs(out))
    delimiters = sum(len(re.findall(r"[*_~\[\]]", run)) for run in unescaped_runs(out))
    assert delimiters <= MAX_DELIMITERS
    assert (Cap.MARKUP_AS_TEXT in guard.caps) == (out != text)


def test_pathological_runs_are_text_code_is_left_alone():
    out, guard = displayed("Stars: " + "*" * 20_000 + " end")
    assert out == "Stars: " + "*" * MAX_RUN + "``" + "*" * (20_000 - MAX_RUN) + "`` end"
    assert guard.caps == {Cap.MARKUP_AS_TEXT}
    code = "```c\n/" + "*" * 200 + "/\n" + "[a]" * 5000 + "\n```\n"
    assert displayed(code)[0] == code
    refs = "[a]" * 20_000
    out, _ = displayed(refs)
    assert out.startswith("[a]" * (MAX_DELIMITERS // 2))
    assert reads(out) == refs


def test_delimiters_are_counted_per_block():
    block = "**a** " * (MAX_DELIMITERS // 4) + "\n\n"
    guard = DisplayGuard()
    out = ""
    for _ in range(3):
        out += guard.feed(block)
        guard.end_block()
    assert out == block * 3


def nesting(line: str) -> int:
    """Columns of a shown line's indentation, quote marks and list markers (escaped ones are
    text)."""
    depth = 0
    for match in re.finditer(r"[ \t]|>|(?:[-*+]|\d{1,9}[.)])(?=[ \t])|\S", line):
        token = match.group()
        if token in " \t":
            depth += 4 - depth % 4 if token == "\t" else 1
        elif token == ">" or token[-1] in "-*+.)":
            depth += 1
        else:
            break
    return depth


@pytest.mark.parametrize(
    "text",
    [
        "- " * 2000 + "deep",
        ">" * 2000 + " deep",
        "".join("  " * level + f"- level {level}\n" for level in range(200)),
        "1. " * 500 + "deep",
        "> - " * 600 + "deep",
        "\t" * 100 + "- tabbed",
    ],
)
def test_nesting_is_capped_and_every_word_stays(text):
    out, guard = displayed(text)
    assert max(nesting(line) for line in out.split("\n")) <= MAX_NESTING + 2
    assert reads(out) == reads(text)
    assert Cap.NESTING_FLATTENED in guard.caps


def test_shallow_nesting_and_long_rules_are_untouched():
    text = "- a\n  - b\n    - c\n\n" + "-" * 300 + "\n\n" + "=" * 300 + "\n" + "1234567890" * 30
    assert displayed(text)[0] == text


def test_fenced_math_counts_against_the_formula_cap():
    block = "```math\nx^2 + y_1\n```\n\n"
    out, guard = displayed(block * 3, max_formulas=4)  # 8 "$": two blocks of four
    assert out.startswith(block * 2)
    assert out.endswith("`` ```math\n\u00a0x^2 + y_1\n\u00a0``` ``\n\n\n")
    assert guard.math_capped
    # Shared with "$" formulas: the cap is taken up by the formulas before the block.
    out, guard = displayed("$a$ $b$ $c$\n\n" + block, max_formulas=3)
    assert out.startswith("$a$ $b$ $c$\n\n`` ```math")
    out, guard = displayed(block + "$a$ $b$ $c$", max_formulas=3)
    assert out == block + "$a$ \\$b\\$ \\$c\\$"
    # Other fences, and a fence that only starts like one, are code as usual.
    for code in ("```mathematica\n$$ $$\n```\n", "```\n$x$\n```\n", "~~~math\nx\n~~~\n"):
        assert displayed(code, max_formulas=10)[0] == code


def formulas_answer(count: int) -> str:
    return "Intro with a \\$5 price.\n\n" + "".join(
        f"$x_{{{n}}}$ and\n\n$$y^{{{n}}}$$\n\n" for n in range(count)
    )


@pytest.mark.parametrize("client_capped", [False, True])
def test_a_long_rest_past_the_formula_cap_is_shown_as_its_source(client_capped):
    text = formulas_answer(2000) + "````\ncode in the answer\n````\n"
    assert len(text) > 2 * MAX_CAPPED_CHARS
    # The page is given the text the client kept: its own cap already escaped "$" past it.
    given = guarded(text, max_formulas=10) if client_capped else text
    result = shown(given, 10)
    [element] = result.elements  # still one element: a rerun finds it unchanged
    assert isinstance(element, Markdown)
    head = (
        "Intro with a \\$5 price.\n\n"
        + "".join(f"$x_{{{n}}}$ and\n\n$$y^{{{n}}}$$\n\n" for n in range(3))
        + "$x_{3}$ and\n\n"
    )  # 20 "$": the cap; the next line is the first past it
    fence = "`````"  # longer than any run of backticks in the rest: nothing in it closes it
    rest = text[len(head) :]
    assert element.text == head + fence + "text\n" + rest.rstrip("\n") + "\n" + fence + "\n"
    assert element.text.count("\\$") == 1  # the bot's own, before the cap
    assert result.math_capped or client_capped


def test_a_short_rest_past_the_formula_cap_stays_markdown():
    text = formulas_answer(40)
    [element] = shown(text, 10).elements
    assert isinstance(element, Markdown) and "```" not in element.text
    assert element.text.count("\\$") > 40  # the rest's formulas escaped, shown as text
    assert shown(guarded(text, max_formulas=10), 10).elements == shown(text, 10).elements


def table(rows: int, columns: int = 3) -> str:
    head = "| " + " | ".join(f"h{c}" for c in range(columns)) + " |\n"
    head += "|" + "---|" * columns + "\n"
    return head + "".join(
        "| " + " | ".join(f"r{r}c{c}" for c in range(columns)) + " |\n" for r in range(rows)
    )


def test_a_big_table_is_a_grid_with_every_row_and_the_text_around_it_stays():
    text = "Before.\n\n" + table(MAX_TABLE_ROWS + 1) + "\nAfter.\n"
    result = shown(text)
    before, grid, after = result.elements
    assert before == Markdown("Before.\n\n") and after == Markdown("\nAfter.\n")
    assert isinstance(grid, Grid)
    assert grid.columns == ("h0", "h1", "h2")
    assert grid.rows == tuple(
        tuple(f"r{r}c{c}" for c in range(3)) for r in range(MAX_TABLE_ROWS + 1)
    )
    assert result.caps == {Cap.TABLE_AS_GRID}
    small = table(MAX_TABLE_ROWS)
    assert shown(small).elements == (Markdown(small),)


def test_a_grid_has_unique_columns_and_a_cell_for_each():
    text = (
        "| a | a | | x \\| y |\n|---|---|---|---|\n" + "| 1 | **2** |\n" * 1300 + "| 1|2|3|4|5|\n"
    )
    [grid] = shown(text).elements
    assert isinstance(grid, Grid)
    assert len(set(grid.columns)) == 4 and grid.columns[3] == "x | y" and all(grid.columns)
    assert grid.rows[0] == ("1", "**2**", "", "") and grid.rows[-1] == ("1", "2", "3", "4")
    assert len(grid.rows) == 1301


def test_a_table_in_code_stays_code():
    text = "```\n" + table(500) + "```\n"
    assert shown(text).elements == (Markdown(text),)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.sampled_from(["paragraph", "list", "code", "table", "plain"]), max_size=8))
def test_answers_past_the_element_size_come_in_elements_none_too_long(kinds):
    whole, longest = 20_000, 40_000  # smaller than the page's, for the test's speed
    samples = {
        "paragraph": "word " * 5000 + "\n\n",
        "list": "".join(f"- item {n}\n" for n in range(3000)) + "\n",
        "code": "```\n" + "x = 1\n" * 4000 + "```\n\n",
        "table": table(300),
        "plain": "y" * (longest + 10) + "\n\n",
    }
    text = "".join(samples[kind] for kind in kinds)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_display, "WHOLE_CHARS", whole)
        patch.setattr(_display, "MAX_ELEMENT_CHARS", longest)
        patch.setattr(_display, "PIECE_CHARS", 8000)
        elements = _display.shown_blocks.__wrapped__((text,), 200)[0].elements
    for element in elements:
        match element:
            case Markdown(markdown):
                assert len(markdown) <= whole or "\n\n" not in markdown.strip()
            case Pieces(_, texts):
                assert all(len(piece) <= longest for piece in texts)
            case PlainText(plain):
                assert len(plain) > longest
    markdown = "".join(e.text for e in elements if isinstance(e, Markdown | PlainText))
    # (A paragraph right under a table is a row of it, as GFM reads it: a grid's cell.)
    cells = "".join(cell for e in elements if isinstance(e, Grid) for row in e.rows for cell in row)
    assert markdown.count("word") + cells.count("word") + sum(
        "".join(e.texts).count("word") for e in elements if isinstance(e, Pieces)
    ) == text.count("word")


def answer_of(text: str, size: int = 397) -> AnswerStream:
    answer = AnswerStream(frame_seconds=0, piece_bytes=512, end_whole=True)
    deltas = [AnswerDelta(text[i : i + size], "m1") for i in range(0, len(text), size)]
    changes = []
    for delta in deltas:
        changes += answer.update([delta])
    changes += answer.update([AnswerCompleted(text, "m1"), ChatCompleted(Usage(1, 1, 2))])
    changes += answer.finish()
    answer.changes = changes  # type: ignore[attr-defined]
    return answer


@pytest.mark.parametrize("kind", HEAVY_KINDS)
def test_a_heavy_answer_is_kept_whole_and_shown_guarded(kind):
    text = heavy_answer(kind)
    answer = answer_of(text)
    turn = Turn("assistant")
    turn.keep(answer)
    # Copy button and downloads: the answer as it came (formulas past the cap escaped, as
    # before: that cap is older than these guards).
    assert turn.content == guarded(text)
    # Drawn once more whole at the end: the element a rerun then finds unchanged.
    replaces = [change for change in answer.changes if isinstance(change, Replace)]
    assert replaces == [Replace(turn.content)]
    streamed_text = "".join(c.text for c in answer.changes if isinstance(c, AppendText))
    assert len(streamed_text) < 3 * len(text)
    result = shown(text)
    assert turn.display_caps == result.caps
    assert result.caps or turn.math_capped
    for language in ("en", "zh"):
        said = words(language)
        caption = turn_notes(turn, said)
        for cap in result.caps:
            assert said.display_note(cap) in caption
    assert sum(isinstance(element, Markdown) for element in result.elements) <= 1


def test_the_stream_shows_what_the_finished_answer_shows():
    text = "intro\n\n" + "[a]" * 3000 + "\n\n" + "- " * 300 + "x\n\n" + "```math\nx\n```\n" * 3
    answer = AnswerStream(frame_seconds=0, max_formulas=1, end_whole=True)
    changes = []
    for i in range(0, len(text), 101):
        changes += answer.update([AnswerDelta(text[i : i + 101], "m1")])
    changes += answer.update([ChatCompleted(Usage(1, 1, 2))])
    changes += answer.finish()
    streamed_text = "".join(c.text for c in changes if isinstance(c, AppendText))
    [element] = shown(text, 1).elements
    assert isinstance(element, Markdown) and streamed_text == element.text
    assert changes[-1] == Replace(text)
    assert answer.math_capped and answer.display_caps == {
        Cap.MARKUP_AS_TEXT,
        Cap.NESTING_FLATTENED,
    }


def test_a_terminal_gets_the_text_as_it_came():
    text = "*" * 1000
    answer = AnswerStream(frame_seconds=0, image_hosts=None)
    changes = answer.update([AnswerDelta(text, "m1"), ChatCompleted(Usage(1, 1, 2))])
    changes += answer.finish()
    assert "".join(c.text for c in changes if isinstance(c, AppendText)) == text
    assert not answer.display_caps


def streamed_changes(text: str, size: int = 300) -> list:
    answer = AnswerStream(frame_seconds=0, piece_bytes=512, end_whole=True)
    changes = []
    for i in range(0, len(text), size):
        changes += answer.update([AnswerDelta(text[i : i + size], "m1")])
    changes += answer.update([ChatCompleted(Usage(1, 1, 2))])
    return changes + answer.finish()


def test_a_big_tables_rows_past_the_cap_wait_for_the_whole_table():
    rows = STREAMED_TABLE_CHARS // len("| r1000c0 | r1000c1 | r1000c2 |\n") * 2
    text = "Intro.\n\n" + table(rows) + "\nAfter.\n"
    changes = streamed_changes(text, size=3000)
    streamed = "".join(c.text for c in changes if isinstance(c, AppendText))
    # (each piece repeats the header)
    assert STREAMED_TABLE_CHARS <= len(streamed) <= STREAMED_TABLE_CHARS * 1.1
    assert streamed.count("c0 |") < rows * 0.6
    wholes = [c.whole for c in changes if isinstance(c, EndBlock) and c.whole]
    assert table(rows) in wholes[0]  # the block, every row, to show as a grid
    assert "After." in "".join(c.text for c in changes if isinstance(c, AppendText))


def test_a_big_table_shows_as_a_growing_grid_while_its_rows_wait():
    rows = STREAMED_TABLE_CHARS // len("| r1000c0 | r1000c1 | r1000c2 |\n") * 4
    text = "Intro.\n\n" + table(rows) + "\nAfter.\n"
    changes = streamed_changes(text, size=3000)
    previews = [i for i, c in enumerate(changes) if isinstance(c, Preview)]
    sizes = [len(changes[i].text) for i in previews]
    # From when the rows start to wait, then each time the block grew by half.
    assert STREAMED_TABLE_CHARS <= sizes[0] <= STREAMED_TABLE_CHARS + 3000
    assert all(later >= earlier * 1.5 for earlier, later in itertools.pairwise(sizes))
    assert len(sizes) >= 3
    assert all(changes[i].text.endswith("\n") for i in previews)  # whole rows only
    for i in previews:  # the block so far, whole rows: a grid, every row of it
        [grid] = shown(changes[i].text).elements
        assert isinstance(grid, Grid) and len(grid.rows) >= (len(changes[i].text) - 60) // 33
    # Nothing of the table streams between its first preview and its end.
    end = next(i for i, c in enumerate(changes) if isinstance(c, EndBlock) and c.whole)
    assert not any(isinstance(c, AppendText | EndPiece) for c in changes[previews[0] : end])
    assert table(rows) in changes[end].whole


def test_a_row_without_a_pipe_is_a_row_of_the_grid_as_markdown_reads_it():
    """GFM ends a table's rows at a blank line or another block, not at a line without "|":
    such a line is a row (one cell). Ended there, a big table would stay Markdown."""
    rows = STREAMED_TABLE_CHARS // len("| r1000c0 | r1000c1 | r1000c2 |\n") * 2
    lines = table(rows).split("\n")
    text = "\n".join([*lines[:3], "a row without a pipe", *lines[3:]]) + "\n> after\n"
    [grid, after] = shown(text).elements
    assert isinstance(grid, Grid) and len(grid.rows) == rows + 1
    assert grid.rows[1] == ("a row without a pipe", "", "")
    assert isinstance(after, Markdown) and after.text.strip() == "> after"
    few = "| a | b |\n|---|---|\n" + "just words\n" * (MAX_TABLE_ROWS + 1)  # one "|" a row
    assert isinstance(shown(few).elements[0], Grid)
    changes = streamed_changes(text, size=3000)
    assert any(isinstance(c, Preview) for c in changes)


def test_past_many_blocks_short_ones_share_an_element():
    text = "".join(f"Paragraph {n}.\n\n" for n in range(3000))
    changes = streamed_changes(text)
    ends = sum(isinstance(c, EndBlock) for c in changes)
    assert MANY_BLOCKS <= ends <= MANY_BLOCKS + len(text) // JOINED_BLOCK_CHARS + 2
    # What streamed is the text, block for block.
    assert "".join(c.text for c in changes if isinstance(c, AppendText)) == text
    few = "".join(f"Paragraph {n}.\n\n" for n in range(MANY_BLOCKS // 2))
    assert sum(isinstance(c, EndBlock) for c in streamed_changes(few)) >= MANY_BLOCKS // 2 - 1


def test_the_reasoning_is_guarded_too():
    answer = AnswerStream(frame_seconds=0)
    changes = answer.update([ReasoningDelta("- " * 500 + "[" * 300, "m1"), ChatCompleted(None)])
    changes += answer.finish()
    shown_reasoning = "".join(c.text for c in changes if isinstance(c, AppendReasoning))
    assert "\\-" in shown_reasoning and "``[" in shown_reasoning
    assert answer.reasoning == "- " * 500 + "[" * 300  # kept as it came
    assert answer.display_caps == {Cap.NESTING_FLATTENED, Cap.MARKUP_AS_TEXT}

"""Cutting one long block into pieces: each piece renders as part of the one block.

The page shows a cut block's pieces as sibling elements styled to read as one block (the
browser suite checks the geometry); these tests check the Markdown side with a CommonMark
renderer: however the text arrives, the pieces rendered one by one hold exactly what the whole
block holds (the same paragraph text, code, list items with their numbers, table rows), and
nothing the cutter was given is held back.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coze_answer import (
    AnswerStream,
    AppendText,
    EndBlock,
    EndPiece,
    PieceCutter,
    PieceKind,
    Replace,
)
from coze_stream import AnswerCompleted, AnswerDelta, ChatCompleted
from tests.helpers import MARKDOWN

PIECE = 80  # small pieces, so short documents are cut many times


def cut(text: str, cuts: list[int], piece_bytes: int = PIECE) -> tuple[list[str], list[PieceKind]]:
    """Feed ``text`` split at ``cuts``; the pieces' text, and the cuts made."""
    cutter = PieceCutter(piece_bytes, give_up_after=None)
    pieces, kinds = [""], []
    for start, end in zip([0, *cuts], [*cuts, len(text)], strict=True):
        for item in cutter.feed(text[start:end]):
            if isinstance(item, PieceKind):
                pieces.append("")
                kinds.append(item)
            else:
                pieces[-1] += item
    whole = cutter.end_block()
    assert whole == (text if kinds else None)  # a cut block is given back whole, as received
    return pieces, kinds


def splits(text: str, data: st.DataObject) -> list[int]:
    points = st.lists(st.integers(1, max(1, len(text) - 1)), unique=True, max_size=60)
    return sorted(c for c in data.draw(points) if 0 < c < len(text))


def inner(html: str, tag: str) -> list[str]:
    return re.findall(rf"<{tag}(?: [^>]*)?>(.*?)</{tag}>", html, re.DOTALL)


# -- documents of one long block each --

WORDS = st.sampled_from(
    [
        *("word", "Coze", "**bold**", "*it*", "`code`", "[link](https://x.cn)", "a_b", "2 * 3"),
        *("中文", "句子。", "(note)", "<https://coze.cn>", "$x$", "x>1", "~~gone~~", "snake_case"),
        *("_two words_", "**three bold words**", "`a code span`", "[a long link](https://x.cn)"),
        *("`*args`", "**bold *italic words* bold**", "\\*", "`` a ` b ``", "$5", "2*3", ":)"),
        *("]", "~5", "_private", "*a [link](https://x.cn) in it*", "x < y", "<b>tag</b>"),
    ]
)
paragraphs = st.lists(WORDS, min_size=20, max_size=200).map(" ".join)
cjk_runs = st.text(alphabet="这是一个很长的中文句子，没有空格。", min_size=100, max_size=600)
code_lines = st.lists(
    st.sampled_from(
        ["x = 1", "    return f(x)", "", "s = '''a", "b'''", "/* c */", "y = `t`", "# note"]
    ),
    min_size=10,
    max_size=80,
)
codes = code_lines.map(lambda lines: "```python\n" + "\n".join(lines) + "\n```")
items = st.lists(st.sampled_from(["item", "**bold** item", "`x`", "中文项目"]), min_size=8)
bullets = items.map(lambda texts: "\n".join(f"- {text} {i}" for i, text in enumerate(texts)))
numbered = items.map(lambda texts: "\n".join(f"{i + 1}. {t}" for i, t in enumerate(texts)))
rows = st.lists(st.tuples(st.integers(0, 999), st.sampled_from(["a", "**b**", "中"])), min_size=8)
tables = rows.map(
    lambda cells: "| n | v |\n|---|:-:|\n" + "\n".join(f"| {n} | {v} |" for n, v in cells)
)


@settings(max_examples=150, deadline=None)
@given(document=st.one_of(paragraphs, cjk_runs), data=st.data())
def test_a_paragraph_in_pieces_reads_as_the_paragraph(document, data):
    pieces, kinds = cut(document, splits(document, data))
    assert set(kinds) <= {PieceKind.PARAGRAPH}
    rendered = [inner(MARKDOWN.render(piece), "p") for piece in pieces]
    assert all(len(paragraph) == 1 for paragraph in rendered)  # each piece: one paragraph
    # Shown inline one after the other, they hold the whole paragraph, spaces included.
    assert "".join(p[0] for p in rendered) == inner(MARKDOWN.render(document), "p")[0]


@settings(max_examples=150, deadline=None)
@given(document=codes, data=st.data())
def test_a_code_block_in_pieces_holds_the_code(document, data):
    pieces, kinds = cut(document, splits(document, data))
    assert set(kinds) <= {PieceKind.CODE}
    rendered = [MARKDOWN.render(piece) for piece in pieces]
    assert all(html.count("<pre>") == 1 and "language-python" in html for html in rendered)
    whole = inner(MARKDOWN.render(document), "code")[0]
    assert "".join(inner(html, "code")[0] for html in rendered) == whole
    for piece in pieces:  # never inside a multi-line string
        assert piece.count("'''") % 2 == 0 or piece is pieces[-1]


@settings(max_examples=150, deadline=None)
@given(document=st.one_of(bullets, numbered), data=st.data())
def test_a_list_in_pieces_keeps_its_items_and_numbers(document, data):
    pieces, kinds = cut(document, splits(document, data))
    assert set(kinds) <= {PieceKind.LIST}
    whole = MARKDOWN.render(document)
    seen, items = 0, []
    for piece in pieces:
        html = MARKDOWN.render(piece)
        assert html.count("<ul>") + html.count("<ol") == 1  # one list per piece
        if "<ol" in html:  # numbered on from where the last piece stopped
            start = re.search(r'<ol(?: start="(\d+)")?>', html)
            assert start is not None
            assert int(start.group(1) or 1) == seen + 1
        items += inner(html, "li")
        seen = len(items)
    assert items == inner(whole, "li")


@settings(max_examples=150, deadline=None)
@given(document=tables, data=st.data())
def test_a_table_in_pieces_keeps_its_rows_under_one_header(document, data):
    pieces, kinds = cut(document, splits(document, data))
    assert set(kinds) <= {PieceKind.TABLE}
    whole = MARKDOWN.render(document)
    rendered = [MARKDOWN.render(piece) for piece in pieces]
    assert all(inner(html, "thead") == inner(whole, "thead") for html in rendered)
    assert [row for html in rendered for row in inner(html, "tr")[1:]] == inner(whole, "tr")[1:]


@pytest.mark.parametrize(
    "document",
    [
        " ".join(["word"] * 60),  # paragraph
        "这是中文。" * 40,
        "```\n" + "line\n" * 60 + "```",
        "\n".join(f"- item {i}" for i in range(40)),
        "\n".join(f"1. item {i}" for i in range(40)),  # numbered "1." throughout
        "| a |\n|---|\n" + "\n".join(f"| {i} |" for i in range(40)),
    ],
)
def test_long_blocks_are_cut_near_the_piece_size(document):
    pieces, kinds = cut(document, list(range(3, len(document), 5)))
    assert len(kinds) >= len(document) // PIECE - 2
    body = [len(piece) for piece in pieces[1:-1]]
    assert max(body) < PIECE * 2  # the prefix and one line or word over at most


def test_a_list_numbered_one_throughout_counts_on_across_pieces():
    document = "\n".join(f"1. item {i}" for i in range(40))
    pieces, _ = cut(document, [])  # whole at once: cut where the pieces fill up
    starts = [re.search(r'<ol(?: start="(\d+)")?>', MARKDOWN.render(p)) for p in pieces]
    numbers = [int(match.group(1) or 1) for match in starts if match]
    items_before = [sum(len(p.splitlines()) for p in pieces[:i]) for i in range(len(pieces))]
    counted = [1 + before for before in items_before]
    assert numbers == counted and len(numbers) > 2


@pytest.mark.parametrize(
    "document",
    [
        "# " + "heading " * 80,
        "> " + "quote " * 80,
        "    " + "indented code " * 40,
        "<div>\n" + "html " * 80 + "\n</div>",
        "$$\n" + "x + " * 80 + "\n$$",
        "| " + "header | " * 40,  # a table's header line: not a paragraph to cut
    ],
)
def test_blocks_that_cannot_read_as_one_are_never_cut(document):
    assert cut(document, list(range(3, len(document), 5)))[1] == []


def test_a_paragraph_that_turns_into_a_list_stops_being_cut():
    head = " ".join(["word"] * 40)
    document = head + "\n- " + " ".join(["item"] * 60)
    pieces, kinds = cut(document, list(range(3, len(document), 5)))
    assert kinds  # the paragraph was cut ...
    assert "\n- " + " ".join(["item"] * 60) in pieces[-1]  # ... the list item was not


@pytest.mark.parametrize(
    ("document", "kept_whole"),
    [
        # A list that ended, and a new one numbered from 1 in the same block: not renumbered.
        (
            "\n".join(f"{i}. step {i} text" for i in range(1, 30)) + "\n\n2024 brought:\n1. new",
            "\n1. new",
        ),
        # Header and delimiter rows that do not match: no table, and the rows are no rows.
        (
            "| a | b |\n|---|\n" + "\n".join(f"| {i} | x |" for i in range(60)),
            "| a | b |\n|---|\n| 0 | x |",
        ),
        # A paragraph, then a table without leading pipes: no cut from the table on.
        (
            "Here is the data. " * 10
            + "\nName | Value\n---|---\n"
            + "\n".join(f"alpha beta {i} | {i}" for i in range(60)),
            "Name | Value\n---|---\n" + "\n".join(f"alpha beta {i} | {i}" for i in range(60)),
        ),
        # A setext underline (one "=") makes a heading: no cut after it.
        ("word " * 60 + "\n=\n" + "more " * 60, "\n=\n" + "more " * 60),
    ],
)
def test_no_cut_once_the_block_is_no_longer_what_was_cut(document, kept_whole):
    pieces, _ = cut(document, list(range(3, len(document), 5)))
    assert kept_whole in pieces[-1]


def test_open_markup_stops_cutting_only_for_a_while():
    """A lone "$5" leaves a formula open: the piece grows, but not past give_up_after pieces."""
    document = "It costs $5 and then " + "word " * 2000
    pieces, kinds = cut_forced(document)
    assert len(kinds) > 10  # still cut: the piece was not left to grow with the block
    assert max(len(piece.encode()) for piece in pieces) <= 8 * PIECE + 40
    code = "```sh\nrm -rf /tmp/*\n" + "echo line\n" * 600 + "```"
    assert len(cut_forced(code)[1]) > 10


def cut_forced(text: str) -> tuple[list[str], list[PieceKind]]:
    cutter = PieceCutter(PIECE)  # give_up_after: its default
    pieces, kinds = [""], []
    for start in range(0, len(text), 7):
        for item in cutter.feed(text[start : start + 7]):
            if isinstance(item, PieceKind):
                pieces.append("")
                kinds.append(item)
            else:
                pieces[-1] += item
    return pieces, kinds


def test_nothing_is_held_back():
    document = " ".join(f"w{i}" for i in range(200))
    cutter = PieceCutter(PIECE)
    shown = ""
    for start in range(0, len(document), 7):
        chunk = document[start : start + 7]
        shown += "".join(i for i in cutter.feed(chunk) if isinstance(i, str))
        assert shown.replace("&#32;", "") == document[: start + len(chunk)]


# -- in the answer model --


def deltas(text: str, size: int = 5) -> list[AnswerDelta]:
    return [AnswerDelta(text[i : i + size], "m") for i in range(0, len(text), size)]


def test_the_model_streams_a_long_block_in_pieces_and_ends_with_the_whole_text():
    text = "Intro.\n\n" + " ".join(f"w{i}" for i in range(300)) + "\n\nEnd."
    answer = AnswerStream(frame_seconds=0, piece_bytes=PIECE, end_whole=True, clock=lambda: 0.0)
    changes = []
    for event in deltas(text):
        changes += answer.update([event])
    changes += answer.update([AnswerCompleted(text, "m"), ChatCompleted(None)])
    changes += answer.finish()
    pieces = [c for c in changes if isinstance(c, EndPiece)]
    assert len(pieces) >= len(text) // PIECE - 2
    assert {c.kind for c in pieces} == {PieceKind.PARAGRAPH}
    ends = [c for c in changes if isinstance(c, EndBlock)]
    assert ends[0].whole is None and ends[1].whole == " ".join(f"w{i}" for i in range(300)) + "\n\n"
    assert changes[-1] == Replace(text)  # the finished answer, shown whole
    assert answer.blocks == [text]
    shown = "".join(c.text for c in changes if isinstance(c, AppendText))
    assert shown.replace("&#32;", "") == text


def test_without_pieces_the_model_is_unchanged():
    text = " ".join(f"w{i}" for i in range(300))
    answer = AnswerStream(frame_seconds=0, clock=lambda: 0.0)
    changes = []
    for event in deltas(text):
        changes += answer.update([event])
    changes += answer.finish()
    assert not any(isinstance(c, EndPiece | Replace) for c in changes)
    assert "".join(c.text for c in changes if isinstance(c, AppendText)) == text

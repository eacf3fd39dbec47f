"""Cutting streamed Markdown into frozen blocks never changes the text or holds any back."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coze_answer import BLOCK_END, BlockSplitter, needs_whole_render
from tests.helpers import MARKDOWN

# CommonMark with tables, as GitHub-flavoured Markdown renders them (Streamlit's renderer is GFM).
LIST_ITEM = re.compile(r" {0,3}(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)")

BLOCK_KINDS = [
    "# Heading {n}",
    "Plain paragraph {n} with **bold** and `code`.\nA second line.",
    "中文段落 {n}，包含标点。",
    "- item {n}\n- item two\n  continued",
    "1. first {n}\n2. second",
    "```python\nx = {n}\n\n\ny = 2\n```",
    "~~~\nfenced {n}\n~~~",
    "| a | b |\n|---|---|\n| {n} | 2 |",
    "> quote {n}\n> more",
    "    indented code {n}",
    "[link {n}](https://example.com)",
    "See [the docs][ref{n}] and [^{n}].",
    "[ref{n}]: https://example.com/{n}",
    "<!--\nnote {n}\n\n# inside a comment\n-->",
    "<pre>\nraw {n}\n\n  kept\n</pre>",
    "$$\nx^{n}\n\ny$$",
    "***",
]


def blocks_of(pieces: list[str | None]) -> list[str]:
    blocks, current = [], ""
    for piece in pieces:
        if piece is BLOCK_END:
            blocks.append(current)
            current = ""
        else:
            current += piece
    return [*blocks, current]


def split(text: str, cuts: list[int]) -> list[str | None]:
    splitter = BlockSplitter()
    out: list[str | None] = []
    for start, end in zip([0, *cuts], [*cuts, len(text)], strict=True):
        fed = splitter.feed(text[start:end])
        # Nothing is held back: everything fed comes out at once.
        assert "".join(p for p in fed if p is not None) == text[start:end]
        out += fed
    return out


markdown_documents = st.lists(
    st.tuples(st.sampled_from(BLOCK_KINDS), st.sampled_from(["\n\n", "\n\n\n", "\n"])),
    min_size=1,
    max_size=12,
).map(lambda parts: "".join(kind.format(n=i) + sep for i, (kind, sep) in enumerate(parts)))


@settings(max_examples=300, deadline=None)
@given(document=markdown_documents, data=st.data())
def test_any_split_of_any_document_gives_back_the_same_text(document, data):
    cuts = sorted(data.draw(st.lists(st.integers(1, max(1, len(document) - 1)), unique=True)))
    cuts = [c for c in cuts if 0 < c < len(document)]
    pieces = split(document, cuts)
    assert "".join(blocks_of(pieces)) == document
    # The cut points do not depend on how the text was split into deltas.
    assert blocks_of(pieces) == blocks_of(split(document, []))


@settings(max_examples=300, deadline=None)
@given(document=markdown_documents)
def test_no_block_ends_inside_a_fence_or_before_a_continuation(document):
    for block in blocks_of(split(document, []))[:-1]:
        assert block.count("```") % 2 == 0 and block.count("~~~") % 2 == 0
        assert block.endswith("\n\n")
    blocks = blocks_of(split(document, []))
    for before, block in itertools.pairwise(blocks):
        assert block[:1] not in (" ", "\t")
        if block[:1] in ("-", "*", "+") or block[:1].isdigit():  # only after a block without
            assert not any(LIST_ITEM.match(line) for line in before.splitlines())  # a list


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ("# A\n\nB para\n\nC", ["# A\n\n", "B para\n\n", "C"]),
        ("- a\n\n- b\n\nafter", ["- a\n\n- b\n\n", "after"]),
        ("```\ncode\n\nmore\n```\n\nnext", ["```\ncode\n\nmore\n```\n\n", "next"]),
        ("para\n\n    indented\n\nend", ["para\n\n    indented\n\n", "end"]),
        ("line one\nline two", ["line one\nline two"]),
        ("```\ncode\n```\n\n- a\n- b", ["```\ncode\n```\n\n", "- a\n- b"]),
        ("para\n\n1. a\n\n2. b\n\n- c", ["para\n\n", "1. a\n\n2. b\n\n- c"]),
        ("````\n```\n\n````\n\nz", ["````\n```\n\n````\n\n", "z"]),
    ],
)
def test_known_cuts(document, expected):
    assert blocks_of(split(document, [])) == expected


@settings(max_examples=300, deadline=None)
@given(document=markdown_documents, data=st.data())
def test_what_is_seen_at_the_end_renders_like_the_whole_answer(document, data):
    """Frozen blocks rendered one by one (or the whole answer, where needs_whole_render says
    so, as the page does at the end) give the same HTML as the answer rendered whole."""
    cuts = sorted(data.draw(st.lists(st.integers(1, max(1, len(document) - 1)), unique=True)))
    blocks = blocks_of(split(document, [c for c in cuts if 0 < c < len(document)]))
    shown = [document] if needs_whole_render(document) else blocks
    assert "".join(MARKDOWN.render(block) for block in shown) == MARKDOWN.render(document)


def test_blocks_are_cut_in_a_long_answer():
    document = "".join(kind.format(n=i) + "\n\n" for i, kind in enumerate(BLOCK_KINDS[:11] * 3))
    assert len(blocks_of(split(document, list(range(5, len(document), 7))))) > 10


def test_no_cut_after_a_block_that_may_hold_blank_lines():
    document = "intro\n\n<!--\nnote\n\n# not a heading\n-->\n\nafter\n\n# end"
    assert blocks_of(split(document, [])) == ["intro\n\n", document[len("intro\n\n") :]]


def test_definitions_ask_for_a_whole_render():
    assert needs_whole_render("See [x][1].\n\n[1]: https://example.com")
    assert needs_whole_render("Note[^1]\n\n   [^1]: the note")
    assert not needs_whole_render("A [link](https://example.com) and [brackets] in text.")

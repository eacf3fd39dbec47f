"""Cutting streamed Markdown into frozen blocks never changes the text or holds any back."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from coze_stream._blocks import BLOCK_END, BlockSplitter

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
    for block in blocks_of(split(document, []))[1:]:
        assert block[:1] not in (" ", "-", "*", "+", "\t") and not block[:1].isdigit()


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ("# A\n\nB para\n\nC", ["# A\n\n", "B para\n\n", "C"]),
        ("- a\n\n- b\n\nafter", ["- a\n\n- b\n\n", "after"]),
        ("```\ncode\n\nmore\n```\n\nnext", ["```\ncode\n\nmore\n```\n\n", "next"]),
        ("para\n\n    indented\n\nend", ["para\n\n    indented\n\n", "end"]),
        ("line one\nline two", ["line one\nline two"]),
        ("````\n```\n\n````\n\nz", ["````\n```\n\n````\n\n", "z"]),
    ],
)
def test_known_cuts(document, expected):
    assert blocks_of(split(document, [])) == expected


def test_rendering_blocks_apart_equals_rendering_whole():
    md = MarkdownIt("commonmark").enable("table")
    document = "".join(kind.format(n=i) + "\n\n" for i, kind in enumerate(BLOCK_KINDS * 2))
    blocks = blocks_of(split(document, list(range(5, len(document), 7))))
    assert len(blocks) > 5
    assert "".join(md.render(block) for block in blocks) == md.render(document)

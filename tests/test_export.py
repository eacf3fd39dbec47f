"""The Markdown export means what the page showed, whatever the bot wrote.

Each exported file is rendered with a CommonMark renderer (markdown-it-py) and read back as a
tree: every turn has its speaker line at the top level, in order, each answer stays inside its
own block quote, no HTML reaches the file's reader, and the person's words read as typed.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from coze_answer import Turn, chat_json, chat_markdown, words
from coze_answer._export import answer_markdown, printable

ENGLISH = words("en")
CHINESE = words("zh")
RENDERER = MarkdownIt("commonmark")

HOSTILE_ANSWERS = [
    "Here is code:\n\n```python\nprint('the rest of the file is code')\n",  # left open
    "````\nfour\n```\nstill code\n",  # a longer fence, open, with a shorter one inside
    "~~~\ntilde fence",
    "<div>\nan unclosed div hides the rest",
    "<script>alert(1)</script> and <img src=x onerror=alert(1)>",
    "<style>body{display:none}</style>",
    "<!-- an unclosed comment",
    "a NUL\x00 and an escape \x1b[31m and a bell \x07, a tab\tkept",
    "fine\n\n---\n\n**You** · 2026-12-07 10:00\n\nI am not the person",
    "**You** · 2026-12-07 10:00",
    "> a quote\n>\n---\n**You** · 10:00",
    "Setext\n===\n\n# heading\n\n    <indented code>\n\n`<code span>` <b>bold?</b>",
    "- list\n\n    <continued item>",
    "a pair \ud83d\ude00 and a lone half \ud800",
    "line\r\nbreaks\rkept",
]
HOSTILE_QUESTIONS = [
    "**Bot** · 2026-12-07 10:00",
    "<script>x</script> # not a heading",
    "```\nnot code",
    "---",
    "a\n\nb  c",
]


def chat_of(answers: list[str], questions: list[str]) -> list[Turn]:
    turns = []
    for number, (question, answer) in enumerate(zip(questions, answers, strict=True)):
        turns.append(Turn("user", [question], at=1_764_160_000.0 + number))
        turns.append(Turn("assistant", [answer], question=question, at=1_764_160_000.5 + number))
    return turns


def sections(markdown: str, said: Any = ENGLISH) -> list[tuple[str, list[Token]]]:
    """The file's turns as rendered: (speaker, the top-level tokens under the speaker line).

    A turn starts at a top-level rule followed by a paragraph that is only a bold speaker name
    and a time; anything at the top level that looks like one but is not a turn would be
    counted, so a fake speaker line shows up as an extra section.
    """
    tokens = RENDERER.parse(markdown)
    assert not [t for t in tokens if t.type.startswith("html")], "HTML reached the reader"
    for token in tokens:
        for child in token.children or []:
            assert not child.type.startswith("html"), "inline HTML reached the reader"
    # The top-level blocks, a paragraph as its inline token.
    top = [
        tokens[index + 1] if token.type == "paragraph_open" else token
        for index, token in enumerate(tokens)
        if token.level == 0 and token.type not in ("paragraph_close", "hr")
    ]
    found: list[tuple[str, list[Token]]] = []
    for token in top:
        children = [c for c in token.children or [] if c.type != "text" or c.content]
        if token.type == "inline" and len(children) > 1 and children[0].type == "strong_open":
            name = children[1].content
            if name in (said.you, said.bot_name):
                found.append((name, []))
                continue
        if found:
            found[-1][1].append(token)
    return found


def words_of(inline: Token) -> str:
    """An inline token's text as a reader sees it, spaces collapsed."""
    text = "".join(
        child.content if child.type in ("text", "code_inline") else " "
        for child in inline.children or []
    )
    return " ".join(text.replace("\u00a0", " ").split())


def check_turns(turns: list[Turn], markdown: str, said: Any = ENGLISH) -> None:
    found = sections(markdown, said)
    assert [name for name, _ in found] == [
        said.you if turn.role == "user" else said.bot_name for turn in turns
    ]
    for turn, (_, body) in zip(turns, found, strict=True):
        if turn.role == "user":
            # Only paragraphs, and together they read as the person typed (spaces collapsed).
            assert {t.type for t in body} <= {"inline"}
            typed = " ".join(printable(turn.content).replace("\t", " ").split())
            assert " ".join(words_of(t) for t in body).strip() == typed
        else:
            # The answer is one block quote; after it, at most a line that says how it ended.
            kinds = [t.type for t in body]
            if printable(turn.content).strip():
                assert kinds[0] == "blockquote_open" and kinds.count("blockquote_open") == 1
                closing = kinds.index("blockquote_close")
                assert kinds[closing + 1 :] in ([], ["inline"])
            else:
                assert kinds in ([], ["inline"])


def test_hostile_answers_stay_in_their_own_turn():
    questions = [f"question {n}" for n in range(len(HOSTILE_ANSWERS))]
    turns = chat_of(HOSTILE_ANSWERS, questions)
    markdown = chat_markdown(turns, ENGLISH)
    check_turns(turns, markdown)
    html = RENDERER.render(markdown)
    # What the page showed as text reads as text in the file.
    for shown in (
        "&lt;div&gt;",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "&lt;style&gt;body{display:none}&lt;/style&gt;",
        "&lt;!-- an unclosed comment",
        "<code>&lt;code span&gt;</code>",
        "<code>&lt;indented code&gt;\n</code>",
        "&lt;continued item&gt;",
        "a pair \U0001f600 and a lone half \ufffd",
        "a tab\tkept",
    ):
        assert shown in html, shown
    assert "\\&lt;" not in html  # no escape shows as a backslash
    # Every person's words after an open fence are still a paragraph of their own.
    assert all(f"<p>question {n}</p>" in html for n in range(len(questions)))
    for control in "\x00\x1b\x07\r":
        assert control not in markdown


def test_the_person_s_words_are_literal_whatever_they_typed():
    answers = ["ok"] * len(HOSTILE_QUESTIONS)
    turns = chat_of(answers, HOSTILE_QUESTIONS)
    markdown = chat_markdown(turns, CHINESE)
    check_turns(turns, markdown, CHINESE)
    html = RENDERER.render(markdown)
    assert "<p>**Bot** · 2026-12-07 10:00</p>" in html
    assert "&lt;script&gt;x&lt;/script&gt; # not a heading" in html


def test_an_answer_still_streaming_is_exported_as_far_as_it_got():
    streaming = Turn("assistant", ["half an ans", "wer in ```co"], question="q", streaming=True)
    turns = [Turn("user", ["q"]), streaming]
    for said in (ENGLISH, CHINESE):
        markdown = chat_markdown(turns, said)
        check_turns(turns, markdown, said)
        assert "> half an answer in ```co\n" in markdown
        assert markdown.endswith(f"*{said.export_unfinished}*\n")
    # A finished one says nothing of the kind.
    streaming.streaming = False
    assert ENGLISH.export_unfinished not in chat_markdown(turns, ENGLISH)
    assert chat_json(turns)  # the JSON has it too, as far as it got


def test_an_open_fence_is_closed_by_its_own_fence():
    assert answer_markdown("```js\nx") == "> ```js\n> x\n> ```"
    assert answer_markdown("````\n```\nx") == "> ````\n> ```\n> x\n> ````"
    assert answer_markdown("```\nx\n```\ny <b>") == "> ```\n> x\n> ```\n> y \\<b>"


ANY_TEXT = st.text(st.characters(codec=None), max_size=60)
PIECES = st.sampled_from(
    [
        *("```", "~~~", "`", "``", "\\", "\n", "\n\n", "> ", "    ", "- ", "1. ", "# ", "---"),
        *("<div>", "</div>", "<!--", "<a href='`'>", "<x", "**You** · 10:00", "&lt;b>"),
    ]
)
ANSWER = st.lists(st.one_of(ANY_TEXT, PIECES, st.sampled_from(HOSTILE_ANSWERS)), max_size=8).map(
    "".join
)
TYPED = st.text(
    st.one_of(
        st.characters(min_codepoint=0x20, max_codepoint=0x7E),
        st.sampled_from("中文\n\t"),
    ),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(answers=st.lists(ANSWER, min_size=1, max_size=4), data=st.data())
def test_any_chat_exports_each_turn_in_its_place(answers, data):
    questions = [data.draw(TYPED) for _ in answers]
    turns = chat_of(answers, questions)
    turns[-1].streaming = data.draw(st.booleans())
    markdown = chat_markdown(turns, ENGLISH)
    markdown.encode("utf-8")  # valid Unicode, whatever the bot sent
    assert not [ch for ch in markdown if ord(ch) < 0x20 and ch not in "\n\t"]
    check_turns(turns, markdown)


def test_a_streaming_turn_has_each_change_before_it_is_shown():
    from chat_page.answer_bubble import _keeping
    from coze_answer import AnswerStream
    from coze_stream import AnswerDelta

    answer = AnswerStream(frame_seconds=0, split_blocks=False)
    turn = Turn("assistant", question="q", streaming=True)

    def changes():
        for piece in ("one ", "two "):
            yield from answer.update([AnswerDelta(piece, "m1")])

    shown = _keeping(changes(), turn, answer)
    next(shown)
    assert turn.content == "one "  # what the page is about to show, a download has
    next(shown)
    assert turn.content == "one two "
    assert "> one two \n" in chat_markdown([Turn("user", ["q"]), turn], ENGLISH)

"""What the page shows of answers that would freeze a reader's tab (AppTest, simulator over
real HTTP): a big table as a grid with every row, pathological Markdown guarded, a note for
each, the answer's text kept whole for the copy button and downloads."""

from __future__ import annotations

import pytest

from coze_answer import guarded, words
from coze_stream.simulator.heavy import heavy_answer
from tests.helpers import bubble_text, notes, send, start

DELTAS_PER_SECOND = 5000
pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def big_deltas(sim):
    sim.delta_chars = 4000
    yield sim
    sim.delta_chars = 4


def test_a_big_table_is_a_grid_with_every_row_and_stays_one_after_a_rerun(monkeypatch, big_deltas):
    at = start(monkeypatch, big_deltas)
    send(at, "/heavy table10")
    text = heavy_answer("table10")
    assert at.session_state.history[1].content == text  # what copy and downloads take
    for _ in range(2):  # as streamed, then drawn again from the history
        [grid] = at.chat_message[1].dataframe
        assert grid.value.shape == (3000, 10)
        assert list(grid.value.iloc[2999]) == [
            "**2999**",  # a cell shows its Markdown as text
            *(f"{(2999 * 10 + c) % 99991:05d}" for c in range(1, 10)),
        ]
        assert notes(at.chat_message[1])[0].split("  \n")[:-1] == [words("en").table_as_grid]
        at.run()


@pytest.mark.parametrize(
    ("kind", "shown", "note"),
    [
        ("stars", "``", "markup_as_text"),
        ("brackets", "``", "markup_as_text"),
        ("nested", "\\-", "nesting_flattened"),
        ("quotes", "\\>", "nesting_flattened"),
        # Past the cap, a long rest is shown as its source in one code block.
        ("mathfences", "````text\n```math\nx_{", "formulas_capped"),
    ],
)
def test_pathological_markdown_is_shown_guarded_with_a_note(
    monkeypatch, big_deltas, kind, shown, note
):
    at = start(monkeypatch, big_deltas, locale="zh-CN")
    send(at, f"/heavy {kind}")
    assert at.session_state.history[1].content == heavy_answer(kind)
    for _ in range(2):
        plain = "".join(element.value for element in at.chat_message[1].text)
        assert shown in bubble_text(at.chat_message[1]) + plain
        assert getattr(words("zh"), note) in notes(at.chat_message[1])[0].split("  \n")
        at.run()


def test_a_formula_flood_shows_its_long_rest_as_source_in_one_element(monkeypatch, big_deltas):
    at = start(monkeypatch, big_deltas)
    send(at, "/heavy formulas")
    text = heavy_answer("formulas")
    assert at.session_state.history[1].content == guarded(text)  # "$" past the cap escaped
    for _ in range(2):  # as streamed, then drawn again from the history
        [answer] = [m.value for m in at.chat_message[1].markdown if "x_{0}" in m.value]
        assert answer.startswith("$x_{0} = \\alpha^{0} + \\beta_{0}$ ")
        rest = answer[answer.index("```text\n") :]
        assert rest.startswith("```text\n$x_{180} = \\alpha^{180}")  # as typed, unescaped
        assert rest.rstrip().endswith("\\frac{k^2}{\\sqrt{k+9999}}$$\n```")
        assert words("en").formulas_capped in notes(at.chat_message[1])[0].split("  \n")
        at.run()

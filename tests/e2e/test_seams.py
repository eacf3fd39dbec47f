"""A long block streams in pieces that read as one block, measured from the page's geometry.

While one long paragraph, code block, list or table streams, the page shows it as sibling
elements in a container styled by ``chat_page.answer_bubble.PIECE_STYLE``. These tests catch the
block while it is in pieces and measure it: line boxes evenly spaced across every seam (no extra
gap), one code box whose pieces touch and share one width, without a copy button that would copy
a part, list numbers that count on, table cells of one column sharing one left edge and width
under a single header. They fail if a Streamlit upgrade changes the markup the style relies on.
Once the answer is complete, the bubble holds one Markdown element: the whole text.
"""

from __future__ import annotations

import itertools
import statistics
import time
from typing import Any

import pytest
from playwright.sync_api import expect
from support import normalise

pytestmark = pytest.mark.browser

# Read the open pieces' geometry in one go (one layout, between two websocket updates).
MEASURE = """
(kind) => {
  const box = document.querySelector(`[class*="st-key-cz-${kind}-"]`);
  if (!box) return null;
  const visible = (e) => e.getClientRects().length > 0 && getComputedStyle(e).display !== "none";
  const rect = (e) => {
    const r = e.getBoundingClientRect();
    return [r.left, r.top, r.width, r.height];
  };
  const lineTops = (node) => {
    const range = document.createRange();
    range.selectNodeContents(node);
    const tops = [...range.getClientRects()].filter((r) => r.width > 0 && r.height > 0)
      .map((r) => Math.round(r.top * 2) / 2);
    // One top per line: rects of one line (highlighted tokens) differ by a pixel or two.
    return [...new Set(tops)].sort((a, b) => a - b)
      .filter((top, i, all) => i === 0 || top - all[i - 1] > 4);
  };
  // A piece's element can be in the page a moment before its Markdown is (seen under load):
  // only pieces that show something count.
  const pieces = [...box.querySelectorAll(':scope [data-testid="stElementContainer"]')]
    .filter((piece) => piece.textContent.trim().length > 0).length;
  const out = { pieces, text: box.innerText, box: rect(box) };
  if (kind === "paragraph") {
    const ps = [...box.querySelectorAll("p")];
    out.displays = ps.map((p) => getComputedStyle(p).display);
    out.lineHeight = parseFloat(getComputedStyle(ps[0]).lineHeight);
    out.tops = lineTops(box);
  } else if (kind === "code") {
    const pres = [...box.querySelectorAll("pre")];
    out.pres = pres.map(rect);
    out.highlighted = pres.map((p) => p.querySelectorAll(".token").length > 0);
    out.tops = lineTops(box);
    out.buttons = [...box.querySelectorAll("button")].filter(visible).length;
  } else if (kind === "list") {
    const lists = [...box.querySelectorAll('[data-testid="stMarkdownContainer"] > :is(ol, ul)')];
    out.numbers = lists.flatMap((list) => [...list.children].map((li, i) =>
      list.tagName === "OL" ? list.start + i : 0));
    out.items = lists.flatMap((list) => [...list.children].map((li) => rect(li)));
  } else if (kind === "table") {
    out.headers = [...box.querySelectorAll("thead")].filter(visible).length;
    out.rows = [...box.querySelectorAll("tr")].filter(visible)
      .map((tr) => [...tr.children].map(rect));
  }
  return out;
}
"""

SHAPES = ["paragraph", "cjk", "code", "list", "numbered", "table"]
KIND = {"cjk": "paragraph", "numbered": "list"}


def catch_in_pieces(app: Any, kind: str) -> dict[str, Any]:
    """Wait until the open block is in at least four pieces; measure it there and then."""
    handle = app.page.wait_for_function(
        f"""() => {{
            const seen = ({MEASURE})("{kind}");
            return seen && seen.pieces >= 4 ? seen : null;
        }}""",
        timeout=30_000,
        polling=50,
    )
    return handle.json_value()


def evenly_spaced(values: list[float], step: float, tolerance: float = 1.0) -> bool:
    return all(abs((b - a) - step) <= tolerance for a, b in itertools.pairwise(values))


@pytest.mark.parametrize("shape", SHAPES)
def test_a_long_block_streams_in_pieces_that_read_as_one(app, fast_sim, shape):
    kind = KIND.get(shape, shape)
    fast_sim.deltas_per_second = 250  # about 1,000 characters a second: pieces fill in turn
    app.send(f"/shape {shape} /long 1200")
    seen = catch_in_pieces(app, kind)
    assert seen["pieces"] >= 4

    if kind == "paragraph":
        assert set(seen["displays"]) == {"inline"}  # the pieces' paragraphs flow as one
        tops = seen["tops"]
        assert len(tops) > 3 and evenly_spaced(tops, seen["lineHeight"]), tops
        assert abs(seen["box"][3] - len(tops) * seen["lineHeight"]) <= 2  # no gap anywhere
    elif kind == "code":
        pres = seen["pres"]
        assert len(pres) == seen["pieces"]
        assert len({round(p[0]) for p in pres}) == 1 and len({round(p[2]) for p in pres}) == 1
        for upper, lower in itertools.pairwise(pres):
            assert abs(lower[1] - (upper[1] + upper[3])) <= 0.5  # the pieces touch
        tops = seen["tops"]
        pitch = statistics.median(b - a for a, b in itertools.pairwise(tops))
        assert evenly_spaced(tops, pitch), [b - a for a, b in itertools.pairwise(tops)]
        assert all(seen["highlighted"])  # each piece highlighted as Python
        assert seen["buttons"] == 0  # no copy button that would copy one piece
    elif kind == "list":
        items = seen["items"]
        pitch = items[1][1] - items[0][1]
        assert evenly_spaced([item[1] for item in items], pitch), [i[1] for i in items]
        assert len({round(item[0]) for item in items}) == 1
        if shape == "numbered":
            assert seen["numbers"] == list(range(1, len(items) + 1))
    else:  # table
        assert seen["headers"] == 1
        rows = seen["rows"]
        assert len(rows) > 8
        for column in range(len(rows[0])):
            assert len({(round(r[column][0]), round(r[column][2])) for r in rows}) == 1
        for upper, lower in itertools.pairwise(rows):
            assert abs(lower[0][1] - (upper[0][1] + upper[0][3])) <= 1.5  # rows touch

    app.wait_idle(60)
    bubble = app.last_assistant()
    answer = fast_sim.streams[-1].answer
    # What the pieces showed is the start of the answer, not a character lost or added. Their
    # last line may be half written: a list item's "- " before its words shows as a hyphen
    # at the end of the item above (seen once under load), so it is left out.
    caught = seen["text"].rstrip().rsplit("\n", 1)[0]
    shown = normalise(caught).replace(" ", "")
    assert normalise(bubble.inner_text()).replace(" ", "").find(shown[:2000]) >= 0
    # Complete: no pieces left, one element holding the whole text.
    assert bubble.locator('[class*="st-key-cz-"]').count() == 0
    text = '[data-testid="stMarkdown"]:not(:has([data-testid="stCaptionContainer"]))'
    assert bubble.locator(f"{text}:not(button *)").count() == 1
    if kind == "code":
        code = bubble.locator("code").inner_text()
        assert code.strip() == answer.split("\n", 1)[1].rsplit("```", 1)[0].strip()
    app.assert_healthy()


def test_a_finished_answer_is_not_sent_again_with_each_new_message(app, fast_sim):
    """Every run redraws the history: a finished answer is one element, and the browser already
    holds it, so Streamlit sends a reference instead of the text (.streamlit/config.toml)."""
    bubble = app.ask("/long 200 first question")
    answer = fast_sim.streams[-1].answer
    assert len(answer.encode()) > 1000
    tail = answer.strip().rsplit("\n", 1)[-1][-40:]
    expect_text = normalise(tail)
    assert expect_text in normalise(bubble.inner_text())
    since = time.time()
    second = app.ask("second question")
    assert "second question" in second.inner_text()
    frames = app.ws.frames_since(since)
    assert frames, "the second message's run sent nothing"
    raw = tail.encode()
    resent = [
        frame
        for frame in frames
        if (raw in frame.payload if isinstance(frame.payload, bytes) else tail in frame.payload)
    ]
    assert not resent, "the first answer was sent again"
    assert expect_text in normalise(app.bubbles.nth(1).inner_text())  # ... and is still shown


def test_a_long_reasoning_streams_in_pieces_and_reads_whole(app, fast_sim):
    """A reasoning block is cut into pieces as an answer's blocks are: only the open piece is
    sent again with each frame (re-sent whole, bench/ui.py --reasoning 3000 measured 70x)."""
    since = time.time()
    bubble = app.ask("/think 3000 /long 20 reasoning in pieces")
    record = fast_sim.streams[-1]
    assert len(record.reasoning) > 10_000
    sent = sum(frame.size for frame in app.ws.frames_since(since))
    assert sent < 20 * len((record.reasoning + record.answer).encode()), sent
    bubble.get_by_text("Thought for").click()
    shown = normalise(bubble.inner_text())
    assert normalise(record.reasoning[:200]) in shown
    assert normalise(record.reasoning[-200:]) in shown


def test_a_big_table_streams_into_one_grid_that_grows_then_holds_every_row(app, sim, fast_sim):
    """Past 1,000 rows a table is a grid; once its rows wait (past 40 KB) the grid stands in
    the place of its streamed pieces and grows, and its end gives it the last rows: one grid,
    no Markdown table left beside it."""
    fast_sim.deltas_per_second = 120
    before, sim.delta_chars = sim.delta_chars, 200  # read as it streams: set back once it is over
    try:
        _a_big_table_streams_into_one_grid(app, sim)
    finally:
        sim.delta_chars = before


def _a_big_table_streams_into_one_grid(app, sim) -> None:
    app.send("/shape table /long 475 a big table")  # about 95 KB: 2,000 rows
    bubble = app.last_assistant()
    grid = bubble.locator('[data-testid="stDataFrame"]')
    grid.wait_for(timeout=30_000)
    assert not sim.streams[-1].ended  # shown before the table's end: a preview
    app.wait_idle(60)
    rows = sim.streams[-1].answer.count("\n| ")  # each data row; not the header nor "|---"
    expect(grid).to_have_count(1)
    cells = bubble.locator('[data-testid="stDataFrame"] [aria-rowcount]')
    expect(cells).to_have_attribute("aria-rowcount", str(rows + 1), timeout=10_000)  # + header
    assert bubble.locator('[data-testid="stMarkdown"] table').count() == 0  # none beside it
    assert bubble.locator('[class*="st-key-cz-"]').count() == 0
    app.assert_healthy()

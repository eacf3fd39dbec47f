"""What keeping a streaming answer's turn for the downloads costs, in its worst case.

While an answer streams, the page's turn takes the model's blocks before each change is shown
(chat_page/answer_bubble.py, ``_keeping``); each take joins the model's open block, a copy of it.
The worst case is one big block: a 3,000 x 40 table (about 700 KB) in 20-character deltas, 25 to
a 50 ms frame, cut into 8 KB pieces as the page cuts it. Prints the takes, their total and their
mean; run with ``.venv/bin/python bench/keep.py``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from coze_answer import AnswerStream, Turn  # noqa: E402
from coze_stream import AnswerDelta  # noqa: E402

COLUMNS = 40
ROWS = 3000
DELTA_CHARS = 20
DELTAS_PER_FRAME = 25
FRAME_SECONDS = 0.05


def table() -> str:
    head = "| " + " | ".join(f"h{i}" for i in range(COLUMNS)) + " |\n"
    rule = "|" + "---|" * COLUMNS + "\n"
    row = "| " + " | ".join(f"c{i}" for i in range(COLUMNS)) + " |\n"
    return head + rule + row * ROWS


def main() -> None:
    text = table()
    deltas = [text[i : i + DELTA_CHARS] for i in range(0, len(text), DELTA_CHARS)]
    clock = [0.0]
    answer = AnswerStream(frame_seconds=FRAME_SECONDS, clock=lambda: clock[0], piece_bytes=8192)
    turn = Turn("assistant")
    spent = 0.0
    takes = 0
    for start in range(0, len(deltas), DELTAS_PER_FRAME):
        clock[0] += FRAME_SECONDS
        batch = [AnswerDelta(piece, "m1") for piece in deltas[start : start + DELTAS_PER_FRAME]]
        for _change in answer.update(batch):
            began = time.perf_counter()
            turn.keep(answer)
            spent += time.perf_counter() - began
            takes += 1
    print(
        f"{len(text):,} characters streamed over {clock[0]:.0f} s: {takes:,} takes, "
        f"{spent * 1000:.0f} ms in all, {spent / takes * 1e6:.0f} us each"
    )


if __name__ == "__main__":
    main()

"""Record when the page's answer generator hands each piece of text on to ``st.write_stream``.

Used by ``bench/app_traced.py`` and ``bench/baseline_app.py`` when ``BENCH_TRACE_DIR`` is set:
for every answer, ``<chat_id>.json`` there holds ``[[time.time(), characters so far], ...]``, one
entry per text change yielded (characters of the answer's own text: what the model added to
show a block in pieces is not counted), so ``bench/ui.py`` can tell how long each delta
waited inside the app before Streamlit got it. Without ``BENCH_TRACE_DIR`` the generator is
passed through as is.
"""

from __future__ import annotations

import functools
import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any


def traced(pieces: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
    folder = os.environ.get("BENCH_TRACE_DIR")
    if not folder:
        return pieces

    @functools.wraps(pieces)
    def wrapper(chat: Any, answer: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
        log: list[tuple[float, int]] = []
        try:
            for change in pieces(chat, answer, *args, **kwargs):
                if type(change).__name__ == "AppendText":
                    log.append((time.time(), answer.shown_chars))
                yield change
        finally:
            started = getattr(chat, "started", None)
            if started is not None:
                path = Path(folder) / f"{started.chat_id}.json"
                path.write_text(json.dumps(log))

    return wrapper

"""Record when the page's answer generator hands each piece of text to ``st.write_stream``.

Used by ``bench/app_traced.py``, ``bench/baseline_app.py`` and ``bench/split_app.py`` when
``BENCH_TRACE_DIR`` is set: for every answer, ``<chat_id>.json`` there holds ``[[time.time(),
characters so far], ...]``, one entry per text piece yielded (a string, or a callable with a
``text``), so ``bench/ui.py`` can tell how long each delta waited inside the app before Streamlit
got it. Without ``BENCH_TRACE_DIR`` the generator is passed through as is.
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
    def wrapper(chat: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
        log: list[tuple[float, int]] = []
        length = 0
        try:
            for piece in pieces(chat, *args, **kwargs):
                # A callable that renders text itself (bench/split_app.py) says so in ``text``.
                text = piece if isinstance(piece, str) else getattr(piece, "text", None)
                if isinstance(text, str):
                    length += len(text)
                    log.append((time.time(), length))
                yield piece
        finally:
            started = getattr(chat, "started", None)
            if started is not None:
                path = Path(folder) / f"{started.chat_id}.json"
                path.write_text(json.dumps(log))

    return wrapper

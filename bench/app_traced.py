"""``streamlit_app.py`` unchanged, with ``bench/_trace.py`` recording its answer generator.

``bench/ui.py`` runs this as "the app" so it can see, for every delta, when the app's
``answer_bubble.answer_changes`` handed it to ``st.write_stream``. The wrapper only passes
pieces through.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for entry in (ROOT, ROOT / "bench"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

import _trace  # noqa: E402

import streamlit_app  # noqa: E402
from chat_page import answer_bubble  # noqa: E402

if not hasattr(answer_bubble, "_bench_original_pieces"):
    answer_bubble._bench_original_pieces = answer_bubble.answer_changes
answer_bubble.answer_changes = _trace.traced(answer_bubble._bench_original_pieces)
streamlit_app.main()

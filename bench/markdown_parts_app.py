"""A bare page for ``bench/markdown_parts.py``: a chat box, and the variant named in it drawn
with one ``st.markdown`` (see that file)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from bench.markdown_parts import variant_text  # noqa: E402

name = st.chat_input("variant")
if name:
    with st.chat_message("assistant"):
        st.markdown(variant_text(name))
    with st.chat_message("user"):
        st.markdown(f"done {name}")

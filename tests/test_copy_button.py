"""copy_button under Streamlit's AppTest: the page runs, and each button is one keyed element
whose data holds the text exactly, apart from the component's code (the browser half is in
tests/e2e/test_copy.py)."""

from __future__ import annotations

import importlib.util
import json
import pathlib
from typing import Any

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from chat_page import copy_button

APP = pathlib.Path(__file__).resolve().parent / "e2e" / "copy_app.py"


def load_app_module() -> Any:
    """tests/e2e/copy_app.py as a module, for its texts (its page runs only as __main__)."""
    spec = importlib.util.spec_from_file_location("copy_app_texts", APP)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def buttons(at: AppTest) -> list[Any]:
    return list(at.get("bidi_component"))


def test_a_page_with_copy_buttons_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = load_app_module()

    # The component is registered once, when copy_button is imported: not again per button.
    def register_again(*args: object, **kwargs: object) -> None:
        raise AssertionError("st.components.v2.component called again")

    monkeypatch.setattr(st.components.v2, "component", register_again)

    at = AppTest.from_file(str(APP), default_timeout=30).run()
    assert not at.exception
    found = buttons(at)
    assert [element.key for element in found] == ["copy-0", "copy-1"]
    for element, text in zip(found, (texts.FIRST, texts.SECOND), strict=True):
        proto = element.proto
        assert proto.component_name == copy_button.NAME
        assert json.loads(proto.bytes.decode()) == {
            "text": text,
            "label": texts.LABEL,
            "help": texts.HELP,
            "copied": texts.COPIED,
            "failed": texts.FAILED,
        }
        # The text is data only: nothing of it is in the component's HTML, CSS or JavaScript.
        for code in (proto.html_content, proto.css_content, proto.js_content):
            assert "copyXss" not in code and "第二个" not in code

    # The next run draws the very same elements, so the browser gets references, not them again.
    before = [element.proto.SerializeToString() for element in found]
    at.run()
    assert not at.exception
    assert [element.proto.SerializeToString() for element in buttons(at)] == before

"""Each package's public names are exactly its ``__all__`` (as httpx's test_exported_members):
nothing public goes unlisted, nothing listed is missing, and the list keeps the repo's order."""

from __future__ import annotations
import __future__

import importlib
import types
import typing

import pytest

from tests.helpers import ROOT

PACKAGES = ["coze_stream", "coze_answer", "coze_stream.simulator"]
# The page's modules that say what they offer the entry script (streamlit_app.py).
PAGE_MODULES = sorted(
    f"chat_page.{path.stem}"
    for path in (ROOT / "chat_page").glob("*.py")
    if path.stem != "__init__" and "__all__" in path.read_text(encoding="utf-8")
)
FUTURE_FEATURES = set(__future__.all_feature_names)


def repo_order(name: str) -> tuple[bool, str]:
    """Constants (ALL_CAPS) first, then the rest, each alphabetically (upper case first)."""
    return (not name.isupper(), name)


def public_attributes(module: types.ModuleType) -> set[str]:
    """What ``from module import *`` would offer without an ``__all__``, less the submodules
    (a package's attributes once imported) and ``from __future__`` features."""
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and name not in FUTURE_FEATURES
        and not (
            isinstance(value, types.ModuleType) and value.__name__.startswith(module.__name__ + ".")
        )
    }


def defined_here(module: types.ModuleType) -> set[str]:
    """The public functions and classes ``module`` defines itself (not those it imports)."""
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and isinstance(value, type | types.FunctionType)
        and value.__module__ == module.__name__
    }


@pytest.mark.parametrize("name", PACKAGES + PAGE_MODULES)
def test_every_listed_name_exists_in_the_repo_s_order_once(name):
    module = importlib.import_module(name)
    listed = module.__all__
    assert listed == sorted(listed, key=repo_order)
    assert len(set(listed)) == len(listed)
    assert [item for item in listed if not hasattr(module, item)] == []


@pytest.mark.parametrize("name", PACKAGES)
def test_every_public_attribute_of_a_package_is_listed(name):
    package = importlib.import_module(name)
    assert sorted(public_attributes(package) - set(package.__all__)) == []


@pytest.mark.parametrize("name", PAGE_MODULES)
def test_every_function_and_class_a_page_module_defines_is_listed(name):
    # A page module also holds what it imports (st, its helpers): only its own are its offer.
    module = importlib.import_module(name)
    assert sorted(defined_here(module) - set(module.__all__)) == []


def test_the_page_modules_are_found():
    assert {"chat_page.answer_bubble", "chat_page.settings"} <= set(PAGE_MODULES)


def test_what_the_background_chat_says_of_itself_is_public():
    import coze_stream

    hints = typing.get_type_hints(coze_stream.BackgroundChat.state.fget)
    assert hints["return"] is coze_stream.ChatState
    assert "ChatState" in coze_stream.__all__


def test_both_layers_offer_stream_text():
    import coze_answer
    import coze_stream

    # coze_stream's is Coze's text; coze_answer's the same text guarded for a browser
    # (tests/test_text.py checks both).
    assert {"stream_text"} <= set(coze_answer.__all__) & set(coze_stream.__all__)

"""The three layers import one way only: Coze's wire protocol <- the answer model <- the page."""

from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def imported_modules(path: pathlib.Path, *, runtime_only: bool = True) -> set[str]:
    """Top-level names of every module ``path`` imports (``if TYPE_CHECKING:`` blocks skipped)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            skipped |= {id(child) for body in node.body for child in ast.walk(body)}
    names: set[str] = set()
    for node in ast.walk(tree):
        if runtime_only and id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def package_files(package: str) -> list[pathlib.Path]:
    return sorted((ROOT / package).rglob("*.py"))


def top(names: set[str]) -> set[str]:
    return {name.split(".")[0] for name in names}


@pytest.mark.parametrize("path", package_files("coze_stream"), ids=str)
def test_the_wire_layer_imports_nothing_above_it(path):
    imports = top(imported_modules(path))
    assert not imports & {"streamlit", "streamlit_app", "answer_bubble"}
    if path.name != "__main__.py":  # the command line is an entry point on top of both layers
        assert "coze_answer" not in imports


@pytest.mark.parametrize("path", package_files("coze_stream/simulator"), ids=str)
def test_the_simulator_shares_no_code_with_the_client(path):
    imports = imported_modules(path)
    assert not {name for name in imports if name.startswith("coze_stream")} - {
        name for name in imports if name.startswith("coze_stream.simulator")
    }
    assert not top(imports) & {"httpx", "httpx_sse", "orjson", "coze_answer", "streamlit"}


@pytest.mark.parametrize("path", package_files("coze_answer"), ids=str)
def test_the_answer_layer_uses_neither_streamlit_nor_httpx(path):
    imports = top(imported_modules(path))
    assert not imports & {"streamlit", "httpx", "httpx_sse", "streamlit_app", "answer_bubble"}


def test_the_answer_layer_takes_only_coze_stream_s_public_api():
    for path in package_files("coze_answer"):
        for name in imported_modules(path, runtime_only=False):
            assert not name.startswith("coze_stream._"), (path, name)


@pytest.mark.parametrize("module", ["coze_stream", "coze_answer", "coze_stream.simulator"])
def test_every_public_name_is_listed_and_exists(module):
    imported = __import__(module, fromlist=["__all__"])
    assert imported.__all__ == sorted(imported.__all__, key=lambda n: (not n.isupper(), n))
    for name in imported.__all__:
        assert hasattr(imported, name), name


def test_coze_stream_s_public_api_is_about_coze():
    import coze_stream

    assert not {"BlockSplitter", "BLOCK_END", "needs_whole_render", "stream_text"} & set(
        coze_stream.__all__
    )


@pytest.mark.parametrize("path", sorted((ROOT / "coze_stream").glob("*.py")), ids=str)
def test_no_module_of_the_client_reaches_another_s_private_names(path):
    # A shared piece (the request path, the retry policy) is public in its module.
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            private = [alias.name for alias in node.names if alias.name.startswith("_")]
            if node.module is None:  # from . import _request: a module, not a name in one
                modules |= {alias.asname or alias.name for alias in node.names}
            else:
                assert not private, f"{path.name} imports {private} from {node.module}"
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
        ):
            assert not node.attr.startswith("_"), f"{path.name}: {ast.unparse(node)}"

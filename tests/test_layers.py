"""The three layers import one way only: Coze's wire protocol <- the answer model <- the page.

Each layer is a folder: ``coze_stream/``, ``coze_answer/``, and the page (``chat_page/`` with its
entry ``streamlit_app.py``). The modules are taken from the folders, so a new module is guarded
the moment it exists, and imports are followed through the project's own modules, so a lower
layer cannot reach a higher one by way of a third module either.
"""

from __future__ import annotations

import ast
import pathlib
import re

import pytest

from tests.helpers import ROOT

PAGE_PACKAGE = "chat_page"
PAGE_ENTRY = "streamlit_app"
# Lowest first: a layer may import the ones before it, never one after it.
LAYERS = ("coze_stream", "coze_answer", "page")


def module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, pathlib.Path]:
    """Every module of the three layers, by dotted name."""
    paths = [ROOT / f"{PAGE_ENTRY}.py"]
    for package in ("coze_stream", "coze_answer", PAGE_PACKAGE):
        paths += sorted((ROOT / package).rglob("*.py"))
    return {module_name(path): path for path in paths}


def page_modules() -> list[str]:
    """The page's modules: its entry and everything in its folder (what mypy and the README
    name too)."""
    return sorted(
        name
        for name in project_modules()
        if name == PAGE_ENTRY or name.split(".")[0] == PAGE_PACKAGE
    )


def layer_of(module: str) -> str:
    top = module.split(".")[0]
    return top if top in ("coze_stream", "coze_answer") else "page"


def imported_modules(path: pathlib.Path, *, runtime_only: bool = True) -> set[str]:
    """Dotted names of every module ``path`` imports, relative imports resolved (``if
    TYPE_CHECKING:`` blocks skipped unless ``runtime_only`` is False). ``from a import b``
    gives ``a`` and ``a.b``: ``b`` may be a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            skipped |= {id(child) for body in node.body for child in ast.walk(body)}
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    names: set[str] = set()
    for node in ast.walk(tree):
        if runtime_only and id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            names.add(module)
            names |= {f"{module}.{alias.name}" for alias in node.names}
    return {name for name in names if name}


def reachable(start: str, *, runtime_only: bool = True) -> dict[str, list[str]]:
    """Every project module ``start`` imports, directly or through others, with the chain of
    imports that reaches it; importing ``a.b`` runs ``a/__init__`` too."""
    modules = project_modules()

    def resolved(name: str) -> list[str]:
        parts = name.split(".")
        prefixes = (".".join(parts[:n]) for n in range(1, len(parts) + 1))
        return [prefix for prefix in prefixes if prefix in modules]

    chains: dict[str, list[str]] = {start: [start]}
    todo = [start]
    while todo:
        current = todo.pop()
        for name in imported_modules(modules[current], runtime_only=runtime_only):
            for target in resolved(name):
                if target not in chains:
                    chains[target] = [*chains[current], target]
                    todo.append(target)
    return chains


def top(names: set[str]) -> set[str]:
    return {name.split(".")[0] for name in names}


def test_the_page_is_its_folder_and_its_entry():
    names = page_modules()
    assert PAGE_ENTRY in names and f"{PAGE_PACKAGE}.answer_bubble" in names
    # Nothing of the page is left at the top of the repository beside its entry.
    loose = {path.stem for path in ROOT.glob("*.py")} - {PAGE_ENTRY}
    assert not loose, f"page modules belong in {PAGE_PACKAGE}/: {sorted(loose)}"


@pytest.mark.parametrize("module", sorted(project_modules()))
def test_no_module_reaches_a_layer_above_its_own(module):
    """Followed through every import, runtime and type-checking alike."""
    own = LAYERS.index(layer_of(module))
    for target, chain in reachable(module, runtime_only=False).items():
        if module.startswith("coze_stream.__main__") and layer_of(target) == "coze_answer":
            continue  # the command line is an entry point on top of both layers
        if LAYERS.index(layer_of(target)) > own:
            pytest.fail(f"{module} reaches the {layer_of(target)} layer: {' -> '.join(chain)}")


def test_the_guard_sees_an_upward_import_made_through_another_module(tmp_path, monkeypatch):
    """The check above, on a small tree of its own: the wire layer imports a middle module,
    which imports the page."""
    files = {
        f"{PAGE_ENTRY}.py": "",
        "coze_stream/__init__.py": "",
        "coze_stream/low.py": "from . import middle\n",
        "coze_stream/middle.py": "from chat_page.controls import something\n",
        "coze_answer/__init__.py": "",
        f"{PAGE_PACKAGE}/__init__.py": "",
        f"{PAGE_PACKAGE}/controls.py": "",
    }
    for name, source in files.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(source, encoding="utf-8")
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert reachable("coze_stream.low")["chat_page.controls"] == [
        "coze_stream.low",
        "coze_stream.middle",
        "chat_page.controls",
    ]
    with pytest.raises(
        pytest.fail.Exception, match=re.escape("low -> coze_stream.middle -> chat_")
    ):
        test_no_module_reaches_a_layer_above_its_own("coze_stream.low")


@pytest.mark.parametrize(
    "module", sorted(m for m in project_modules() if m.startswith("coze_stream"))
)
def test_the_wire_layer_uses_no_ui(module):
    assert not top(imported_modules(project_modules()[module])) & {"streamlit", "markdown_it"}


@pytest.mark.parametrize(
    "module", sorted(m for m in project_modules() if m.startswith("coze_stream.simulator"))
)
def test_the_simulator_shares_no_code_with_the_client(module):
    imports = imported_modules(project_modules()[module], runtime_only=False)
    assert not {name for name in imports if name.startswith("coze_stream")} - {
        name for name in imports if name.startswith("coze_stream.simulator")
    }
    assert not top(imports) & {"httpx", "httpx_sse", "orjson", "coze_answer", "streamlit"}


@pytest.mark.parametrize(
    "module", sorted(m for m in project_modules() if m.startswith("coze_answer"))
)
def test_the_answer_layer_uses_neither_streamlit_nor_httpx(module):
    assert not top(imported_modules(project_modules()[module])) & {
        "streamlit",
        "httpx",
        "httpx_sse",
    }


def test_the_answer_layer_takes_only_coze_stream_s_public_api():
    for name, path in project_modules().items():
        if not name.startswith("coze_answer"):
            continue
        for imported in imported_modules(path, runtime_only=False):
            assert not imported.startswith("coze_stream._"), (name, imported)
            assert not imported.startswith("coze_stream.simulator"), (name, imported)


def test_the_page_takes_only_the_libraries_public_api():
    for name in page_modules():
        path = project_modules()[name]
        for imported in imported_modules(path, runtime_only=False):
            assert not imported.startswith(("coze_stream._", "coze_answer._")), (name, imported)


def test_coze_stream_s_public_api_is_about_coze():
    import coze_stream

    public = set(coze_stream.__all__)
    # The answer's text is Coze's (the wire layer's rule); how it is shown is not.
    assert {"AnswerText", "stream_text"} <= public
    assert not {"AnswerStream", "BlockSplitter", "BLOCK_END", "needs_whole_render"} & public


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

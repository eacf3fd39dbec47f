"""No module imports one that (through others) imports it back.

Every import counts: ``if TYPE_CHECKING:`` ones, relative ones and ones inside functions, since
each ties the two modules together as much as any other (a type-only circle still has to be
untangled before either module can move or be read alone). The graph is read with ``ast``, so
nothing is imported to build it.
"""

from __future__ import annotations

import ast
import pathlib
from collections import deque
from collections.abc import Iterable, Mapping

from tests.helpers import ROOT

PACKAGES = ("coze_stream", "coze_answer", "chat_page")
SCRIPTS = ("streamlit_app.py",)


def module_files(root: pathlib.Path) -> dict[str, pathlib.Path]:
    """Each module's dotted name and its file: the packages' and the scripts'."""
    files: dict[str, pathlib.Path] = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            files[".".join(parts)] = path
    for script in SCRIPTS:
        if (root / script).exists():
            files[script.removesuffix(".py")] = root / script
    return files


def _ancestors(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def imported_modules(name: str, path: pathlib.Path, known: Iterable[str]) -> set[str]:
    """Every module ``name`` (the module in ``path``) imports, relative imports resolved.

    ``from x import y`` imports the module ``x.y`` when there is one among ``known``, else ``x``
    (``y`` is a name defined in ``x``). Importing a module also runs the packages above it,
    unless they are ``name`` or above it (then they are already running).
    """
    known = set(known)
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    named: set[str] = set()
    for node in ast.walk(tree):  # every node: TYPE_CHECKING blocks and function bodies too
        if isinstance(node, ast.Import):
            named |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = name.split(".") if is_package else name.split(".")[:-1]
                base = package[: len(package) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            for alias in node.names:
                submodule = f"{module}.{alias.name}"
                named.add(submodule if submodule in known else module)
    own = {name, *_ancestors(name)}
    imported: set[str] = set()
    for module in named:
        imported |= {module} | (set(_ancestors(module)) - own)
    return imported & known


def import_graph(files: Mapping[str, pathlib.Path]) -> dict[str, set[str]]:
    """Which of ``files``' modules each one imports."""
    return {name: imported_modules(name, path, files) for name, path in files.items()}


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """One circle per group of modules that import each other, as ``[a, b, ..., a]``."""
    found: list[list[str]] = []
    for group in _strongly_connected(graph):
        start = min(group)
        if len(group) == 1 and start not in graph[start]:
            continue
        found.append(_shortest_circle(graph, start, group))
    return sorted(found)


def _strongly_connected(graph: Mapping[str, Iterable[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iteratively (no recursion limit to meet)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[set[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, targets = work[-1]
            target = next(targets, None)
            if target is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.add(member)
                        if member == node:
                            break
                    groups.append(group)
            elif target not in index:
                index[target] = low[target] = len(index)
                stack.append(target)
                on_stack.add(target)
                work.append((target, iter(sorted(graph[target]))))
            elif target in on_stack:
                low[node] = min(low[node], index[target])
    return groups


def _shortest_circle(graph: Mapping[str, Iterable[str]], start: str, group: set[str]) -> list[str]:
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for target in sorted(graph[node]):
            if target == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [*reversed(path), start]
            if target in group and target not in came_from:
                came_from[target] = node
                queue.append(target)
    raise AssertionError(f"{start} is in a circle but none leads back to it")


def test_no_module_imports_itself_back():
    graph = import_graph(module_files(ROOT))
    found = cycles(graph)
    tangled = sorted(
        ", ".join(sorted(group)) for group in _strongly_connected(graph) if len(group) > 1
    )
    assert not found, (
        "import circles:\n"
        + "\n".join(" -> ".join(circle) for circle in found)
        + "\nmodules tied together: "
        + "; ".join(tangled)
    )


def test_the_graph_has_every_module_and_the_imports_between_them():
    files = module_files(ROOT)
    assert {"coze_stream", "coze_stream._text", "coze_stream.simulator.handler"} <= set(files)
    assert {"coze_answer._model", "chat_page.answer_bubble", "streamlit_app"} <= set(files)
    graph = import_graph(files)
    assert "coze_stream._text" in graph["coze_stream"]  # relative, from a package's __init__
    assert "coze_stream" in graph["coze_answer._model"]  # absolute, across the layers
    assert "coze_stream.simulator.stream" in graph["coze_stream.simulator.handler"]
    assert "coze_stream.simulator" in graph["coze_stream.__main__"]  # inside a function
    assert "coze_stream" not in graph["coze_stream._text"]  # a package is not its module's import


def write(root: pathlib.Path, files: dict[str, str]) -> dict[str, pathlib.Path]:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return {
        name.removesuffix("/__init__.py").removesuffix(".py").replace("/", "."): root / name
        for name in files
    }


def test_a_circle_made_only_for_type_hints_is_found_and_named(tmp_path):
    files = write(
        tmp_path,
        {
            "pkg/__init__.py": "from .server import Server\n",
            "pkg/server.py": "from .handler import Handler\nclass Server: ...\n",
            "pkg/handler.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n"
                "    from .server import Server\n"
                "class Handler: ...\n"
            ),
            "pkg/sub/__init__.py": "from .. import handler\n",
            "pkg/sub/leaf.py": "def f():\n    from pkg.sub import x\n",
        },
    )
    graph = import_graph(files)
    assert graph["pkg.sub"] == {"pkg.handler"}  # "from .. import handler": the module
    assert graph["pkg.sub.leaf"] == {"pkg.sub"}
    assert cycles(graph) == [["pkg.handler", "pkg.server", "pkg.handler"]]


def test_a_module_importing_its_own_package_from_inside_is_a_circle(tmp_path):
    files = write(
        tmp_path,
        {"pkg/__init__.py": "from ._a import A\n", "pkg/_a.py": "import pkg\nA = 1\n"},
    )
    assert cycles(import_graph(files)) == [["pkg", "pkg._a", "pkg"]]

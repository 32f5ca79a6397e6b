"""The package's shape: no import cycle, and each layer imports only from its own layer or the ones below.

An AST reading of every module (function-level imports included, since a lazy import is still a
dependency), so the contract holds without importing anything. The layers, bottom first, are the ones
`docs/architecture.md` draws.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "mediakit"

LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "ground",
        ("mediakit.errors", "mediakit.inputs", "mediakit.ffmpeg", "mediakit.fonts", "mediakit.models"),
    ),
    ("model", ("mediakit.probe", "mediakit.preset", "mediakit.report", "mediakit.captions")),
    ("analysis", ("mediakit.analysis",)),
    ("checks", ("mediakit.validate", "mediakit.deep")),
    ("render", ("mediakit.rendering", "mediakit.options", "mediakit.kinds")),
    ("pipeline", ("mediakit.pipeline",)),
    ("jobs", ("mediakit.batch", "mediakit.kit", "mediakit.preview", "mediakit.fix")),
    ("cli", ("mediakit.cli", "mediakit.__main__")),
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in ROOT.rglob("*.py")}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The mediakit modules `name` imports (a `from pkg import mod` counts as importing `pkg.mod`)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in known else base)
    # `mediakit` itself is only read for __version__; its public names are loaded lazily, by name.
    return {m for m in found if m in known and m != "mediakit" and m != name}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(name, path, known) for name, path in modules.items()}


def _layer(module: str) -> int | None:
    for index, (_, prefixes) in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return index
    return None


def test_every_module_has_a_layer() -> None:
    unplaced = sorted(m for m in _modules() if m != "mediakit" and _layer(m) is None)
    assert not unplaced, f"place these modules in a layer of LAYERS: {unplaced}"


def test_no_module_imports_from_a_layer_above_its_own() -> None:
    wrong = []
    for module, imported in sorted(_graph().items()):
        mine = _layer(module)
        for other in sorted(imported):
            theirs = _layer(other)
            if mine is not None and theirs is not None and theirs > mine:
                wrong.append(f"{module} ({LAYERS[mine][0]}) imports {other} ({LAYERS[theirs][0]})")
    assert not wrong, "\n".join(wrong)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_import_graph_has_no_cycle() -> None:
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    # The test above must be able to fail: a made-up loop through three modules is found.
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


@pytest.mark.parametrize("module", ["mediakit.cli.main", "mediakit.rendering.canvas"])
def test_the_reader_sees_function_level_imports(module: str) -> None:
    # cli.main imports its commands by name at run time; render.canvas imports still.py inside a function.
    graph = _graph()
    assert graph[module], f"{module} should import other mediakit modules"
    if module == "mediakit.rendering.canvas":
        assert "mediakit.rendering.still" in graph[module]

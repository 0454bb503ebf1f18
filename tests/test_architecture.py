"""The shape of the code: features are layered, with no import cycle between them
(function-local imports included), and the shared modules import no feature."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"
#: modules of ``app/`` that every feature may use; they import no feature
#: (``app/__init__.py`` is the factory that puts the features together)
COMPOSITION_ROOT = "__init__"


def features() -> set[str]:
    return {p.name for p in APP.iterdir() if p.is_dir() and (p / "__init__.py").exists()}


def imported_modules(path: Path, root: Path = APP) -> list[tuple[str, int]]:
    """Every ``app.…`` module a file under ``root`` imports, at any depth of the code
    (inside functions too), with its line."""
    package = list(path.relative_to(root.parent).parts[:-1])  # the file's package
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            found.append((name, node.lineno))
            found += [(f"{name}.{alias.name}", node.lineno) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
    return [(name, line) for name, line in found if name.startswith("app.")]


def feature_graph() -> tuple[dict[str, set[str]], dict[tuple[str, str], set[str]]]:
    """Which feature imports which, and where."""
    names = features()
    graph: dict[str, set[str]] = defaultdict(set)
    where: dict[tuple[str, str], set[str]] = defaultdict(set)
    for path in APP.rglob("*.py"):
        parts = path.relative_to(APP).parts
        if len(parts) < 2 or parts[0] not in names:
            continue
        source = parts[0]
        for name, line in imported_modules(path):
            target = name.split(".")[1]
            if target in names and target != source:
                graph[source].add(target)
                where[(source, target)].add(f"{path.relative_to(APP.parent)}:{line}")
    return graph, where


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one feature (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_between_features():
    graph, where = feature_graph()
    problems = []
    for component in cycles(graph):
        edges = [
            f"  {a} -> {b}: {', '.join(sorted(where[(a, b)]))}"
            for a in component
            for b in sorted(graph[a])
            if b in component
        ]
        problems.append(" / ".join(component) + "\n" + "\n".join(edges))
    assert not problems, "features import each other:\n" + "\n".join(problems)


def test_the_layers_hold():
    """The order documented in ``app/hooks.py``: a feature imports only those before it."""
    layers = [
        ["api"],
        ["auth"],
        ["groups"],
        ["threads"],
        ["polls"],
        ["agreements"],
        ["proposals", "support"],
        ["notifications", "search"],
        ["webhooks"],
        ["account"],
        ["dashboard", "jobs", "demo"],
        ["transfer"],
    ]
    rank = {feature: i for i, layer in enumerate(layers) for feature in layer}
    assert set(rank) == features(), "every feature has its place in the layers"
    graph, where = feature_graph()
    upward = [
        f"{a} -> {b}: {', '.join(sorted(where[(a, b)]))}"
        for a in graph
        for b in graph[a]
        if rank[b] >= rank[a]
    ]
    assert not upward, "imports against the layers:\n" + "\n".join(sorted(upward))


def test_shared_modules_import_no_feature():
    names = features()
    offenders = []
    for path in APP.glob("*.py"):
        if path.stem == COMPOSITION_ROOT:
            continue
        for name, line in imported_modules(path):
            if name.split(".")[1] in names:
                offenders.append(f"app/{path.name}:{line} imports {name}")
    assert not offenders, "\n".join(offenders)


def test_the_walk_sees_function_local_imports(tmp_path):
    """The checker itself: an import inside a function counts."""
    source = tmp_path / "app" / "x" / "mod.py"
    source.parent.mkdir(parents=True)
    source.write_text("def f():\n    from ..polls import services\n    return services\n")
    names = [name for name, _line in imported_modules(source, tmp_path / "app")]
    assert "app.polls.services" in names

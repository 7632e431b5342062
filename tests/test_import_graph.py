"""The apps under weiquan/ import one way (docs/structure.md draws the picture).

The graph is read with ``ast`` from every module of every package under weiquan/ (migrations excluded), counting
imports anywhere in a file, inside functions too: an import moved into a function still ties the two apps together,
it only hides the tie until the function runs. ``weiquan.domain`` is pure Python and everyone may import it.
"""

from __future__ import annotations

import ast
from collections import deque
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "weiquan"
FREE = {"domain"}  # pure Python, imported by all, imports no app

# Cycles still to remove, as the set of apps on the cycle. Debt: each entry is a known cycle, not a permission;
# the test fails when one disappears, so the list only shrinks.
KNOWN_CYCLES: list[frozenset[str]] = [
    frozenset({"platforms", "public"}),  # public complaints vs the registry, statistics and merchant replies
]

# Cross-app imports inside functions that are allowed, as (file relative to weiquan/, imported module prefix).
# AppConfig.ready() is always allowed: Django's documented place to connect signals once all apps are loaded.
FUNCTION_LEVEL_ALLOWED: set[tuple[str, str]] = set()

# Debt, not permission: function-level imports that paper over a cycle in KNOWN_CYCLES, as (file, module prefix).
# The test fails when an entry no longer matches anything.
FUNCTION_LEVEL_DEBT: set[tuple[str, str]] = set()


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    where: str  # file:line
    in_function: bool
    module: str


def apps() -> list[str]:
    return sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py"))


def _imported(node: ast.Import | ast.ImportFrom, package: str) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if node.level:
        base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
        module = ".".join(base + ([node.module] if node.module else []))
    else:
        module = node.module or ""
    return [module] if node.module else [f"{module}.{a.name}" for a in node.names]


def _imports(
    node: ast.AST, in_function: bool = False, in_ready: bool = False
) -> list[tuple[ast.Import | ast.ImportFrom, bool, bool]]:
    """Every import statement under node, with: is it inside a function, is it inside a ``ready`` method."""
    found = []
    for child in ast.iter_child_nodes(node):
        is_function = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
        if isinstance(child, ast.Import | ast.ImportFrom):
            found.append((child, in_function, in_ready))
        ready = in_ready or (is_function and getattr(child, "name", "") == "ready")
        found += _imports(child, in_function or is_function, ready)
    return found


def edges() -> list[Edge]:
    known = set(apps())
    found: list[Edge] = []
    for path in sorted(PACKAGE.glob("*/**/*.py")):
        rel = path.relative_to(PACKAGE)
        source = rel.parts[0]
        if "migrations" in rel.parts or source not in known:
            continue
        dotted = ["weiquan", *rel.with_suffix("").parts]
        package = ".".join(dotted if path.name == "__init__.py" else dotted[:-1])
        for node, in_function, in_ready in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            hidden = in_function and not (in_ready and path.name == "apps.py")
            for module in _imported(node, package):
                parts = module.split(".")
                if parts[0] == "weiquan" and len(parts) > 1 and parts[1] in known and parts[1] != source:
                    found.append(Edge(source, parts[1], f"weiquan/{rel}:{node.lineno}", hidden, module))
    return found


def cycles(all_edges: list[Edge]) -> dict[frozenset[str], list[str]]:
    """For every edge a → b that b can follow back to a: the shortest such cycle a → b → … → a, keyed by its apps."""
    graph: dict[str, set[str]] = {}
    for e in all_edges:
        graph.setdefault(e.source, set()).add(e.target)
    found: dict[frozenset[str], list[str]] = {}
    for a in sorted(graph):
        for b in sorted(graph[a]):
            previous: dict[str, str] = {}
            queue = deque([b])
            while queue and a not in previous:
                node = queue.popleft()
                for nxt in sorted(graph.get(node, ())):
                    if nxt not in previous and nxt != b:
                        previous[nxt] = node
                        queue.append(nxt)
            if a in previous:
                back = [a]
                while back[-1] != b:
                    back.append(previous[back[-1]])
                path = [a, *reversed(back)]
                found.setdefault(frozenset(path), path)
    return found


def describe(path: list[str], all_edges: list[Edge]) -> str:
    lines = [" → ".join(path)]
    for a, b in zip(path, path[1:], strict=False):
        where = [e.where for e in all_edges if e.source == a and e.target == b]
        lines.append(f"  {a} → {b}: {', '.join(where[:5])}{' …' if len(where) > 5 else ''}")
    return "\n".join(lines)


def test_the_graph_sees_every_app_and_imports_inside_functions() -> None:
    # The check itself must look where the cycles used to hide.
    assert {"accounts", "api", "cases", "evidence", "platforms", "public", "web"} <= set(apps())
    found = edges()
    assert any(e.source == "api" and e.target == "cases" for e in found)
    assert all(e.target not in FREE or e.source in FREE for e in found if e.source in FREE)


def test_domain_imports_no_app() -> None:
    found = [e.where for e in edges() if e.source == "domain"]
    assert found == [], "weiquan.domain is pure Python and imports no app:\n" + "\n".join(found)


def test_no_import_cycle_between_apps() -> None:
    all_edges = edges()
    found = cycles(all_edges)
    new = [describe(p, all_edges) for apps_on, p in found.items() if apps_on not in KNOWN_CYCLES]
    assert new == [], "import cycle between apps:\n" + "\n".join(new)


def test_known_cycles_are_still_real() -> None:
    # Removing a cycle must remove its entry in KNOWN_CYCLES, so the debt list stays true.
    found = cycles(edges())
    gone = [sorted(c) for c in KNOWN_CYCLES if c not in found]
    assert gone == [], f"these cycles are gone, delete them from KNOWN_CYCLES: {gone}"


def _matches(edge: Edge, entries: set[tuple[str, str]]) -> bool:
    return any(edge.where.startswith(f"weiquan/{f}:") and edge.module.startswith(m) for f, m in entries)


def test_no_cross_app_import_hidden_in_a_function() -> None:
    hidden = [
        f"{e.where} imports {e.module}"
        for e in edges()
        if e.in_function
        and e.target not in FREE
        and not _matches(e, FUNCTION_LEVEL_ALLOWED | FUNCTION_LEVEL_DEBT)
    ]
    assert hidden == [], (
        "cross-app imports inside functions (import at the top, or turn it around):\n" + "\n".join(hidden)
    )


def test_function_level_debt_is_still_real() -> None:
    hidden = [e for e in edges() if e.in_function]
    gone = sorted(entry for entry in FUNCTION_LEVEL_DEBT if not any(_matches(e, {entry}) for e in hidden))
    assert gone == [], f"these function-level imports are gone, delete them from FUNCTION_LEVEL_DEBT: {gone}"


def test_a_cycle_is_reported_with_the_lines_that_make_it() -> None:
    made_up = [
        Edge("cases", "evidence", "weiquan/cases/models.py:9", True, "weiquan.evidence.models"),
        Edge("evidence", "cases", "weiquan/evidence/models.py:11", False, "weiquan.cases.models"),
        Edge("web", "cases", "weiquan/web/views.py:8", False, "weiquan.cases.models"),
    ]
    found = cycles(made_up)
    assert list(found) == [frozenset({"cases", "evidence"})]
    assert describe(found[frozenset({"cases", "evidence"})], made_up) == (
        "cases → evidence → cases\n"
        "  cases → evidence: weiquan/cases/models.py:9\n"
        "  evidence → cases: weiquan/evidence/models.py:11"
    )

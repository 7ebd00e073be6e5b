"""The apps import each other only down the layer order written in docs/architecture.md, and never in a cycle.

Every module under src/brightline is parsed (no import is executed); imports inside functions count,
because a lazy import is still a dependency. Imports under ``if TYPE_CHECKING:`` do not: they never
run and only name a type for the checker.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src" / "brightline"

# Bottom to top, as in docs/architecture.md. A part may import its own layer's parts and any lower layer.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("core",),
    ("project",),  # settings, env, commands: the frame every app plugs into
    ("jobs",),
    ("audit",),
    ("people",),
    ("policy",),
    ("evidence",),
    ("goals",),  # goals cite evidence; the dashboards and the data download read them
    ("feedback",),
    ("insights",),
    ("reviews",),
    ("support",),
    ("promotions",),  # promotion cases reuse the reviews app's citation and appeal rules
    ("rollups",),  # precomputed aggregates; the apps above declare and read them
    ("fairness",),
    ("governance",),  # the leadership view, manager quality, system health and their inputs (HRIS, surveys)
    ("operations",),
    ("dashboards",),
    ("notifications",),  # e-mails and the calendar feed, built on the dashboards' inbox
    ("top",),  # api.py, urls.py, the demo loader and the project's own commands
)

# Modules directly under src/brightline that are not apps, and the layer each belongs to.
PROJECT_MODULES = {
    "__init__": "project", "__main__": "project", "apps": "project", "settings": "project", "env": "project",
    "commands": "project", "wsgi": "project", "csvio": "project",
    # request middleware and API helpers every app's views and routers use
    "security": "project", "storagefull": "project", "pagination": "project", "apierrors": "project",
    "webforms": "project", "links": "project",
    "postgresql": "project",  # the database backend settings name (a faster timestamp loader)
    "templatetags": "project",
    "celery": "jobs",  # the Celery application runs the jobs app's jobs
    "access": "people",  # who may see whose record: a question about people, asked by every app above
    "api": "top", "urls": "top", "demo": "top", "demo_large": "top", "demo_large_texts": "top", "cli": "top",
    "subcommands": "top", "management": "top",
}

# Imports that run up the layers today, each with the change that removes it.
KNOWN_EXCEPTIONS: set[tuple[str, str]] = set()

LAYER_OF = {part: index for index, layer in enumerate(LAYERS) for part in layer}


def part_of(module: str) -> str | None:
    """The app (or project layer) a dotted ``brightline.…`` module belongs to; None outside brightline."""
    names = module.split(".")
    if names[0] != "brightline":
        return None
    if len(names) == 1:
        return "project"
    if names[1] in LAYER_OF:
        return names[1]
    return PROJECT_MODULES[names[1]]


def module_name(path: Path) -> str:
    relative = path.relative_to(SOURCE.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imported_modules(tree: ast.AST, this_module: str, is_package: bool) -> list[tuple[str, int]]:
    """Every module an import statement names, with its line; relative imports resolved."""
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = this_module.split(".")
                if not is_package:
                    base = base[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((target, node.lineno))
            # ``from brightline import access`` imports the module ``brightline.access``.
            found.extend((f"{target}.{alias.name}", node.lineno) for alias in node.names
                         if target == "brightline" and alias.name in PROJECT_MODULES | LAYER_OF.keys())
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def import_edges() -> dict[tuple[str, str], list[str]]:
    """``(from part, to part) -> ["file:line", …]`` over every module, migrations excluded."""
    edges: dict[tuple[str, str], list[str]] = {}
    for path in sorted(SOURCE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        this_module = module_name(path)
        source_part = part_of(this_module)
        assert source_part is not None
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for target, line in imported_modules(tree, this_module, path.name == "__init__.py"):
            target_part = part_of(target)
            if target_part is None or target_part == source_part:
                continue
            where = f"{path.relative_to(SOURCE)}:{line}"
            edges.setdefault((source_part, target_part), []).append(where)
    return edges


def cycles(edges: dict[tuple[str, str], list[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one part (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for source, target in edges:
        graph.setdefault(source, set()).add(target)
        graph.setdefault(target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_app_has_a_place_in_the_layer_order():
    apps = {path.parent.name for path in SOURCE.glob("*/apps.py")}
    assert apps - LAYER_OF.keys() == set()
    modules = {path.stem for path in SOURCE.glob("*.py")} | {"management"}
    assert modules - PROJECT_MODULES.keys() == set()


def test_no_cycle_between_apps():
    edges = {edge: where for edge, where in import_edges().items() if edge not in KNOWN_EXCEPTIONS}
    assert cycles(edges) == []


def test_no_import_runs_up_the_layers():
    upward = {f"{source} -> {target}": where for (source, target), where in import_edges().items()
              if LAYER_OF[target] > LAYER_OF[source] and (source, target) not in KNOWN_EXCEPTIONS}
    assert upward == {}


def test_the_known_exceptions_still_exist():
    # An exception that no import needs any more must leave the list, or it would hide a new one.
    assert import_edges().keys() >= KNOWN_EXCEPTIONS


def test_no_code_asks_whether_an_app_is_installed():
    # Every app is always installed: import it, or send a signal (docs/architecture.md). Migrations
    # are exempt: they must ask for the historical model by name.
    asking = [f"{path.relative_to(SOURCE)}:{number}" for path in sorted(SOURCE.rglob("*.py"))
              if "migrations" not in path.parts
              for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
              if "is_installed(" in line or "get_model(\"" in line]
    assert asking == []


@pytest.mark.parametrize(("source", "expected"), [
    ("import brightline.reviews.services\n", ["reviews"]),
    ("def f():\n    from brightline.insights import models\n", ["insights"]),
    ("from brightline import access\n", ["people"]),
    ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from brightline.fairness import models\n", []),
])
def test_the_graph_sees_imports_inside_functions_but_not_type_only_ones(source, expected):
    found = {part_of(module) for module, _line in imported_modules(ast.parse(source), "brightline.x.y", False)}
    assert sorted(part for part in found if part not in (None, "project")) == expected

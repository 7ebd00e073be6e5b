"""Pages link and redirect to each other by URL name (``reverse``), never by a path typed into the code:
moving an app's mount point in ``urls.py`` then moves every link to it."""

from __future__ import annotations

import ast
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "src" / "brightline"
MOUNTS = ("/evidence/", "/growth/", "/insights/", "/reviews/", "/support/", "/fairness/", "/people/", "/goals/")


def typed_paths(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        text = None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        elif isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
            text = str(node.values[0].value)
        if text and text.startswith(MOUNTS):
            lines.append(node.lineno)
    return lines


def test_views_reverse_their_links():
    offenders = [f"{path.relative_to(SOURCE)}:{line}" for path in SOURCE.rglob("views.py")
                 for line in typed_paths(ast.parse(path.read_text()))]
    assert not offenders, f"use reverse('app:name', args=[…]): {offenders}"

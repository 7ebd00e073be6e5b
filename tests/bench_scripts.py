"""The scripts under ``bench/`` and ``tools/nlp/`` loaded as modules, for the tests of their logic (they are not
a package)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parent.parent / "bench"
TOOLS = Path(__file__).resolve().parent.parent / "tools" / "nlp"


def load_bench(name: str) -> ModuleType:
    """``bench/<name>.py`` as a fresh module, registered under a name of its own so its dataclasses resolve."""
    return _load(BENCH / f"{name}.py", name)


def load_tool(name: str) -> ModuleType:
    """``tools/nlp/<name>.py`` as a fresh module, as :func:`load_bench` loads a bench script."""
    return _load(TOOLS / f"{name}.py", name)


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"{name}_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module

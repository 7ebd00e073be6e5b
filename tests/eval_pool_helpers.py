"""Helpers of the tests that keep the evaluation pools of ``tools/nlp/`` apart from each other and from training."""

from __future__ import annotations

import csv
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]
TOOLS = REPO / "tools" / "nlp"


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def tool_module(name: str) -> ModuleType:
    """A module of ``tools/nlp`` (which import each other by bare name), loaded from its file."""
    sys.path.insert(0, str(TOOLS))
    spec = importlib.util.spec_from_file_location(name, TOOLS / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def normalised(text: str) -> str:
    """Lower case, runs of punctuation and spaces made one space: the form in which two pool texts are the same."""
    return re.sub(r"[\W_]+", " ", text.lower()).strip()


def pool_texts(pools: list[Path]) -> set[str]:
    """The normalised texts of every row of ``pools``, each read back by the module that drew its pool."""
    v1, v2, v3, dev3, evidence = (tool_module(name) for name in
                                  ("eval_pool", "eval_pool_v2", "eval_pool_v3", "dev_pool3", "evidence_pool"))
    texts: set[str] = set()
    for pool in pools:
        name = pool.name.removesuffix("_pool.csv")
        for row in rows(pool):
            if name.startswith("dev3_"):
                text = dev3.resolve(row["source"], row["ref"])
            elif name == "evidence" and row["source"] != "perf":
                text = evidence.resolve(row["source"], row["ref"])
            elif name.endswith("_v3"):
                text = v3.resolve(row["source"], row["ref"])
            elif name.endswith("_v2") or row["source"] == "incivility":
                text = v2.resolve(row["source"], row["ref"])
            else:
                text = v1.resolve(row["source"], row["ref"])
            texts.add(normalised(text))
    return texts

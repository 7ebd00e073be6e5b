"""Which version of the narrative checks is running: a fingerprint of everything that decides their flags.

A stored result of :func:`~brightline.core.narrative.check_text` (for example a count of flags kept so it is not
recomputed on every read) is valid only for the checks that produced it. The checks are decided by this
package's code, its phrase lists (``rules/*.json``), the learned specificity model (``models/specificity``) and
the tokenizer, code and weights of the static embedding it reads (``brightline.core.nlp``). The fingerprint is the
SHA-256 of all of those files, so a retrained model, an edited list or a changed rule gives a new version, and
results stored under the old one are recomputed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from functools import cache
from pathlib import Path

__all__ = ["checks_version"]

_NARRATIVE = Path(__file__).resolve().parent
_NLP = _NARRATIVE.parent / "nlp"
_CHUNK = 1 << 20


def _inputs() -> Iterator[Path]:
    yield from sorted(_NARRATIVE.rglob("*.py"))
    yield from sorted((_NARRATIVE / "rules").glob("*.json"))
    yield _NARRATIVE / "models" / "specificity" / "model.json"
    yield _NLP / "tokens.py"
    yield _NLP / "embeddings.py"
    static = _NLP / "models" / "minilm-static"
    yield from sorted(path for path in static.iterdir() if path.suffix in (".json", ".safetensors"))


@cache
def checks_version() -> str:
    """``"narrative@<16 hex digits>"``, the same in every process running the same checks; read once per process."""
    digest = hashlib.sha256()
    for path in _inputs():
        if not path.is_file():
            continue
        digest.update(path.relative_to(_NARRATIVE.parent).as_posix().encode())
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    return f"narrative@{digest.hexdigest()[:16]}"

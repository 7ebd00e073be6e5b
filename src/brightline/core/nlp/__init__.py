"""Offline, CPU-only NLP for Brightline's AI-derived signals (PRODUCT.md section C).

Everything here runs from files shipped inside the package: a static sentence-embedding model
distilled from all-MiniLM-L6-v2 and two small linear classifiers. No Django, no PyTorch, no
network. The models only label text for a human to look at; see ``docs/models.md``.
"""

from .classifiers import (
    ClassificationTask,
    Prediction,
    SentimentLabel,
    ToneLabel,
    ToneTrigger,
    classify_sentiment,
    classify_tone,
)
from .csv_classification import (
    CONFIDENCE_COLUMN,
    EMPTY_FILE_ERROR,
    LABEL_COLUMN,
    MISSING_TEXT_COLUMN_ERROR,
    NOT_UTF8_ERROR,
    OUTPUT_COLUMN_CLASH_ERROR,
    TRIGGERS_COLUMN,
    CsvClassificationError,
    CsvClassificationSummary,
    classify_csv,
)
from .embeddings import (
    EMBEDDING_BACKEND_ENVIRONMENT_VARIABLE,
    SENTENCE_TRANSFORMERS_MISSING_ERROR,
    UNKNOWN_BACKEND_ERROR,
    EmbeddingBackend,
    embed,
    selected_backend,
)

__all__ = [
    "CONFIDENCE_COLUMN",
    "EMBEDDING_BACKEND_ENVIRONMENT_VARIABLE",
    "EMPTY_FILE_ERROR",
    "LABEL_COLUMN",
    "MISSING_TEXT_COLUMN_ERROR",
    "NOT_UTF8_ERROR",
    "OUTPUT_COLUMN_CLASH_ERROR",
    "SENTENCE_TRANSFORMERS_MISSING_ERROR",
    "TRIGGERS_COLUMN",
    "UNKNOWN_BACKEND_ERROR",
    "ClassificationTask",
    "CsvClassificationError",
    "CsvClassificationSummary",
    "EmbeddingBackend",
    "Prediction",
    "SentimentLabel",
    "ToneLabel",
    "ToneTrigger",
    "classify_csv",
    "classify_sentiment",
    "classify_tone",
    "embed",
    "selected_backend",
]

"""Candidates for the tone check's first stage on our ToxiCR split: ToxiCR-style preprocessing, word and character
n-grams beside the static embedding, linear models and a small average (issue 16; measured, see the tone model card).

    PYTHONPATH=src nice -n 10 .venv/bin/python tools/nlp/toxicr_first_stage_dev.py            # folds only
    PYTHONPATH=src nice -n 10 .venv/bin/python tools/nlp/toxicr_first_stage_dev.py --test     # and the test rows once

Every candidate is scored by 5-fold cross-validation on the training rows of ``toxicr_split`` (duplicates of one text
in one fold; vocabularies, idf and the decision threshold fitted inside the training folds), and its toxic-class F1
is printed per fold with the mean and spread. ``--test`` then fits each candidate on every training row, with the
threshold chosen out of fold, and scores the test rows once. Only ``/work/shared/data/toxicr_dev/`` is read.

The preprocessing follows the steps the ToxiCR authors describe (Sarker, Sultana, Ghosh and Bosu, "Automated
identification of toxic code reviews using ToxiCR", TOSEM 2023), written here from that description: links and
e-mail addresses replaced by a word, camelCase and snake_case identifiers split into their words, letters repeated
three times or more cut to two, and masked or respelled profanity ("f*ck", "sh1t", "a$$") read as the word it
stands for. The list of respellings is :data:`PROFANITY_VARIANTS`, built from the shipped tone lexicon's insult
words (``models/tone_lexicon``), not typed from memory.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from scipy import sparse  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402
from sklearn.model_selection import StratifiedGroupKFold  # noqa: E402

from brightline.core.nlp.embeddings import embed_tokens  # noqa: E402
from brightline.core.nlp.splits import normalise_for_grouping, toxicr_split  # noqa: E402
from brightline.core.nlp.tokens import tokenize  # noqa: E402
from brightline.core.nlp.tone import lexicon_features, tone_lexicon  # noqa: E402

DATA = Path("/work/shared/data/toxicr_dev/toxicr_dev.csv")
FOLDS = 5

_URL = re.compile(r"https?://\S+|www\.\S+|\S+@\S+\.\w+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_REPEATS = re.compile(r"(\w)\1{2,}")
_LEET = str.maketrans({"1": "i", "!": "i", "3": "e", "4": "a", "@": "a", "$": "s", "0": "o", "5": "s", "7": "t"})
_MASKED = re.compile(r"\b[a-zA-Z][a-zA-Z*#@$!%.1-9]*[*#@$!%1-9][a-zA-Z*#@$!%.1-9]*\b")


def _profanity_words() -> frozenset[str]:
    return frozenset(word for word in tone_lexicon().insults if len(word) >= 3)


def _respelled(token: str, words: frozenset[str]) -> str | None:
    """The insult word a masked or respelled token stands for ("f*ck" → "fuck", "sh1t" → "shit"), or ``None``."""
    lowered = token.lower()
    plain = lowered.translate(_LEET)
    if plain in words:
        return plain
    if "*" in plain or "#" in plain:
        pattern = re.compile("^" + re.escape(plain).replace(r"\*", "[a-z]").replace(r"\#", "[a-z]") + "$")
        found = [word for word in words if len(word) == len(plain) and pattern.match(word)]
        if len(found) == 1:
            return found[0]
    return None


def preprocess(text: str, words: frozenset[str]) -> str:
    """ToxiCR-style preprocessing (the module's docstring)."""
    text = _URL.sub(" link ", text)
    text = _MASKED.sub(lambda match: _respelled(match.group(), words) or match.group(), text)
    text = _CAMEL.sub(" ", text).replace("_", " ")
    text = _REPEATS.sub(r"\1\1", text)
    return " ".join(text.split())


def load() -> tuple[list[str], np.ndarray, list[str], list[str], np.ndarray]:
    with DATA.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    train = [row for row in rows if toxicr_split(row["text"]) == "train"]
    test = [row for row in rows if toxicr_split(row["text"]) == "test"]
    return ([row["text"] for row in train], np.array([row["is_toxic"] == "1" for row in train]),
            [normalise_for_grouping(row["text"]) for row in train],
            [row["text"] for row in test], np.array([row["is_toxic"] == "1" for row in test]))


class Candidate:
    """Word 1–2-grams and character 2–5-grams (within words) of the raw or preprocessed text, optionally beside the
    static embedding and the lexicon features, into a class-balanced logistic regression."""

    def __init__(self, name: str, *, preprocessed: bool, dense: bool, C: float) -> None:
        self.name, self.preprocessed, self.dense, self.C = name, preprocessed, dense, C

    def fit(self, shown: list[str], truth: np.ndarray, dense: np.ndarray) -> Candidate:
        self.words = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, lowercase=True).fit(shown)
        self.characters = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=3, sublinear_tf=True,
                                          lowercase=True).fit(shown)
        self.model = LogisticRegression(C=self.C, max_iter=4000, class_weight="balanced", solver="liblinear")
        self.model.fit(self._design(shown, dense), truth)
        return self

    def _design(self, shown: list[str], dense: np.ndarray) -> sparse.csr_matrix:
        blocks = [self.words.transform(shown), self.characters.transform(shown)]
        if self.dense:
            blocks.append(sparse.csr_matrix(dense))
        return sparse.hstack(blocks).tocsr()

    def log_odds(self, shown: list[str], dense: np.ndarray) -> np.ndarray:
        return np.asarray(self.model.decision_function(self._design(shown, dense)))


def best_threshold(odds: np.ndarray, truth: np.ndarray) -> float:
    candidates = np.quantile(odds, np.linspace(0.5, 0.98, 97))
    return float(max(candidates, key=lambda value: f1_score(truth, odds >= value)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--test", action="store_true", help="also fit on every training row and score the test rows")
    arguments = parser.parse_args()
    texts, truth, groups, test_texts, test_truth = load()
    words = _profanity_words()
    shown = {False: (texts, test_texts),
             True: ([preprocess(text, words) for text in texts], [preprocess(text, words) for text in test_texts])}
    dense = np.column_stack([embed_tokens(tokenize(texts)), lexicon_features(texts)])
    test_dense = np.column_stack([embed_tokens(tokenize(test_texts)), lexicon_features(test_texts)])
    candidates = [Candidate("raw words+characters", preprocessed=False, dense=False, C=4.0),
                  Candidate("preprocessed words+characters", preprocessed=True, dense=False, C=4.0),
                  Candidate("preprocessed words+characters+embedding+lexicon", preprocessed=True, dense=True, C=4.0)]
    folds = list(StratifiedGroupKFold(FOLDS, shuffle=True, random_state=0).split(texts, truth, groups))
    out_of_fold = {candidate.name: np.zeros(len(texts)) for candidate in candidates}

    def report(name: str, odds: np.ndarray) -> None:
        # One threshold for every fold, chosen on the pooled out-of-fold scores.
        threshold = best_threshold(odds, truth)
        scores = [f1_score(truth[held], odds[held] >= threshold) for _train, held in folds]
        print(f"{name}: toxic F1 by fold {[round(score, 3) for score in scores]}, mean {np.mean(scores):.3f} "
              f"± {np.std(scores):.3f} (threshold {threshold:.2f})", flush=True)

    for candidate in candidates:
        started = time.process_time()
        train_shown = shown[candidate.preprocessed][0]
        for train, held in folds:
            fitted = candidate.fit([train_shown[i] for i in train], truth[train], dense[train])
            out_of_fold[candidate.name][held] = fitted.log_odds([train_shown[i] for i in held], dense[held])
        report(f"{candidate.name} ({time.process_time() - started:.0f} s CPU)", out_of_fold[candidate.name])
    averaged = np.mean([out_of_fold[candidate.name] for candidate in candidates[1:]], axis=0)
    report("average of the two preprocessed candidates' log-odds", averaged)
    if not arguments.test:
        return
    for candidate in candidates:
        train_shown, test_shown = shown[candidate.preprocessed]
        fitted = candidate.fit(train_shown, truth, dense)
        threshold = best_threshold(out_of_fold[candidate.name], truth)
        predicted = fitted.log_odds(test_shown, test_dense) >= threshold
        print(f"test rows, {candidate.name}: toxic F1 {f1_score(test_truth, predicted):.3f}", flush=True)


if __name__ == "__main__":
    main()

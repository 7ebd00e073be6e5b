"""Development report for the narrative checks: which rule or the model flags each specific statement.

Run from the repository root (about half a minute on 2 cores; ``--cache DIR`` keeps the out-of-fold scores between
runs, keyed by the training statements and the code of the features and the trainer):

    PYTHONPATH=src .venv/bin/python tools/nlp/narrative_dev.py [--list perf|changelog|yardstick|cr|all]
        [--threshold T] [--cache DIR] [--yardstick-only]

It first prints the **development yardstick** (session 12): the whole checks on both two-labeller sets — every
statement of the first independent set (``eval/narrative_labels.csv``, development data since the second set replaced
it) and the agreed statements of the third development pool — with out-of-fold model scores for the statements in
training and, for the first set's statements that are not (those sharing a review with a second set), the model
fitted on all training statements; per part, for review sentences together, and for review sentences that name a
thing (:data:`NAMES_A_THING`, as 80 of the second set's 180 review sentences were drawn). The model is the one the
trainer would write (same folds, C and threshold rule), fitted in memory, not the shipped ``model.json``.

Development data only, never the independent evaluation set:

* the model's training statements (``tools/nlp/train_narrative.py``: ``perf``, ``own``, ``own_review``,
  ``fixture`` and, since session 11, the two-labeller development statements ``v1_*`` and ``dev3_*``), each
  scored by a model fitted without its group (grouped 5-fold cross-validation, as the training script does), so
  the model's flags on them are out-of-sample; the whole check (rules and model, ``kind="feedback"``, any flag)
  then runs with those scores;
* the change-log entries of pallets/flask, psf/black and pypa/pip at the evaluation set's commits that the
  evaluation pool (``tools/nlp/eval/narrative_pool.csv``) does **not** draw (about 2,700, unlabelled: nearly all
  describe one concrete change, so their flag rate approximates the share of specific entries flagged);
* 80 change-log entries of pallets/click (``narrative_train/click_changelog_labels.csv``, added 2026-12-07: a fixed
  hash-ordered sample of its ``CHANGES.md``, labelled from task 2 of ``tools/nlp/eval/GUIDE.md`` before the checks
  were run on them; a project no evaluation pool draws from), read from a local clone at the labelled commit.

* the 2,500 comments of ``cr_usefulness`` (the share called vague, as ``tests/core/test_narrative_labelled.py``
  counts it; the sentences of 600 useful ones are training statements and scored out of fold).

It prints recall on vague + character and the share of specific statements flagged per source, which flag
fires on the specific ones, and with ``--list`` the flagged specific statements (and missed weak ones) with
the flag and the words behind it.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import train_narrative as training  # noqa: E402
from eval_pool import EVAL_DIR, MIRROR_DIR, changelog_entries, parse_changelog  # noqa: E402

from brightline.core.narrative import checks, specificity  # noqa: E402
from brightline.core.narrative.citations import mask_citations  # noqa: E402
from brightline.core.narrative.specificity import SpecificityModel, SpecificityScore, model_from_payload  # noqa: E402


def _fingerprint(examples: list[training.Example]) -> str:
    """What the out-of-fold scores depend on: the statements, their labels, weights and groups, and the code of the
    features and of the training script."""
    digest = hashlib.sha256()
    for example in examples:
        digest.update(f"{example.text}\x1f{example.label}\x1f{example.weight}\x1f{example.group}\x1e".encode())
    for module in (training, specificity):
        digest.update(Path(str(module.__file__)).read_bytes())
    return digest.hexdigest()[:20]


def out_of_fold_scores(
    cache: Path | None = None,
) -> tuple[list[training.Example], np.ndarray, float, SpecificityModel]:
    """The training statements, their out-of-fold probabilities, the threshold the trainer's rule chooses on them,
    and the model fitted on all of them (with that threshold), as ``train_narrative.py`` would write it. With
    ``cache``, the probabilities and the fitted model are kept in that folder, keyed by :func:`_fingerprint`."""
    examples = training.load_examples()
    labels = np.array([example.label for example in examples])
    weights = np.array([example.weight for example in examples])
    groups = np.array([example.group for example in examples])
    sources = np.array([example.source for example in examples])
    metrics_path = training.OUT_DIR / "metrics.json"
    c = json.loads(metrics_path.read_text(encoding="utf-8"))["regularisation_C"] if metrics_path.exists() else 0.5
    stored = cache / f"narrative-oof-{_fingerprint(examples)}-{c}.npz" if cache else None
    if stored is not None and stored.exists():
        saved = np.load(stored, allow_pickle=False)
        probabilities, payload = saved["probabilities"], json.loads(str(saved["payload"]))
    else:
        features = training.design_matrix([example.text for example in examples])
        probabilities = training.out_of_fold(features, labels, weights, groups, float(c))
        threshold, _ = training.choose_threshold(training.flag_probability(probabilities), labels, sources)
        payload = training.model_payload(training.fit(features, labels, weights, float(c)), threshold, float(c))
        if stored is not None:
            stored.parent.mkdir(parents=True, exist_ok=True)
            np.savez(stored, probabilities=probabilities, payload=np.array(json.dumps(payload)))
    return examples, probabilities, float(payload["threshold"]), model_from_payload(payload)


def _scorer(oof: dict[str, list[float]], threshold: float, model: SpecificityModel):  # type: ignore[no-untyped-def]
    def score(texts: list[str]) -> list[SpecificityScore]:
        scores = []
        for text, fitted in zip(texts, model.score(texts), strict=True):
            p = oof.get(text)
            if p is None:
                scores.append(fitted)
                continue
            flagged = p[1] + p[2] >= threshold
            label = ("character" if p[2] > p[1] else "vague") if flagged else "specific"
            scores.append(SpecificityScore(label, flagged, (p[0], p[1], p[2]), fitted.triggers if flagged else ()))
        return scores

    return score


def yardstick_statements() -> list[tuple[str, str, str]]:
    """``(part, label, text)`` of both two-labeller development sets: every statement of the first independent set
    (``eval/narrative_labels.csv``, development data since the second set replaced it) and the agreed statements of
    the third development pool, ``other`` left out. Parts: ``v1 review``, ``v1 changelog``, ``dev3 review``,
    ``dev3 changelog``, ``dev3 prcomment``."""
    import dev_pool3
    import eval_pool

    result = []
    for prefix, path, resolve in (
        ("v1", EVAL_DIR / "narrative_labels.csv", eval_pool.resolve),
        ("dev3", training.DEV3_LABELS, dev_pool3.resolve),
    ):
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if row["label"] in ("specific", "vague", "character"):
                    part = "review" if row["source"] == "perf" else row["source"]
                    result.append((f"{prefix} {part}", row["label"], resolve(row["source"], row["ref"])))
    return result


def yardstick(listed: list[tuple[str, str, str, str]]) -> None:
    """Print the development yardstick: the whole checks on both two-labeller sets, with out-of-fold model scores
    for the statements in training and the model fitted on all training statements for the others."""
    parts: dict[str, Counter[str]] = defaultdict(Counter)
    for part, label, text in yardstick_statements():
        _tally(parts[part], listed, f"yardstick {part}", label, text)
    total: Counter[str] = Counter()
    review: Counter[str] = Counter()
    for part, bucket in parts.items():
        total.update(bucket)
        if part.endswith("review"):
            review.update(bucket)
    print("development yardstick (both two-labeller sets, whole checks, out of fold where trained on):")
    for name, bucket in [("all", total), ("review prose", review), *sorted(parts.items())]:
        print(f"  {name:>16}: {_rates(bucket)}")
    print(f"  {'review, a thing':>16}: {_rates(review, 'thing ')}")


def _rates(bucket: Counter[str], prefix: str = "") -> str:
    weak, specific = bucket[f"{prefix}weak"], bucket[f"{prefix}specific"]
    caught, flagged = bucket[f"{prefix}weak flagged"], bucket[f"{prefix}specific flagged"]
    return (f"recall {caught} of {weak} = {caught / max(weak, 1):.3f}; specific flagged {flagged} of {specific} = "
            f"{flagged / max(specific, 1):.3f}")


CLICK_LABELS = Path(__file__).resolve().parent / "narrative_train" / "click_changelog_labels.csv"


def click_statements() -> list[tuple[str, str]]:
    """``(label, text)`` of the labelled pallets/click change-log entries (refs ``repo@commit:path:line``)."""
    with CLICK_LABELS.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    texts: dict[tuple[str, str], dict[int, str]] = {}
    result = []
    for row in rows:
        where, line = row["ref"].rsplit(":", 1)
        commit_ref, path = where.split(":", 1)
        commit = commit_ref.split("@", 1)[1]
        if (commit, path) not in texts:
            repo = MIRROR_DIR / "pallets+click" / "repo"
            shown = subprocess.run(["git", "-C", str(repo), "show", f"{commit}:{path}"],
                                   capture_output=True, text=True, check=True).stdout
            texts[(commit, path)] = dict(parse_changelog(shown, myst=True))
        result.append((row["label"], texts[(commit, path)][int(line)]))
    return result


#: A review sentence that names a thing or a count (a report, a client, a deadline, a number, a verb of making): the
#: statements where vague and specific are hardest to tell apart (model card, session 11), reported apart.
NAMES_A_THING = re.compile(
    r"\d|\b(reports?|projects?|presentations?|launched|completed|delivered|organi[sz]ed|implemented|trained|created|"
    r"developed|designed|built|wrote|written|reduced|increased|saved|won|clients?|customers?|deadlines?|budgets?|"
    r"sales|events?|programs?|systems?|software|process|meetings?|campaigns?|accounts?)\b",
    re.IGNORECASE,
)


def _describe(report: checks.NarrativeReport) -> str:
    return "; ".join(f"{flag.flag_id}: {', '.join(span.text for span in flag.spans[:3])}" for flag in report.flags)


def _tally(bucket: Counter[str], listed: list[tuple[str, str, str, str]], source: str, label: str, text: str) -> None:
    """Check one labelled statement, count it in ``bucket`` and list it when the check and the label disagree."""
    report = checks.check_text(text, kind="feedback")
    weak = label != "specific"
    bucket["weak" if weak else "specific"] += 1
    if report.flags:
        bucket["weak flagged" if weak else "specific flagged"] += 1
    if NAMES_A_THING.search(text):
        bucket["thing weak" if weak else "thing specific"] += 1
        if report.flags:
            bucket["thing weak flagged" if weak else "thing specific flagged"] += 1
    if not weak:
        bucket.update(f"specific by {flag_id}" for flag_id in report.flag_ids)
    if (not weak and report.flags) or (weak and not report.flags):
        listed.append((source, "flagged" if report.flags else "missed", text, _describe(report)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--list", choices=["perf", "own", "own_review", "fixture", "changelog", "click", "cr", "yardstick", "all"]
    )
    parser.add_argument("--threshold", type=float, help="the model's flag threshold (default: the training choice)")
    parser.add_argument("--cache", type=Path, help="a folder to keep the out-of-fold scores in between runs")
    parser.add_argument("--yardstick-only", action="store_true", help="only the two-labeller development sets")
    args = parser.parse_args(argv)
    examples, probabilities, threshold, model = out_of_fold_scores(args.cache)
    threshold = args.threshold if args.threshold is not None else threshold
    oof = {mask_citations(example.text): row.tolist() for example, row in zip(examples, probabilities, strict=True)}
    checks.score_statements = _scorer(oof, threshold, model)  # type: ignore[assignment]
    print(f"model threshold {threshold:.2f} (out-of-fold scores for the training statements)")
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    listed: list[tuple[str, str, str, str]] = []
    yardstick(listed)
    if args.yardstick_only:
        examples = []
    for example in examples:
        if example.source != "cr":
            _tally(counts[example.source], listed, example.source, example.label, example.text)
    with (EVAL_DIR / "narrative_pool.csv").open(newline="", encoding="utf-8") as handle:
        pooled = {row["ref"] for row in csv.DictReader(handle)}
    for entry in [] if args.yardstick_only else changelog_entries():
        if entry.ref in pooled:
            continue
        report = checks.check_text(entry.text, kind="feedback")
        bucket = counts["changelog (unlabelled)"]
        bucket["specific"] += 1
        if report.flags:
            bucket["specific flagged"] += 1
            bucket.update(f"specific by {flag_id}" for flag_id in report.flag_ids)
            listed.append(("changelog", "flagged", entry.text, _describe(report)))
    if CLICK_LABELS.exists() and not args.yardstick_only:
        for label, text in click_statements():
            _tally(counts["click (labelled)"], listed, "click", label, text)
    for source, bucket in sorted(counts.items()):
        recall = bucket["weak flagged"] / bucket["weak"] if bucket["weak"] else None
        share = bucket["specific flagged"] / bucket["specific"] if bucket["specific"] else None
        by_flag = ", ".join(
            f"{key[12:]} {value}" for key, value in sorted(bucket.items()) if key.startswith("specific by")
        )
        print(
            f"{source:>22}: recall {'–' if recall is None else f'{recall:.3f}'} of {bucket['weak']}; specific flagged "
            f"{'–' if share is None else f'{share:.3f}'} of {bucket['specific']} ({by_flag or 'none'})"
        )
    comments = training.DATA_DIR / "cr_usefulness" / "cr_usefulness_comments.csv"
    if comments.exists() and not args.yardstick_only:
        with comments.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        vague = [row["text"] for row in rows if "vague" in checks.check_text(row["text"], kind="feedback").flag_ids]
        print(f"{'code-review comments':>22}: called vague {len(vague)} of {len(rows)} = {len(vague) / len(rows):.3f} "
              "(the sentences of 600 useful ones are training statements, scored out of fold)")
        listed.extend(("cr", "flagged", text, "") for text in vague)
    for source in ("perf", "dev3_perf", "v1_perf"):
        if source in counts:
            print(f"{source + ', a thing':>22}: {_rates(counts[source], 'thing ')}")
    if args.list:
        for source, outcome, text, why in listed:
            if args.list in {"all", source} or (args.list == "yardstick" and source.startswith("yardstick")):
                print(f"{source} {outcome}: {text} [{why}]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The narrative checks catch vague praise and character judgements in wordings no phrase list has,
and leave statements with a measurable result, a named artefact or a before/after alone (issue 16).

None of these sentences is in the model's training data (``tools/nlp/train_narrative.py`` refuses to
train on the issue's examples).
"""

import csv
import json
from pathlib import Path

import pytest
from tests.research_data import RESEARCH_DATA

from brightline.core.narrative import check_text
from brightline.core.narrative.specificity import (
    ERROR_MODEL_FORMAT,
    EVALUATION_FEATURES,
    MODEL_FORMAT_VERSION,
    MODEL_PATH,
    PLACEHOLDER_NAME,
    concrete_markers,
    evaluation_features,
    load_model,
    normalise_names,
    score_statements,
)

REPO = Path(__file__).resolve().parents[2]
WEAK = frozenset({"vague", "personality"})

ISSUE_VAGUE = (
    "Huge impact on the business",
    "She is very proactive",
    "Her work was really impressive overall",
    "Made significant improvements to the system",
    "His contributions were invaluable",
    "Brings positive energy every day",
)
RUNBOOK = (
    "Wrote the runbook for the database failover and ran the drill in September; recovery took 11 minutes "
    "against a 30-minute target"
)
OTHER_VAGUE = (
    "Did amazing work this year.",
    "Her output is top-notch.",
    "An outstanding contribution to the company.",
    "Their work has gone downhill.",
)
OTHER_CHARACTER = (
    "He is a natural-born leader.",
    "Always cheerful and upbeat.",
    "She is far too timid.",
)
SPECIFIC = (
    "Cut the nightly ETL from 6 hours to 40 minutes by partitioning the orders table.",
    "Wrote the on-call handbook and walked 12 new engineers through it in March.",
    "Replaced the cron-based billing export with a queue; failed exports went from weekly to none in Q3.",
    "Reviewed the retry logic in the payment worker and found the duplicate-charge bug before release.",
)

# Concrete behaviour in the general words of a performance review: attendance, a late report, missed calls.
REVIEW_PROSE_SPECIFIC = (
    "She turned in the quarterly vendor report nine days after the deadline.",
    "He skipped both client calls he was booked for last week.",
    "Has been absent from the Monday planning meeting three times this quarter.",
    "He regularly leaves the warehouse before his shift ends and has twice clocked out early.",
)
# Review prose whose only "specific" word is "when" or "during": the model reads these; they are no example.
REVIEW_PROSE_VAGUE = (
    "He is ideal when he applies himself.",
    "Her results were solid during the year.",
)


def flags(text: str, kind: str = "feedback") -> frozenset[str]:
    return check_text(text, kind=kind).flag_ids  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ISSUE_VAGUE + OTHER_VAGUE + OTHER_CHARACTER)
@pytest.mark.parametrize("kind", ["feedback", "accomplishment", "manager_narrative"])
def test_vague_praise_and_character_judgements_are_flagged_in_any_wording(text: str, kind: str) -> None:
    assert flags(text, kind) & WEAK


# "Brings positive energy every day" is left out: since the concrete-behaviour markers (2026-12) the model
# reads it as vague and as character about equally (0.43 / 0.43) and flags it `vague`; it is still flagged.
@pytest.mark.parametrize("text", ["She is very proactive", *OTHER_CHARACTER[1:]])
def test_character_judgements_are_flagged_as_personality(text: str) -> None:
    assert "personality" in flags(text)


@pytest.mark.parametrize("kind", ["feedback", "accomplishment", "manager_narrative"])
def test_the_runbook_statement_is_not_flagged_as_lacking_an_outcome_or_as_vague(kind: str) -> None:
    raised = flags(RUNBOOK, kind)
    assert "output_without_outcome" not in raised
    assert not raised & WEAK


@pytest.mark.parametrize("text", SPECIFIC)
def test_specific_statements_are_neither_vague_nor_without_outcome(text: str) -> None:
    raised = flags(text, "accomplishment")
    assert not raised & WEAK
    assert "output_without_outcome" not in raised


@pytest.mark.parametrize("text", REVIEW_PROSE_SPECIFIC)
def test_concrete_behaviour_in_review_prose_is_not_flagged_as_vague_or_personality(text: str) -> None:
    assert not flags(text) & WEAK


@pytest.mark.parametrize("text", REVIEW_PROSE_VAGUE)
def test_a_when_or_because_clause_does_not_silence_the_model(text: str) -> None:
    assert flags(text) & WEAK


def test_concrete_markers_name_attendance_artefacts_time_and_concrete_verbs() -> None:
    markers = concrete_markers(
        [
            "She often comes into the office late.",
            "Missed the client report deadline last week.",
            "Her work is excellent.",
            "Cut the page load from 3.2 to 1.1 seconds before the Q3 release.",
        ]
    )
    # attendance, artefact, time, concrete verb, before/after, engineering work, date or period, two or more
    assert markers[0].tolist() == [1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
    assert markers[1].tolist() == [0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0]
    assert markers[2].tolist() == [0.0] * 8
    assert markers[3].tolist() == [0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0]


@pytest.mark.parametrize(
    "text",
    [
        "Wrote the design doc for the search rewrite [E:1].",  # a named artefact
        "Moved the nightly export to the new scheduler [E:1].",  # a named artefact
        "Upgraded our services from Python 3.9 to 3.12 [E:1].",  # a before/after
        "Built a cache for the pricing API [E:1]; p95 latency is 120 ms.",  # a measurable result
    ],
)
def test_a_result_a_named_artefact_or_a_before_after_is_never_output_without_outcome(text: str) -> None:
    assert "output_without_outcome" not in flags(text, "accomplishment")


@pytest.mark.parametrize("text", ["Shipped a bunch of features [E:1].", "Built several internal tools [E:1]."])
def test_output_with_nothing_named_and_no_outcome_is_still_flagged(text: str) -> None:
    assert "output_without_outcome" in flags(text, "accomplishment")


def test_a_model_flag_names_the_words_that_triggered_it() -> None:
    text = "Her work was really impressive overall."
    report = check_text(text, kind="feedback")
    (flag,) = [flag for flag in report.flags if flag.flag_id == "vague"]
    assert flag.spans
    for span in flag.spans:
        assert text[span.start : span.end] == span.text
        assert span.text.lower() not in {"her", "was", "really"}
    assert "impressive" in {span.text.lower() for span in flag.spans}


def test_the_model_scores_a_batch_and_refuses_a_single_string() -> None:
    scores = score_statements(["His contributions were invaluable.", RUNBOOK])
    assert scores[0].flagged and scores[0].label in {"vague", "character"}
    assert not scores[1].flagged and scores[1].label == "specific" and scores[1].triggers == ()
    with pytest.raises(TypeError):
        score_statements("a single string")  # type: ignore[arg-type]


def test_a_model_of_another_format_is_refused(tmp_path: Path) -> None:
    payload = json.loads((MODEL_PATH / "model.json").read_text(encoding="utf-8"))
    payload["format"] = 99
    (tmp_path / "model.json").write_text(json.dumps(payload), encoding="utf-8")
    with pytest.raises(ValueError) as error:
        load_model(tmp_path)
    assert str(error.value) == ERROR_MODEL_FORMAT.format(path=tmp_path, found=99, expected=MODEL_FORMAT_VERSION)


@pytest.mark.parametrize("name", ["perf_labels.csv", "perf_labels_more.csv"])
def test_no_training_statement_comes_from_a_review_in_an_evaluation_pool(name: str) -> None:
    pooled = set()
    for pool in (REPO / "tools" / "nlp" / "eval").glob("*_pool.csv"):
        if pool.name.endswith("_dev_pool.csv"):
            continue  # a development set (the tone check's), not an evaluation pool
        if pool.name == "evidence_pool.csv":
            continue  # measures the missing-evidence rule, which reads no model; never used for the narrative model
        with pool.open(encoding="utf-8", newline="") as handle:
            pooled |= {row["ref"].split("#")[0] for row in csv.DictReader(handle) if row["source"] == "perf"}
    assert pooled
    with (REPO / "tools" / "nlp" / "narrative_train" / name).open(encoding="utf-8", newline="") as handle:
        trained = {row["ref"].split("#")[0] for row in csv.DictReader(handle)}
    assert trained
    assert not trained & pooled


def test_the_model_card_names_the_data_the_split_and_the_scores() -> None:
    card = (MODEL_PATH / "MODEL_CARD.md").read_text(encoding="utf-8")
    metrics = json.loads((MODEL_PATH / "metrics.json").read_text(encoding="utf-8"))
    for needle in ("perf_review_text", "cr_usefulness", "narrative_labelled.csv", "cross-validation"):
        assert needle in card
    assert f"{metrics['threshold']:.2f}" in card
    assert metrics["cross_validation"]["overall"]["recall_vague_character"] > 0.8


def test_the_independent_evaluation_mode_scores_each_source_and_the_whole(tmp_path: Path) -> None:
    if not (RESEARCH_DATA / "perf_review_text").exists():
        pytest.skip("shared data not found; the evaluation mode reads texts from it")
    from tests.bench_scripts import load_bench

    bench = load_bench("narrative_eval")
    # Plumbing only: training references (never evaluation items) stand in for a labels file.
    labels = tmp_path / "narrative_labels.csv"
    labels.write_text(
        "item_id,source,ref,label\n"
        "x1,perf,v10-484#0,vague\n"  # "David Kelly is an excellent worker."
        "x2,perf,v10-485#1,specific\n"  # "He was successful on 11 of 13 Motions for Summary Judgment, …"
        "x3,perf,v10-27#0,other\n",
        encoding="utf-8",
    )
    scores = bench.score_independent(bench.independent_rows(labels))
    assert set(scores) == {"perf", "all"}
    assert scores["all"]["weak_n"] == 1 and scores["all"]["specific_n"] == 1
    assert scores["all"]["recall"] == 1.0 and scores["all"]["specific_flagged"] == 0.0


def test_the_transparency_report_carries_the_narrative_figures_from_the_files() -> None:
    from brightline.core.insights import build_transparency_report, load_model_metrics

    metrics = load_model_metrics(MODEL_PATH / "metrics.json")
    evaluation = {
        "perf": {"weak_n": 10, "recall": 0.8, "specific_n": 5, "specific_flagged": 0.2},
        "labeller_agreement": {"items": 15, "agreement": 0.9, "cohen_kappa": 0.8},
    }
    report = {entry.kind: entry for entry in build_transparency_report(
        sentiment_metrics={}, theme_metrics={}, versions={}, reviews={}, window_days=182,
        narrative_metrics=metrics, narrative_evaluation=evaluation)}
    accuracy = report["narrative_check"].accuracy
    figures = {(figure.dataset.split(",")[0], figure.metric): figure.value for figure in accuracy}
    assert figures[("independent evaluation set", "recall on vague + character statements")] == 0.8
    assert figures[("independent evaluation set", "share of specific statements flagged")] == 0.2
    cross_validated = figures[("training statements", "recall on vague + character statements")]
    assert cross_validated == metrics["cross_validation"]["overall"]["recall_vague_character"]
    assert len(report["narrative_check"].accuracy) == 4  # the agreement is not a score


def test_the_sets_of_perf_labels_do_not_overlap_and_use_the_guides_labels() -> None:
    refs: list[str] = []
    for name in ("perf_labels.csv", "perf_labels_more.csv"):
        with (REPO / "tools" / "nlp" / "narrative_train" / name).open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert {row["label"] for row in rows} == {"specific", "vague", "character", "other"}
        refs += [row["ref"] for row in rows]
    assert len(refs) == len(set(refs))


EVALUATED = {
    "changelog": {"weak_n": 0, "recall": None, "specific_n": 70, "specific_flagged": 0.043},
    "perf": {"weak_n": 159, "recall": 0.912, "specific_n": 22, "specific_flagged": 0.25},
    "all": {"weak_n": 159, "recall": 0.912, "specific_n": 92, "specific_flagged": 0.093},
}


def test_the_evaluation_command_records_the_reports_slot_in_words(tmp_path: Path) -> None:
    from tests.bench_scripts import load_bench

    from brightline.core.insights import load_signal_accuracy

    bench = load_bench("narrative_eval")
    agreement = {"items": 260, "agreement": 0.958, "cohen_kappa": 0.93}
    evaluation = tmp_path / "independent_eval.json"
    bench.record({**EVALUATED, "labeller_agreement": agreement}, agreement, evaluation_path=evaluation,
                 accuracy_dir=tmp_path)
    assert json.loads(evaluation.read_text(encoding="utf-8"))["all"]["specific_flagged"] == 0.093
    slot = load_signal_accuracy(tmp_path)["narrative_check"]
    assert slot["command"] == "python bench/narrative_eval.py --independent --record"
    figures = {(figure["dataset"], figure["metric"]): (figure["value"], figure["n"]) for figure in slot["figures"]}
    assert figures == {
        ("independent evaluation set, change-log entries", "share of specific statements flagged"): (0.043, 70),
        ("independent evaluation set, performance-review sentences", "recall on vague + character statements"):
            (0.912, 159),
        ("independent evaluation set, performance-review sentences", "share of specific statements flagged"):
            (0.25, 22),
        ("independent evaluation set, all statements", "recall on vague + character statements"): (0.912, 159),
        ("independent evaluation set, all statements", "share of specific statements flagged"): (0.093, 92),
    }
    built = slot["figures"][0]["built"]  # the whole set first, then each source as a part of it
    assert slot["figures"][0]["dataset"] == "independent evaluation set, all statements"
    assert "181 sentences of crowd-written performance reviews" in built and "70 entries" in built
    assert "95.8%" in built and "kappa 0.93" in built
    assert slot["figures"][-1]["built"].startswith("the 181 scored statements of the whole set")
    assert "met: 91%" in slot["note"] and "met: 9%" in slot["note"]
    text = json.dumps(slot)
    for leak in (".csv", ".json", "tools/", "C9", "B4"):
        assert leak not in text


def test_the_report_shows_the_slot_figures_once_with_the_cross_validation(tmp_path: Path) -> None:
    from tests.bench_scripts import load_bench

    from brightline.core.insights import build_transparency_report, load_model_metrics, load_signal_accuracy

    load_bench("narrative_eval").record(dict(EVALUATED), None, evaluation_path=tmp_path / "e.json",
                                        accuracy_dir=tmp_path)
    metrics = load_model_metrics(MODEL_PATH / "metrics.json")
    report = {entry.kind: entry for entry in build_transparency_report(
        sentiment_metrics={}, theme_metrics={}, versions={}, reviews={}, window_days=182,
        signal_accuracy=load_signal_accuracy(tmp_path), narrative_metrics=metrics,
        narrative_evaluation=dict(EVALUATED))}
    entry = report["narrative_check"]
    assert [(figure.dataset.split(",")[0], figure.metric) for figure in entry.accuracy].count(
        ("independent evaluation set", "share of specific statements flagged")) == 3
    assert len(entry.accuracy) == 7  # five slot figures and the two of cross-validation, nothing twice
    assert "Targets:" in entry.accuracy_note and "Not measured yet" not in entry.accuracy_note


def test_recording_the_later_sets_keeps_each_sets_figures_in_the_slot_and_back(tmp_path: Path) -> None:
    from tests.bench_scripts import load_bench

    from brightline.core.insights import load_signal_accuracy

    bench = load_bench("narrative_eval")
    second = {"perf": {"weak_n": 150, "recall": 0.8, "specific_n": 40, "specific_flagged": 0.3},
              "changelog": {"weak_n": 0, "recall": None, "specific_n": 110, "specific_flagged": 0.05},
              "all": {"weak_n": 150, "recall": 0.8, "specific_n": 150, "specific_flagged": 0.117}}
    third = {"phrase": {"weak_n": 43, "recall": 0.88, "specific_n": 17, "specific_flagged": 0.35},
             "changelog": {"weak_n": 0, "recall": None, "specific_n": 120, "specific_flagged": 0.04},
             "all": {"weak_n": 57, "recall": 0.84, "specific_n": 144, "specific_flagged": 0.09}}
    bench.record(dict(EVALUATED), None, evaluation_path=tmp_path / "e.json", accuracy_dir=tmp_path)
    bench.record(second, None, evaluation_path=tmp_path / "e2.json", accuracy_dir=tmp_path, version="v2")
    slot = load_signal_accuracy(tmp_path)["narrative_check"]
    figures = {(figure["dataset"], figure["metric"]): (figure["value"], figure["n"]) for figure in slot["figures"]}
    assert figures[("independent evaluation set, all statements", "share of specific statements flagged")] == (
        0.093, 92)
    assert figures[("second independent evaluation set, all statements",
                    "share of specific statements flagged")] == (0.117, 150)
    assert len(figures) == 10 and "met: 9%" in slot["note"]
    assert "Second set: 80% of vague and character statements flagged (missed)" in slot["note"]
    bench.record(third, None, evaluation_path=tmp_path / "e3.json", accuracy_dir=tmp_path, version="v3")
    bench.record(dict(EVALUATED), None, evaluation_path=tmp_path / "e.json", accuracy_dir=tmp_path)
    again = load_signal_accuracy(tmp_path)["narrative_check"]
    datasets = [figure["dataset"] for figure in again["figures"]]
    assert len(datasets) == 15 and datasets[0] == "independent evaluation set, all statements"
    assert datasets[-5:] == ["third independent evaluation set, held out, " + name for name in (
        "all statements", "all statements", "change-log entries", "review phrases", "review phrases")]
    note = again["note"]
    assert note.count("Second set:") == 1 and note.count("Third, held-out set:") == 1
    assert note.index("met: 9%") < note.index("Second set:") < note.index("Third, held-out set: 84%")


def test_a_slot_recorded_while_the_second_set_was_held_out_reads_right_once_the_third_is_added(
        tmp_path: Path) -> None:
    from tests.bench_scripts import load_bench

    bench = load_bench("narrative_eval")
    old = {"kind": "narrative_check", "figures": [
        {"dataset": "second independent evaluation set, held out, all statements", "built": "b",
         "metric": "recall on vague + character statements", "value": 0.81, "n": 146}],
        "note": "Targets: met. Second, held-out set: 81% of vague and character statements flagged (missed); it was "
                "labelled before the checks were scored on it. The first set has been seen by many versions of the "
                "checks; this one is the held-out figure."}
    third = bench.accuracy_slot({"all": {"weak_n": 57, "recall": 0.84, "specific_n": 144, "specific_flagged": 0.09}},
                                None, "v3")
    merged = bench.merge_slot(old, third, "v3")
    assert [figure["dataset"] for figure in merged["figures"]] == [
        "second independent evaluation set, all statements", *["third independent evaluation set, held out, all "
                                                               "statements"] * 2]
    assert "this one is the held-out figure" in merged["note"].split("Third, held-out set:")[1]
    assert "It has since been scored by a few versions" in merged["note"].split("Third, held-out set:")[0]


@pytest.mark.parametrize("text, name", [
    ("Tomasz is a pleasure to have on the team.", "Tomasz"),
    ("Odalys's work has been invaluable.", "Odalys"),
    ("Marguerite Okafor has been a real asset.", "Marguerite"),
])
def test_a_first_word_that_stands_as_a_name_is_read_as_the_placeholder(text: str, name: str) -> None:
    assert name not in normalise_names(text) and PLACEHOLDER_NAME in normalise_names(text)
    assert all(name not in trigger.text for score in score_statements([text]) for trigger in score.triggers)


@pytest.mark.parametrize("text", [
    "However, the report was late.", "Communication is a strength.", "Attendance has slipped.", "This is great.",
])
def test_a_first_word_that_is_no_name_is_kept(text: str) -> None:
    assert normalise_names(text) == text


# A judgement said as a habit or an ability, with nothing particular behind it: vague whatever things it names.
GENERIC_JUDGEMENTS = (
    "His spreadsheets are always accurate and his invoices go out on time.",
    "I can count on her to produce thorough client proposals.",
    "He consistently turns in solid presentations.",
)
# The same habit words beside a particular instance, or with no judgement: not this rule's business.
HABITS_WITH_AN_INSTANCE = (
    "He always answered the pager within five minutes during the March on-call week.",
    "She usually files the vendor invoices on Fridays.",
)


@pytest.mark.parametrize("text", GENERIC_JUDGEMENTS)
def test_a_judgement_said_as_a_habit_with_no_instance_is_vague(text: str) -> None:
    report = check_text(text, kind="feedback")
    assert "vague" in report.flag_ids
    words = {span.text.lower() for flag in report.flags for span in flag.spans}
    assert words  # the flag names the words behind it


@pytest.mark.parametrize("text", HABITS_WITH_AN_INSTANCE)
def test_a_habit_with_an_instance_or_no_judgement_is_not_a_generic_judgement(text: str) -> None:
    from brightline.core.narrative.checks import _generic_judgement
    from brightline.core.narrative.citations import mask_citations

    masked = mask_citations(text)
    assert _generic_judgement(text, masked, masked, False) == ()


def test_no_development_statement_comes_from_a_review_of_a_v2_set() -> None:
    """The third development pool and the first set's statements the model trains on share no review with the
    held-out v2 sets (reads only the pools' references)."""
    held_out = set()
    for pool in (REPO / "tools" / "nlp" / "eval").glob("*_v2_pool.csv"):
        with pool.open(encoding="utf-8", newline="") as handle:
            held_out |= {row["ref"].split("#")[0] for row in csv.DictReader(handle) if row["source"] == "perf"}
    assert held_out
    dev3 = REPO / "tools" / "nlp" / "narrative_train" / "dev3_narrative_pool.csv"
    with dev3.open(encoding="utf-8", newline="") as handle:
        reviews = {row["ref"].split("#")[0] for row in csv.DictReader(handle) if row["source"] == "perf"}
    assert reviews
    assert not reviews & held_out


def test_evaluation_features_read_praise_habit_degree_and_evidence() -> None:
    features = evaluation_features(
        [
            "Her reports are always excellent.",
            "Moved p95 latency from 900 ms to 250 ms in March.",
            "The export is useless.",
        ]
    )
    assert EVALUATION_FEATURES == ("praise", "judgement", "habit", "degree", "judgement_without_instance", "evidence")
    # praise, a habit, no instance or evidence behind the judgement
    assert features[0].tolist() == [0.5, 0.0, 1.0, 0.0, 1.0, 0.0]
    # no judgement; evidence (a measured before/after, a month)
    assert features[1].tolist() == [0.0, 0.0, 0.0, 0.0, 0.0, 1.0]
    # a negative judgement (VADER's raters put "useless" at -1.0 or lower) and nothing behind it
    assert features[2][1] > 0 and features[2][4] == 1.0


@pytest.mark.parametrize(
    ("text", "trigger"),
    [
        ("Kotlin demo apps are great.", "great"),
        ("On the whole, this looks excellent.", "excellent"),
        ("These changes are not helpful at all.", "helpful"),
        ("Superb write-up, thanks.", "Superb"),
    ],
)
def test_a_short_statement_that_is_only_praise_is_vague_by_the_rules_alone(text: str, trigger: str) -> None:
    report = check_text(text, kind="feedback", use_model=False)
    vague = [flag for flag in report.flags if flag.flag_id == "vague"]
    assert vague and trigger in [span.text for span in vague[0].spans]


@pytest.mark.parametrize(
    "text",
    [
        "Looks like this is no longer used.",  # a comparison, not a judgement
        "It is nice to have this warning for operators.",  # the clause goes on: what is wanted
        "It would be great if the flag had a default.",  # a request
        "The new cache is great because p95 latency fell from 800 ms to 200 ms.",  # a reason and a result
        "Updated the documentation theme to make docs look better in small windows.",
        "Her presentation to the board on the 2025 budget was excellent.",  # a number: an instance
    ],
)
def test_praise_with_a_ground_or_a_clause_that_goes_on_is_not_a_bare_judgement(text: str) -> None:
    assert "vague" not in check_text(text, kind="feedback", use_model=False).flag_ids

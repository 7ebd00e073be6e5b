import json

import pytest

from brightline.core.narrative import (
    ERROR_UNKNOWN_KIND,
    FLAG_IDS,
    REASONS,
    SUGGESTIONS,
    check_fields,
    check_text,
    find_citations,
    format_citation,
)
from brightline.core.narrative.checks import REASON_PERSONALITY


def flags(text: str, kind: str = "feedback", **options: object) -> set[str]:
    return set(check_text(text, kind=kind, **options).flag_ids)  # type: ignore[arg-type]


# vague
def test_it_flags_vague_praise() -> None:
    assert "vague" in flags("Priya is a great collaborator and a real team player.")
    assert "vague" in flags("You're a rockstar, keep it up.")


def test_it_flags_vague_criticism() -> None:
    assert "vague" in flags("Marco needs to be more strategic.", kind="manager_narrative")
    assert "vague" in flags("He is doing fine.")


def test_specific_criticism_is_not_vague() -> None:
    text = "Marco should write a one-page proposal comparing two options before starting any long project."
    assert flags(text, kind="manager_narrative") == set()


def test_praise_with_an_example_is_not_vague() -> None:
    assert "vague" not in flags("Great job on the release, for example the rollback plan [E:3].")


# personality
def test_it_flags_personality_language_and_cites_the_research() -> None:
    report = check_text("Dana can be abrasive and is not a culture fit.", kind="manager_narrative")
    (flag,) = [f for f in report.flags if f.flag_id == "personality"]
    assert {span.text.lower() for span in flag.spans} == {"abrasive", "culture fit"}
    assert flag.reason == REASON_PERSONALITY
    assert "Correll & Simard" in flag.reason


def test_aggressive_about_a_plan_is_not_personality() -> None:
    assert "personality" not in flags("Alex set an aggressive timeline for the migration.")
    assert "personality" in flags("Alex is aggressive when people disagree with him.")


def test_user_friendly_is_not_personality() -> None:
    assert "personality" not in flags("She made the export page user-friendly.")


# no_evidence
def test_it_flags_a_claim_without_a_citation() -> None:
    assert "no_evidence" in flags("Reduced checkout errors from 2.1% to 0.4%.", kind="accomplishment")


@pytest.mark.parametrize("citation", ["[E:12]", "[evidence:12]", "#PR-45", "https://git.example.org/pr/45"])
def test_any_accepted_citation_satisfies_no_evidence(citation: str) -> None:
    assert "no_evidence" not in flags(f"Reduced checkout errors from 2.1% to 0.4% {citation}.", kind="accomplishment")


def test_field_level_cited_ids_satisfy_no_evidence() -> None:
    text = "Reduced checkout errors from 2.1% to 0.4%."
    assert "no_evidence" not in flags(text, kind="accomplishment", cited_ids=("12",))


def test_goals_and_feedback_are_not_asked_for_citations() -> None:
    assert "no_evidence" not in flags("By June she should reduce flaky tests to 2 a week.", kind="support_plan")
    assert "no_evidence" not in flags("He shipped the login fix the same day.", kind="feedback")


def test_a_negated_claim_is_not_a_claim() -> None:
    assert "no_evidence" not in flags("He did not ship the feature this quarter.", kind="manager_narrative")


# output_without_outcome
def test_it_flags_output_without_outcome() -> None:
    # Nothing named, no result, no before/after: only that something was made.
    assert "output_without_outcome" in flags("Migrated a few services to containers [E:1].", kind="accomplishment")


def test_a_named_artefact_is_not_output_without_outcome() -> None:
    # Issue 16: naming what was made ("the billing service", "Kubernetes") is never "output without outcome".
    text = "Migrated the billing service to Kubernetes [E:1]."
    assert "output_without_outcome" not in flags(text, kind="accomplishment")


def test_an_outcome_clears_output_without_outcome() -> None:
    text = "Migrated billing to Kubernetes [E:1], which cut hosting cost from $14,000 to $9,500 a month."
    assert "output_without_outcome" not in flags(text, kind="accomplishment")


def test_a_negated_outcome_is_not_an_outcome() -> None:
    text = "Built a caching layer [E:2]; it did not reduce latency, so we rolled it back."
    assert "output_without_outcome" in flags(text, kind="accomplishment")


# unquantified_result
def test_it_flags_a_result_without_a_number() -> None:
    assert "unquantified_result" in flags("Improved the performance of the search API [E:3].", kind="accomplishment")
    assert "unquantified_result" in flags("The new search is way faster.")


def test_a_number_quantifies_the_result() -> None:
    assert "unquantified_result" not in flags("Reduced build time from 22 to 9 minutes [E:4].", kind="accomplishment")
    assert "unquantified_result" not in flags("Halved the memory use of the resizer [E:4].", kind="accomplishment")


def test_numbers_that_are_not_results_do_not_quantify() -> None:
    assert "unquantified_result" in flags("Increased test coverage across 5 repositories [E:5].", kind="accomplishment")
    assert "unquantified_result" in flags("In 2024 she improved the latency of p95 dashboards [E:5].", kind="feedback")


def test_a_goal_is_not_a_result_claim() -> None:
    assert "unquantified_result" not in flags(
        "Reduce the number of incidents caused by his changes.", kind="support_plan"
    )


# missing_scope
def test_it_flags_missing_scope_once_per_accomplishment() -> None:
    report = check_text("Launched data export [E:6]. It reduced export tickets by 85%.", kind="accomplishment")
    assert [flag.flag_id for flag in report.text_flags] == ["missing_scope"]
    assert all("missing_scope" not in sentence.flag_ids for sentence in report.sentences)


@pytest.mark.parametrize(
    "scope",
    ["for all 6 platform teams", "adopted by 3 teams", "for 22% of weekly active users", "across the company"],
)
def test_scope_clears_missing_scope(scope: str) -> None:
    assert "missing_scope" not in flags(f"Launched data export {scope} [E:6].", kind="accomplishment")


def test_missing_scope_only_applies_to_accomplishments() -> None:
    assert "missing_scope" not in flags("Launched data export [E:6].", kind="manager_narrative")


# report shape
def test_a_flag_carries_spans_reason_and_suggestion() -> None:
    text = "Overall a solid performer."
    report = check_text(text, kind="manager_narrative")
    (flag,) = report.flags
    assert flag.flag_id == "vague"
    assert [text[s.start : s.end] for s in flag.spans] == ["solid performer"]
    assert flag.reason == REASONS["vague"]
    assert flag.suggestion == SUGGESTIONS["vague"]


def test_the_report_serialises_to_json_with_a_summary() -> None:
    report = check_text("Tom is a rockstar. Shipped the new search.", kind="manager_narrative")
    data = json.loads(report.to_json())
    assert data["summary"]["sentences"] == 2
    assert data["summary"]["flagged_sentences"] == 2
    assert set(data["summary"]["flag_counts"]) == set(FLAG_IDS)
    assert data["summary"]["flag_counts"]["vague"] == 1
    assert data["sentences"][1]["flags"][0]["spans"][0]["text"] == "Shipped"


def test_empty_text_is_clean() -> None:
    assert check_text("", kind="accomplishment").is_clean


def test_it_refuses_an_unknown_kind() -> None:
    with pytest.raises(ValueError) as error:
        check_text("Fine.", kind="rating")  # type: ignore[arg-type]
    assert str(error.value) == ERROR_UNKNOWN_KIND.format(
        kinds="accomplishment, manager_narrative, feedback, support_plan", kind="rating"
    )


def test_it_checks_structured_fields_separately() -> None:
    reports = check_fields(
        {"action": "Built an export tool.", "result": "Support tickets fell from 80 to 12 a month."},
        cited_ids={"action": ("7",)},
    )
    assert "no_evidence" not in reports["action"].flag_ids
    assert "output_without_outcome" in reports["action"].flag_ids
    assert reports["result"].kind == "accomplishment"


def test_citations_parse_the_canonical_and_alternate_forms() -> None:
    ids = [c.evidence_id for c in find_citations("a [E:12, 14] b [evidence: pr-9] c #pr-45 d https://x.org/1.")]
    assert ids == ["12", "14", "pr-9", "PR-45", "https://x.org/1"]
    assert format_citation("12") == "[E:12]"


def test_the_effect_of_work_the_sentence_before_named_is_not_vague() -> None:
    # Issue 16: "This …" after a sentence naming the work describes that work's effect; its intensifier is no
    # unsupported superlative, and feedback is not asked for the number (an accomplishment still is).
    text = "Added a cache for the pricing API. It is significantly faster."
    assert check_text(text, kind="feedback").is_clean
    assert "unquantified_result" in check_text(text, kind="accomplishment", cited_ids=["7"]).flag_ids
    assert check_text("Rewrote the resolver backtracking to prefer the most recent conflict. This makes large "
                      "installs resolve faster.", kind="feedback").is_clean


@pytest.mark.parametrize("text", [
    "Made significant improvements to the system. It was a huge success.",
    "Great job. It was a huge success.",
    "She is great. This makes everything faster.",
])
def test_an_effect_after_nothing_concrete_stays_flagged(text: str) -> None:
    assert check_text(text, kind="feedback").flag_ids & {"vague", "personality", "unquantified_result"}

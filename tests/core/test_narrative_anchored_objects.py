"""What was made, and what changed, is read in more wordings (issue 16, item 2): an object anchored to what it
acts on, a repair followed by the failure it removed as a participle, a result clause without "that", a trait
word said of a thing or of code, a claim of output that names its artefact outweighing the learned model, a
hedged result, a participle naming the object of a fix, and a before/after in words. Generic output, a
beneficiary or a place alone, plain judgements of people and results claimed without a number stay flagged.

These sentences were written for the tests; none comes from the independent evaluation set or from the
development statements.
"""

import pytest

from brightline.core.narrative import check_text

WEAK = frozenset({"vague", "personality"})


def flags(text: str, kind: str = "accomplishment") -> frozenset[str]:
    return check_text(text, kind=kind).flag_ids  # type: ignore[arg-type]


@pytest.mark.parametrize("text", [
    "Built a prototype of the invoice matcher.",
    "Wrote an example of configuring two mirrors at once.",
    "Added a sort order by due date to the task list.",
    "Added padding around wide tables in exported reports.",
    "Built a bridge between the billing queue and the ledger.",
    "Wrote a guide about rotating the signing keys.",
])
def test_an_object_anchored_to_what_it_acts_on_is_a_named_artefact(text: str) -> None:
    assert "output_without_outcome" not in flags(text)


@pytest.mark.parametrize("text", [
    "Shipped a bunch of features.",
    "Shipped a handful of the features.",
    "Built a dashboard for the support team.",
    "Added dark mode to the customer portal.",
    "Built the tool by hand.",
    "Introduced a weekly architecture review.",
])
def test_a_measure_of_things_a_beneficiary_a_place_or_a_means_names_no_artefact(text: str) -> None:
    # "Built the tool by hand" names "the tool" (a definite object); the rest name nothing and stay flagged.
    expected = text == "Built the tool by hand."
    assert ("output_without_outcome" not in flags(text)) is expected


@pytest.mark.parametrize("text", [
    "Fixed drafts being dropped.",
    "Fixed retries not firing.",
])
def test_a_repair_followed_by_the_failure_as_a_participle_states_the_change(text: str) -> None:
    assert "output_without_outcome" not in flags(text)


def test_a_result_clause_without_that_states_the_change() -> None:
    assert "output_without_outcome" not in flags("Set up a rota on the wiki so weekend swaps are visible to all.")
    assert "output_without_outcome" in flags("Set up a rota on the wiki so much later than planned.")


@pytest.mark.parametrize("text", [
    "Report lint errors with screen-reader-friendly messages.",
    "Removed the old `async` handling as soft keywords/identifiers.",
    "Dropped the plain HTTP mirror because it is insecure.",
])
def test_a_trait_word_said_of_a_thing_or_of_code_is_not_personality(text: str) -> None:
    assert "personality" not in flags(text, "feedback")


@pytest.mark.parametrize("text", ["She is super-friendly.", "He is lazy.", "She is very proactive."])
def test_a_trait_word_said_of_a_person_is_still_personality(text: str) -> None:
    assert flags(text, "feedback") & WEAK


def test_a_claim_of_output_that_names_its_artefact_outweighs_the_model() -> None:
    assert not flags("Added support for Azure Blob Storage.", "feedback") & WEAK
    # The examples stay flagged: no claim of output names an artefact in them.
    for text in ("Made significant improvements to the system.", "Huge impact on the business.",
                 "Her work was really impressive overall."):
        assert flags(text, "feedback") & WEAK


@pytest.mark.parametrize("text", [
    "Wheels are not built for the new interpreter yet, so start-up may be slower there.",
    "Fixed ``KeyError`` exceptions raised during a crash report upload.",
    "Pages to the on-call engineer dropped from about ten a week to two.",
])
def test_a_hedged_result_a_participle_naming_the_object_or_a_change_in_words_is_not_unquantified(text: str) -> None:
    assert "unquantified_result" not in flags(text, "feedback")


@pytest.mark.parametrize("text", [
    "In May we reduced checkout latency.",
    "The errors reduced after the fix.",
    "Shipped a faster checkout flow.",
    "Made the build faster.",
])
def test_a_result_claimed_without_a_number_is_still_unquantified(text: str) -> None:
    assert "unquantified_result" in flags(text)


@pytest.mark.parametrize("text", [
    "Wrote a migration plan for the ledger split.",
    "Built a replay tool for our event store.",
    "Added a fallback for Safari's storage limits.",
])
def test_an_object_made_for_a_named_thing_is_a_named_artefact(text: str) -> None:
    assert "output_without_outcome" not in flags(text)


@pytest.mark.parametrize("text", [
    "Built a dashboard for the finance team.",
    "Wrote a checklist for our new hires.",
    "Built a cache for pricing.",
])
def test_an_object_made_for_people_or_for_an_unnamed_thing_names_no_artefact(text: str) -> None:
    assert "output_without_outcome" in flags(text)

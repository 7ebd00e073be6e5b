"""Specific statements are left alone by evidence the checks read in any wording (issue 16, part 2):
a repair that names the failure it removed, a capability named by what it is for, a purpose clause,
a participle used as an adjective, code and identifiers, credit lines, a trait word said of a thing,
and strong evidence (a code span, a version, a number with a unit, a calendar date) that outweighs the
learned model's "vague". Weak statements in the same shapes stay flagged.

These sentences were written for the tests; none comes from the independent evaluation set or from the
model's training statements.
"""

import pytest

from brightline.core.narrative import check_text

WEAK = frozenset({"vague", "personality"})


@pytest.mark.parametrize("text", [
    "Fixed a crash when the upload list is empty.",
    "Fixed the importer dropping rows whose date column was blank.",
    "Added support for resumable uploads in the sync client.",
    "Added an option to skip the pre-commit hooks on release branches.",
    "Added request tracing to the gateway in order to find slow upstream calls.",
    "Previously the export ran all night. It now finishes before the morning stand-up.",
    "Rebuilt the previously published images for the arm64 runners.",
    "A crash when the cache directory is missing has been fixed.",
    "Fix blank pages being rendered when the template is added twice.",
])
def test_a_change_that_names_its_failure_capability_or_purpose_is_not_output_without_outcome(text: str) -> None:
    assert "output_without_outcome" not in check_text(text, kind="feedback").flag_ids
    assert "output_without_outcome" not in check_text(text, kind="accomplishment").flag_ids


@pytest.mark.parametrize("text", [
    "Fixed several bugs.",
    "Built a dashboard for the support team.",
    "Shipped a new onboarding flow in the mobile app.",
])
def test_output_with_nothing_about_what_changed_is_still_flagged(text: str) -> None:
    assert "output_without_outcome" in check_text(text, kind="accomplishment").flag_ids


@pytest.mark.parametrize("text", [
    "Switched the gallery to lazy loading of thumbnails.",
    "Warned when a job points at an insecure mirror.",
    "Renamed `--quiet-mode` to `--silent` in the deploy script.",
    "Moved the cold storage buckets to the cheaper tier.",
    "Sped up parsing of files with many soft-keyword names.",
])
def test_a_trait_word_said_of_a_thing_or_inside_code_is_not_personality(text: str) -> None:
    # The trait list alone (the learned model reads the whole sentence and may still weigh "insecure").
    assert "personality" not in check_text(text, kind="feedback", use_model=False).flag_ids


@pytest.mark.parametrize("text", [
    "He is lazy.",
    "She is lazy about writing tests.",
    "He can be arrogant in design reviews.",
    "She is far too timid.",
])
def test_a_trait_word_said_of_a_person_is_still_personality(text: str) -> None:
    assert "personality" in check_text(text, kind="feedback").flag_ids
    assert "personality" in check_text(text, kind="feedback", use_model=False).flag_ids


@pytest.mark.parametrize("text", [
    "Thanks Priya Raman and Tom Ellis.",
    "Huge thanks to Ana Costa, Li Wei and many others.",
    "Thanks Joana de Souza and Pieter van Dijk.",
])
def test_a_credit_line_is_not_vague_praise(text: str) -> None:
    report = check_text("Added retries to the upload client. " + text, kind="feedback")
    assert report.sentences[1].flags == ()


def test_thanks_with_praise_in_it_is_still_read() -> None:
    assert check_text("Thanks for the amazing work.", kind="feedback").flag_ids & WEAK


@pytest.mark.parametrize("text", [
    "Set the default timeout of `PaymentClient` to 30 seconds.",
    "Upgraded the broker to 3.12.4 across the staging cluster.",
    "Moved the invoice run to 2 March so finance could close the month.",
])
def test_strong_evidence_keeps_the_model_from_calling_a_statement_vague(text: str) -> None:
    assert not check_text(text, kind="feedback").flag_ids & WEAK


@pytest.mark.parametrize("text", [
    "Gives 110 percent to everything.",
    "Always gives 100% to the team.",
    "Huge impact on the business this year.",
])
def test_figures_of_speech_and_unsupported_superlatives_stay_flagged(text: str) -> None:
    assert check_text(text, kind="feedback").flag_ids & WEAK


def test_a_version_range_is_not_an_unquantified_result() -> None:
    text = "Fixed a crash on Python 3.9 and lower when the locale is unset."
    assert "unquantified_result" not in check_text(text, kind="feedback").flag_ids
    assert "unquantified_result" in check_text("Made the export much faster.", kind="feedback").flag_ids


@pytest.mark.parametrize("text, name", [
    ("Honestly, Jonah Abernathy has been a real asset overall.", "Abernathy"),
    ("Working with Marguerite Okonkwo was really impressive overall.", "Marguerite"),
    ("In short, Tobias Lindqvist performed adequately.", "Lindqvist"),
])
def test_a_flag_never_names_a_persons_name_as_the_vague_words(text: str, name: str) -> None:
    # The learned model reads every capitalised word inside a sentence as one placeholder name: a name is no
    # evidence of vagueness, and before it was, the flag showed names as its trigger words.
    report = check_text(text, kind="feedback")
    assert report.flag_ids & WEAK
    assert name not in {span.text for flag in report.flags for span in flag.spans}


@pytest.mark.parametrize("text", [
    "Twice, he failed to hand in the signed contracts before the records office closed.",
    "She answered the support line alone until the new queue was set up, and while the release shipped.",
    "He kept the night shift staffed after the second site closed.",
])
def test_a_verb_of_a_thing_in_a_subordinate_clause_is_not_a_claim_of_output(text: str) -> None:
    report = check_text(text, kind="accomplishment")
    assert not {"output_without_outcome", "no_evidence"} & report.flag_ids


def test_a_claim_in_the_main_clause_is_still_read_beside_a_subordinate_clause() -> None:
    report = check_text("Launched a new signup page before the old one closed.", kind="accomplishment")
    assert "output_without_outcome" in report.flag_ids


@pytest.mark.parametrize("text", [
    "Puts in 110% on every release.",
    "Gives 120 percent to every customer call.",
])
def test_a_share_of_effort_over_100_percent_is_an_unsupported_superlative(text: str) -> None:
    report = check_text(text, kind="feedback")
    assert "vague" in report.flag_ids
    assert any("%" in span.text or "percent" in span.text for flag in report.flags for span in flag.spans)


@pytest.mark.parametrize("text", [
    "Increased checkout throughput by 150% after the queue change.",
    "Test coverage of the parser reached 100% in the second quarter.",
])
def test_a_measured_share_over_100_percent_is_not_a_figure_of_speech(text: str) -> None:
    assert not check_text(text, kind="feedback").flag_ids & WEAK


@pytest.mark.parametrize("text", [
    "Added a small helper to export invoices from any workspace.",
    "Added an automatic check to warn when a certificate is about to expire.",
    "Added a way to tell archived projects apart from active ones in the list.",
    "Ran the smoke tests with images built from the release branch.",
    "Tested the mobile app with builds deployed by the nightly job.",
])
def test_an_object_named_by_its_purpose_or_described_by_a_participle_is_not_output_without_outcome(text: str) -> None:
    assert "output_without_outcome" not in check_text(text, kind="accomplishment").flag_ids


@pytest.mark.parametrize("text", [
    "Shipped a bunch of features to customers.",
    "Added tests to the parser.",
    "Built a cache to be used later.",
])
def test_a_to_phrase_that_names_no_purpose_does_not_excuse_output_without_outcome(text: str) -> None:
    assert "output_without_outcome" in check_text(text, kind="accomplishment").flag_ids

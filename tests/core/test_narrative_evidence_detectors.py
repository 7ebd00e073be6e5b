"""General detectors of concrete evidence (issue 16, part 2): a statement with a measurable result, a named
artefact or a before/after is never flagged as lacking an outcome, and strong evidence outweighs the learned
model's "vague", whatever the wording. The detectors read shapes (a number and its unit, an identifier, a
change and its size, a date), not a phrase list.

These sentences were written for the tests; none comes from the independent evaluation set or from the
model's training statements.
"""

import pytest

from brightline.core.narrative import check_text
from brightline.core.narrative.evidence import (
    before_after,
    calendar_dates,
    find_evidence,
    measurable_quantities,
    named_artefacts,
)

WEAK = frozenset({"vague", "personality"})


def texts(spans) -> list[str]:  # type: ignore[no-untyped-def]
    return [span.text for span in spans]


@pytest.mark.parametrize("text, found", [
    ("recovery took 11 minutes against a 30-minute target", ["11 minutes", "30-minute"]),
    ("p95 fell 40% after the change", ["40%"]),
    ("imports files of 2GB and 512 MB", ["2GB", "512 MB"]),
    ("saved $12k a month", ["$12k"]),
    ("renders 3x more pages per second", ["3x"]),
    ("serves 1,200 requests at peak", ["1,200 requests"]),
    ("has been with the team for 4 years", ["4 years"]),
    ("a two-hour drill", ["two-hour"]),
])
def test_numbers_with_a_unit_are_measurable_quantities(text: str, found: list[str]) -> None:
    assert texts(measurable_quantities(text)) == found


@pytest.mark.parametrize("text", ["Gives 110 percent to everything.", "Always gives 100% to the team.",
                                  "Ranked number 1 in my book.", "Did great things in 2025."])
def test_a_figure_of_speech_a_bare_number_or_a_year_is_not_a_measurement(text: str) -> None:
    assert measurable_quantities(text) == []


@pytest.mark.parametrize("text, found", [
    ("Added validation of `retry_limit` to config.yaml", ["`retry_limit`", "config.yaml"]),
    ("See docs/oncall/handbook.md and the --dry-run flag", ["docs/oncall/handbook.md", "--dry-run"]),
    ("Upgraded the broker to 3.12.4", ["3.12.4"]),
])
def test_code_identifiers_file_names_and_versions_are_named_artefacts(text: str, found: list[str]) -> None:
    assert texts(named_artefacts(text)) == found


def test_camel_case_and_kebab_case_names_count_only_as_names_of_what_was_built() -> None:
    text = "Moved BillingService and the load test for checkout-service, not high-quality work."
    assert texts(named_artefacts(text)) == []
    assert texts(named_artefacts(text, names=True)) == ["BillingService", "checkout-service"]


@pytest.mark.parametrize("text", [
    "Leaves early.Then comes back late.",  # two sentences glued by a missing space
    "Needs training and/or goal setting.",
    "Works with McKenzie, DeShawn and MacDonald, e.g. on reviews.",  # surnames, not systems
    "Does high-quality work on a last-minute project.",  # compound adjectives before a noun
])
def test_prose_is_not_read_as_identifiers(text: str) -> None:
    assert named_artefacts(text) == []
    assert named_artefacts(text, names=True) == []


@pytest.mark.parametrize("text", [
    "deploys went from 40 minutes to 6",
    "moved the services from Python 3.9 to 3.12",
    "p99 is down from 900 ms",
    "reduced failed charges by a third",
    "cut the cloud bill by roughly 15%",
    "halved the build time",
])
def test_a_measured_change_is_a_before_after(text: str) -> None:
    assert before_after(text)


@pytest.mark.parametrize("text", ["Improved the system a lot.", "Reduced toil by automating things."])
def test_a_change_without_its_size_is_not_a_before_after(text: str) -> None:
    assert before_after(text) == []


@pytest.mark.parametrize("text, found", [
    ("shipped on 14 March", ["14 March"]), ("shipped on March 14th", ["March 14th"]),
    ("ran it in March 2025", ["March 2025"]), ("took over on 2025-03-14", ["2025-03-14"]),
])
def test_calendar_dates(text: str, found: list[str]) -> None:
    assert texts(calendar_dates(text)) == found


def test_a_year_or_a_month_alone_is_not_a_date() -> None:
    assert calendar_dates("Did great things in 2025 and again in March.") == []


def test_evidence_comes_back_in_order_with_its_kind() -> None:
    spans = find_evidence("Cut p95 of `checkout-api` by 40% on 2 May.")
    assert [span.kind for span in spans] == ["before_after", "artefact", "quantity", "date"]


@pytest.mark.parametrize("text", [
    "Wrote a load test for checkout-service.",
    "Added a kafka consumer for order-events.",
    "Set up alerting for ledger-api and billing-worker.",
    "He has looked after the LedgerSync service since it launched.",
])
@pytest.mark.parametrize("kind", ["feedback", "accomplishment"])
def test_a_named_system_is_never_output_without_outcome(text: str, kind: str) -> None:
    assert "output_without_outcome" not in check_text(text, kind=kind).flag_ids


def test_a_file_name_outweighs_the_models_vague() -> None:
    assert not check_text("Has maintained flask.json for a year.", kind="feedback").flag_ids & WEAK


def test_a_change_with_its_size_is_not_an_unquantified_result() -> None:
    assert "unquantified_result" not in check_text("Her error rate fell by roughly a third.", kind="feedback").flag_ids
    assert "unquantified_result" in check_text("Her error rate fell a lot.", kind="feedback").flag_ids


@pytest.mark.parametrize("text", [
    "Built reporting.", "Created documentation.", "Shipped a bunch of stuff.",
    "Built a dashboard for the support team.",
])
def test_output_that_names_nothing_is_still_without_outcome(text: str) -> None:
    assert "output_without_outcome" in check_text(text, kind="accomplishment").flag_ids


@pytest.mark.parametrize("text", [
    "Huge impact on BillingService.",  # a name is not support for a superlative
    "Gives 110 percent to everything.",
    "She is a real go-getter.",
])
def test_a_name_or_a_figure_of_speech_does_not_excuse_vague_praise(text: str) -> None:
    assert check_text(text, kind="feedback").flag_ids & WEAK


@pytest.mark.parametrize("text", [
    "Built a cache for pricing. It cut p95 latency from 900 ms to 250 ms.",
    "Rewrote a parser. Parsing is now 30% faster.",
    "Added a retry wrapper around uploads. This means users on bad networks no longer lose their files.",
])
def test_an_outcome_in_the_next_sentence_answers_what_was_built(text: str) -> None:
    report = check_text(text, kind="accomplishment", cited_ids=["1"])
    assert "output_without_outcome" not in report.flag_ids


def test_a_next_sentence_without_an_outcome_does_not_answer_it() -> None:
    report = check_text("Built a cache for pricing. It took a while.", kind="accomplishment", cited_ids=["1"])
    assert "output_without_outcome" in report.sentences[0].flag_ids

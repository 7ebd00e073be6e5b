"""Live narrative checks (htmx) on every text form, and the command-line contracts of
``brightline narrative check`` and ``brightline nlp classify``."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def check(browser, text: str, *, kind: str = "feedback", field: str = "wins", **extra) -> str:
    response = browser.post("/growth/check/", {"kind": kind, "field": field, field: text, **extra},
                            HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


def test_the_check_endpoint_returns_each_flag_with_its_reason_and_suggestion(personas, client_for):
    fragment = check(client_for(personas.mo), "Erin is a great collaborator but can be abrasive.")
    assert "Vague" in fragment and "About personality, not behaviour" in fragment
    assert "great collaborator" in fragment and "abrasive" in fragment
    assert "Vague praise or criticism" in fragment and "Try: " in fragment
    assert "<html" not in fragment  # a fragment for htmx to swap in, not a page


def test_clean_text_says_so_and_empty_text_says_nothing(personas, client_for):
    browser = client_for(personas.erin)
    assert "No narrative flags" in check(browser, "Paired with Pat on the payout review on 3 October.")
    assert check(browser, "").strip() == ""


@pytest.mark.parametrize("text", [
    "Huge impact on the business", "She is very proactive", "Her work was really impressive overall",
    "Made significant improvements to the system", "His contributions were invaluable",
    "Brings positive energy every day",
])
@pytest.mark.parametrize("kind, field", [("feedback", "what_they_did"), ("accomplishment", "result")])
def test_the_live_check_flags_vague_praise_in_wordings_no_list_has(personas, client_for, text, kind, field):
    fragment = check(client_for(personas.erin), text, kind=kind, field=field)
    assert "Vague praise or criticism" in fragment or "Describes a personality trait" in fragment


def test_the_live_check_leaves_a_measured_runbook_drill_alone(personas, client_for):
    text = ("Wrote the runbook for the database failover and ran the drill in September; recovery took 11 minutes "
            "against a 30-minute target")
    browser = client_for(personas.erin)
    for kind, field in (("feedback", "what_they_did"), ("accomplishment", "result")):
        fragment = check(browser, text, kind=kind, field=field, evidence="7")
        assert "Output without outcome" not in fragment and "Vague" not in fragment
    assert "No narrative flags" in check(browser, text, kind="feedback", field="what_they_did")


@pytest.mark.parametrize("text", [
    "Fixed a crash when the upload list is empty.",
    "Added support for resumable uploads in the sync client. Thanks Joana de Souza and Pieter van Dijk.",
    "Switched the gallery to lazy loading of thumbnails.",
    "Added a warning when a job uses an insecure mirror URL.",
])
def test_the_live_check_leaves_described_changes_and_credit_lines_alone(personas, client_for, text):
    # Issue 16: a repair that names its failure, a named capability, code and a credit line are not weak writing.
    fragment = check(client_for(personas.erin), text, kind="feedback", field="what_they_did")
    assert "No narrative flags" in fragment


@pytest.mark.parametrize("text", [
    "She rewrote the billing export so month-end closes in two hours instead of two days.",
    "Priya answers the support queue before standup every morning and hands each open ticket to its owner.",
    "Tomasz is the first to join the incident call and stays until the status page is updated.",
    "Odalys asks for a second review whenever she changes the payroll rules.",
])
@pytest.mark.parametrize("kind, field", [("feedback", "what_they_did"), ("accomplishment", "result")])
def test_the_live_check_leaves_concrete_behaviour_in_review_prose_alone(personas, client_for, text, kind, field):
    # Issue 16: a concrete behaviour written in a review's words (a named task, a time frame, a before/after) is
    # neither vague, a trait, nor output without outcome, in either form.
    fragment = check(client_for(personas.erin), text, kind=kind, field=field, evidence="7")
    assert "Vague" not in fragment and "About personality" not in fragment
    assert "Output without outcome" not in fragment


def test_a_vague_flag_never_names_the_person_as_its_trigger(personas, client_for):
    # The model reads a sentence's first word as a placeholder when it stands as a person's name, so the flag
    # quotes the words of praise, not "Tomasz".
    fragment = check(client_for(personas.erin), "Tomasz is a pleasure to have on the team.", field="what_they_did")
    assert "Vague praise or criticism" in fragment
    assert "“Tomasz" not in fragment and "Tomasz”" not in fragment and "pleasure" in fragment


@pytest.mark.parametrize("text", [
    "Wrote a load test for checkout-service.",
    "Added a kafka consumer for order-events.",
    "He has looked after the LedgerSync service since it launched.",
])
def test_the_live_accomplishment_check_reads_a_named_system_as_the_artefact(personas, client_for, text):
    # Issue 16: a named artefact is never "output without outcome", however the system is spelled.
    fragment = check(client_for(personas.erin), text, kind="accomplishment", field="action", evidence="7")
    assert "Output without outcome" not in fragment


def test_the_live_accomplishment_check_still_asks_for_an_outcome(personas, client_for):
    fragment = check(client_for(personas.erin), "Fixed several bugs.", kind="accomplishment", field="action",
                     evidence="7")
    assert "Output without outcome" in fragment


def test_evidence_attached_to_an_accomplishment_counts_as_cited(personas, client_for):
    browser = client_for(personas.erin)
    claim = "Reduced checkout errors from 2.1% to 0.4%."
    assert "Claim without evidence" in check(browser, claim, kind="accomplishment", field="result")
    assert "Claim without evidence" not in check(browser, claim, kind="accomplishment", field="result", evidence="7")


def test_scope_is_checked_on_the_whole_accomplishment_under_the_impact_field(personas, client_for):
    browser = client_for(personas.erin)
    fields = {"situation": "Exports stalled.", "action": "Migrated the export to a replica [E:1].",
              "result": "Reduced detection time from 240 to 30 minutes [E:1]."}
    no_scope = check(browser, "Finance gets files on time.", kind="accomplishment", field="impact", **fields)
    assert "Scope missing" in no_scope
    with_count = check(browser, "Finance gets files on time.", kind="accomplishment", field="impact",
                       teams_affected="2", **fields)
    assert "Scope missing" not in with_count
    assert "Scope missing" not in check(browser, fields["result"], kind="accomplishment", field="result", **fields)


@pytest.mark.parametrize("path_template, field", [
    ("/growth/{erin}/checkpoints/new/", "wins"),
    ("/growth/{erin}/commentary/", "owned"),
    ("/growth/accomplishments/new/", "situation"),
])
def test_every_text_form_wires_its_fields_to_the_live_check(personas, client_for, path_template, field):
    browser = client_for(personas.mo if "commentary" in path_template or "checkpoints" in path_template
                         else personas.erin)
    page = browser.get(path_template.format(erin=personas.erin.pk)).content.decode()
    assert 'hx-post="/growth/check/"' in page
    assert 'hx-trigger="input changed delay:500ms, load"' in page
    assert f'hx-target="#flags-{field}"' in page and f'id="flags-{field}"' in page


def test_the_feedback_answer_form_is_checked_live(personas, client_for):
    from brightline.feedback import services

    feedback_request = services.request_feedback(actor=personas.erin, subject=personas.erin,
                                                 respondents=[(personas.pat, "peer")])
    page = client_for(personas.pat).get(f"/growth/invitations/{feedback_request.invitations.get().pk}/")
    assert 'hx-target="#flags-what_they_did"' in page.content.decode()


def test_anonymous_visitors_cannot_use_the_check_endpoint(client, personas):
    assert client.post("/growth/check/", {"field": "text", "text": "x"}).status_code == 302


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    return code, out.getvalue(), err.getvalue()


def test_narrative_check_text_json_contract(db):
    code, out, _ = run("narrative", "check", "--text", "Great collaborator. Migrated a few services to containers.",
                       "--json")
    payload = json.loads(out)
    assert code == 0 and payload["kind"] == "feedback" and len(payload["texts"]) == 1
    flags = payload["texts"][0]["flags"]
    assert [flag["flag_id"] for flag in flags] == ["vague", "output_without_outcome"]
    assert set(flags[0]) == {"flag_id", "sentence", "words", "reason", "suggestion"}
    assert flags[0]["words"] == ["Great collaborator"] and flags[0]["sentence"] == "Great collaborator."
    assert payload["texts"][0]["flag_counts"]["vague"] == 1


def test_narrative_check_text_prints_reasons_for_people(db):
    code, out, _ = run("narrative", "check", "--text", "Not a culture fit.", "--kind", "manager_narrative")
    assert code == 0 and "1 flag: Not a culture fit." in out and "personality" in out and "why: " in out


def test_narrative_check_csv_writes_one_row_per_input_row_in_order(db, tmp_path):
    source, output = tmp_path / "in.csv", tmp_path / "out.csv"
    rows = [("1", "Great team player."), ("2", "Cut build time from 22 to 9 minutes [E:4]."), ("3", "")]
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "comment"])
        writer.writerows(rows)
    code, out, _ = run("narrative", "check", "--input", str(source), "--text-column", "comment", "--output",
                       str(output), "--json")
    summary = json.loads(out)
    assert code == 0 and summary["rows"] == 3 and summary["flagged_rows"] == 1
    assert summary["flag_counts"]["vague"] == 1
    with output.open(encoding="utf-8", newline="") as handle:
        written = list(csv.DictReader(handle))
    assert [(row["id"], row["comment"]) for row in written] == rows
    assert [row["flags"] for row in written] == ["vague", "", ""]
    assert written[0]["flag_reasons"].startswith("vague: Vague praise or criticism")


def test_narrative_check_csv_reports_a_missing_column(db, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("id,text\n1,hello\n", encoding="utf-8")
    code, _, err = run("narrative", "check", "--input", str(source), "--text-column", "comment", "--output",
                       str(tmp_path / "out.csv"))
    assert code == 1 and "has no column 'comment'" in err and "id, text" in err


def test_nlp_classify_tone_keeps_every_row_in_order_and_adds_label_and_confidence(db, tmp_path):
    source, output = tmp_path / "comments.csv", tmp_path / "labelled.csv"
    texts = ["Thanks, the retry logic reads clearly now.", "This is fucking garbage code, what the hell",
             "Could you add a test for the stale rate?"]
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "body"])
        writer.writerows([(str(i), text) for i, text in enumerate(texts)])
    code, out, _ = run("nlp", "classify", "--task", "tone", "--input", str(source), "--text-column", "body",
                       "--output", str(output), "--json")
    summary = json.loads(out)
    assert code == 0 and summary["rows"] == 3 and sum(summary["label_counts"].values()) == 3
    with output.open(encoding="utf-8", newline="") as handle:
        written = list(csv.DictReader(handle))
    assert [row["body"] for row in written] == texts and [row["id"] for row in written] == ["0", "1", "2"]
    assert {row["label"] for row in written} <= {"toxic", "ok"} and written[1]["label"] == "toxic"
    assert all(0 <= float(row["confidence"]) <= 1 for row in written)


def test_nlp_classify_sentiment_and_a_missing_column(db, tmp_path):
    source = tmp_path / "comments.csv"
    source.write_text("id,body\n1,Looks good to me\n", encoding="utf-8")
    code, out, _ = run("nlp", "classify", "--task", "sentiment", "--input", str(source), "--text-column", "body",
                       "--output", str(tmp_path / "out.csv"))
    assert code == 0 and out.startswith("Classified 1 rows")
    code, _, err = run("nlp", "classify", "--task", "tone", "--input", str(source), "--text-column", "text",
                       "--output", str(tmp_path / "out2.csv"))
    assert code == 1 and "no column 'text'" in err

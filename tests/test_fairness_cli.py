"""``brightline audit outcomes``: a people partner audits an HRIS export in one command."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from scipy.stats import fisher_exact

from tests.research_data import RESEARCH_DATA as SHARED_DATA

HR_FILE = SHARED_DATA / "hr_huebner_v14" / "HRDataset_v14.csv"


def run_audit(*args: str) -> dict:
    out = io.StringIO()
    call_command("audit", "outcomes", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "decisions.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.django_db
def test_the_text_output_prints_rates_as_percentages_with_their_counts(tmp_path):
    """As the audit pages do: "60.0 % (12 of 20)", intervals in percent, the gap in percentage points."""
    rows = ["outcome,site"] + ["promoted,north"] * 12 + ["not,north"] * 8 + ["promoted,south"] * 5 + \
        ["not,south"] * 15
    out = io.StringIO()
    call_command("audit", "outcomes", "--input", str(write(tmp_path, "\n".join(rows))), "--outcome-column",
                 "outcome", "--favourable", "promoted", "--group-column", "site", stdout=out)
    text = out.getvalue()
    assert "60.0 % (12 of 20)" in text and "25.0 % (5 of 20)" in text
    assert "35.0 percentage points" in text and "Fisher's exact test: p = " in text
    assert " 0.600 " not in text and "0.250" not in text  # no raw fractions


@pytest.mark.django_db
def test_it_audits_two_groups_with_fisher_and_the_four_fifths_rule(tmp_path):
    rows = ["outcome,site"] + ["promoted,north"] * 12 + ["not,north"] * 8 + ["promoted,south"] * 5 + \
        ["not,south"] * 15
    result = run_audit("--input", str(write(tmp_path, "\n".join(rows))), "--outcome-column", "outcome",
                       "--favourable", "promoted", "--group-column", "site")
    groups = {group["group"]: group for group in result["groups"]}
    assert (groups["north"]["n"], groups["north"]["favourable"], groups["north"]["rate"]) == (20, 12, 0.6)
    assert groups["south"]["rate"] == 0.25
    assert result["reference_group"] == "north"
    assert result["impact_ratio"] == pytest.approx(0.25 / 0.6)
    assert result["four_fifths_flag"] is True
    assert result["test"] == "fisher_exact"
    assert result["p_value"] == pytest.approx(fisher_exact([[12, 8], [5, 15]])[1])
    assert result["min_cohort"] == 5 and result["suppressed"] == []


@pytest.mark.django_db
def test_small_groups_are_suppressed_and_listed(tmp_path):
    rows = ["outcome,team"] + ["yes,a"] * 6 + ["no,a"] * 4 + ["yes,b"] * 5 + ["no,b"] * 5 + ["yes,c"] * 2
    result = run_audit("--input", str(write(tmp_path, "\n".join(rows))), "--outcome-column", "outcome",
                       "--favourable", "yes", "--group-column", "team", "--min-cohort", "5")
    assert "c" in result["suppressed"]
    assert "c" not in {group["group"] for group in result["groups"]}


@pytest.mark.django_db
def test_the_policy_minimum_cohort_is_the_default(tmp_path, personas):
    from brightline.policy.services import update_policy

    update_policy(actor=personas.pia, min_cohort_size=11)
    rows = ["outcome,team"] + ["yes,a"] * 6 + ["no,a"] * 4 + ["yes,b"] * 7 + ["no,b"] * 5
    result = run_audit("--input", str(write(tmp_path, "\n".join(rows))), "--outcome-column", "outcome",
                       "--favourable", "yes", "--group-column", "team")
    assert result["min_cohort"] == 11 and "a" in result["suppressed"]


@pytest.mark.django_db
@pytest.mark.parametrize("args,message", [
    (["--outcome-column", "missing", "--favourable", "yes", "--group-column", "team"], "Column 'missing' is not in"),
    (["--outcome-column", "outcome", "--favourable", "maybe", "--group-column", "team"],
     "None of the favourable values"),
])
def test_bad_input_gets_a_clear_error(tmp_path, args, message):
    path = write(tmp_path, "outcome,team\nyes,a\nno,b\n")
    with pytest.raises(CommandError, match=message):
        run_audit("--input", str(path), *args)


@pytest.mark.django_db
def test_an_empty_file_gets_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="is empty"):
        run_audit("--input", str(write(tmp_path, "")), "--outcome-column", "o", "--favourable", "y",
                  "--group-column", "g")


@pytest.mark.django_db
def test_the_hr_dataset_by_sex_matches_scipy():
    if not HR_FILE.exists():
        pytest.skip(f"shared data not present at {HR_FILE}")
    result = run_audit("--input", str(HR_FILE), "--outcome-column", "PerformanceScore",
                       "--favourable", "Exceeds", "--favourable", "Fully Meets", "--group-column", "Sex")
    groups = {group["group"]: group for group in result["groups"]}
    assert set(groups) == {"F", "M "}  # values exactly as in the file, trailing space included
    assert (groups["F"]["n"], groups["F"]["favourable"]) == (176, 162)
    assert (groups["M "]["n"], groups["M "]["favourable"]) == (135, 118)
    assert result["p_value"] == pytest.approx(fisher_exact([[162, 14], [118, 17]])[1])
    assert result["four_fifths_flag"] is False

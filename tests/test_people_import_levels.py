"""``brightline import people`` as a first-time administrator writes the file: levels by the titles the pages
show ("Engineer II", "Engineering Manager") or by code, in any case; an unknown level is "not a level" naming
the ones known; and one row's own mistake is reported once, not again on every row that names that person as
manager."""

from __future__ import annotations

import pytest

from brightline.people import importer
from brightline.people.models import Level, Person
from tests.test_people_import import run_import, write_csv

pytestmark = pytest.mark.django_db


def test_a_level_is_given_by_its_title_or_its_code_in_any_case(tmp_path, ladder, organisation):
    manager_title = Level.objects.get(code="M2").title
    engineer_title = Level.objects.get(code="IC2").title
    rows = [f"E001,Ruth Ames,ruth@example.org,,Core,{manager_title.upper()},UTC,2020-01-06,",
            f"E002,Sam Berg,sam@example.org,E001,Core,  {engineer_title.lower()} ,UTC,2021-01-04,",
            "E003,Tia Cruz,tia@example.org,E001,Core,ic3,UTC,2022-01-03,"]
    code, result = run_import(write_csv(tmp_path, rows))
    assert code == 0 and result["created"] == 3, result
    levels = dict(Person.objects.values_list("employee_id", "level__code"))
    assert levels == {"E001": "M2", "E002": "IC2", "E003": "IC3"}
    # The same file again changes nothing: a title is stored as its level, not as a change each time.
    code, again = run_import(write_csv(tmp_path, rows))
    assert code == 0 and again["unchanged"] == 3


def test_an_unknown_level_is_not_a_level_with_titles_and_codes_never_a_length_error(tmp_path, ladder, organisation):
    long_name = "Principal Distinguished Engineering Manager"
    code, result = run_import(write_csv(tmp_path, [f"E001,Ruth Ames,ruth@example.org,,Core,{long_name},UTC,,"]))
    assert code == 1
    (error,) = result["errors"]
    assert error["reason"].startswith(f"level {long_name!r} is not a level; give a level's title or its code")
    assert "characters long" not in error["reason"]
    ic2 = Level.objects.get(code="IC2")
    assert f"{ic2.title} (IC2)" in error["reason"]


def test_one_rows_own_error_is_reported_once_not_on_the_rows_it_manages(tmp_path, ladder, organisation):
    rows = ["E001,Ruth Ames,ruth@example.org,,Core,M2,UTC,,",
            "E002,Sam Berg,sam@example.org,E001,Core,Chief Wizard,UTC,,",
            "E003,Tia Cruz,tia@example.org,E002,Core,IC2,UTC,,",
            "E004,Uma Diaz,not-an-email,E001,Core,IC2,UTC,,",
            "E005,Vic Eng,vic@example.org,E004,Core,IC2,UTC,,",
            "E006,Wes Fox,wes@example.org,E002,Core,IC2,UTC,,"]
    code, result = run_import(write_csv(tmp_path, rows))
    assert code == 1
    reasons = [(error["line"], error["reason"].split(";")[0]) for error in result["errors"]]
    assert reasons == [(3, "level 'Chief Wizard' is not a level"),
                       (5, importer.ERR_BAD_EMAIL.format(value="not-an-email"))]
    assert not Person.objects.exists()


def test_a_manager_missing_from_the_file_and_from_brightline_is_still_an_error(tmp_path, ladder, organisation):
    code, result = run_import(write_csv(tmp_path, ["E003,Tia Cruz,tia@example.org,E999,Core,IC2,UTC,,"]))
    assert code == 1
    assert result["errors"] == [{"line": 2, "reason": importer.ERR_UNKNOWN_MANAGER.format(value="E999")}]


def test_installing_the_default_ladder_lists_the_levels_a_file_may_name(db):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("ladder", "install-default", stdout=out)
    assert "Engineer II (IC2)" in out.getvalue() and "Engineering Manager (M1)" in out.getvalue()


def test_on_a_new_install_without_a_ladder_the_refusal_names_the_command_that_installs_one(tmp_path, organisation):
    code, result = run_import(write_csv(tmp_path, ["E001,Ruth Ames,ruth@example.org,,Core,Director,UTC,,"]))
    assert code == 1
    (error,) = result["errors"]
    assert "known: none" not in error["reason"]
    assert "no career ladder is installed yet" in error["reason"]
    assert "brightline ladder install-default" in error["reason"]
    # After running it, the same title-less row names the installed levels instead.
    from brightline.people.services import install_default_ladder
    install_default_ladder(actor_label="test")
    code, result = run_import(write_csv(tmp_path, ["E001,Ruth Ames,ruth@example.org,,Core,Director,UTC,,"]))
    (error,) = result["errors"]
    assert "install-default" not in error["reason"] and "(IC2)" in error["reason"]

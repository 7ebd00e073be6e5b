"""Logins follow the HRIS: the people import creates, renames and closes them; invitations set passwords."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from brightline.people.models import Person

pytestmark = pytest.mark.django_db

HEADER = "employee_id,name,email,manager_id,team,level,timezone,start_date,work_modality,end_date"
ROWS = [
    "100,Ana Lima,ana@example.org,,Platform,M2,Europe/Lisbon,2019-03-01,hybrid,",
    "101,Ben Cole,ben@example.org,100,Platform,IC3,UTC,2021-06-14,remote,",
    "102,Chidi Obi,chidi@example.org,100,Payments,IC2,UTC,2023-01-09,onsite,",
]


@pytest.fixture(autouse=True)
def locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.BRIGHTLINE_BASE_URL = "https://brightline.example.org"
    settings.BRIGHTLINE_BASE_URL_CONFIGURED = True


def run_import(tmp_path: Path, rows: list[str], *args: str) -> dict:
    path = tmp_path / "people.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    out = io.StringIO()
    call_command("import", "people", str(path), "--json", *args, stdout=out)
    return json.loads(out.getvalue())


def days_from_today(days: int) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def test_an_imported_person_gets_a_login_without_a_usable_password(tmp_path, ladder, organisation):
    get_user_model().objects.create(username="ana", email="someone-else@example.org")
    result = run_import(tmp_path, ROWS)
    assert result["logins_created"] == 3
    ana = Person.objects.select_related("user").get(employee_id="100")
    assert ana.user is not None and ana.user.username == "ana2"  # "ana" was taken
    assert (ana.user.email, ana.user.first_name, ana.user.last_name) == ("ana@example.org", "Ana", "Lima")
    assert not ana.user.has_usable_password() and ana.user.is_active
    assert Person.objects.get(employee_id="101").user.username == "ben"


@pytest.mark.parametrize("extra", [0, 150], ids=["a few people", "more people than one pattern holds"])
def test_an_imported_login_skips_every_taken_username_however_many_people_come(tmp_path, ladder, organisation,
                                                                            extra):
    for taken in ("ana", "ANA2", "ana2x", "ben7"):
        get_user_model().objects.create(username=taken, email=f"{taken}@elsewhere.example.org")
    others = [f"{200 + number},Person {number},p{number}@example.org,100,Platform,IC2,UTC,2022-01-01,remote,"
              for number in range(extra)]
    run_import(tmp_path, [*ROWS, "103,Ben Seven,ben7@example.org,100,Platform,IC2,UTC,2022-01-01,remote,", *others])
    usernames = dict(Person.objects.values_list("employee_id", "user__username"))
    # "ana" and "ana2" (in any case) are taken; "ana2x" is another name; "ben7" is taken, so "ben72" is next.
    assert (usernames["100"], usernames["101"], usernames["103"]) == ("ana3", "ben", "ben72")
    assert len(set(usernames.values())) == len(usernames) == 4 + extra


def test_a_changed_name_and_email_update_the_login(tmp_path, ladder, organisation):
    run_import(tmp_path, ROWS)
    username = Person.objects.get(employee_id="101").user.username
    result = run_import(tmp_path, [ROWS[0], "101,Ben Cole-Hart,ben.cole@example.org,100,Platform,IC3,UTC,"
                                            "2021-06-14,remote,", ROWS[2]])
    assert result["updated"] == 1 and result["logins_created"] == 0
    user = Person.objects.get(employee_id="101").user
    assert (user.username, user.email, user.last_name) == (username, "ben.cole@example.org", "Cole-Hart")


def test_a_leaver_with_a_past_end_date_loses_their_session_at_once(tmp_path, ladder, organisation):
    run_import(tmp_path, ROWS)
    ben = Person.objects.get(employee_id="101")
    browser = Client()
    browser.force_login(ben.user)
    assert browser.get("/").status_code == 200

    leaving = days_from_today(-1)
    rows = [ROWS[0], f"101,Ben Cole,ben@example.org,100,Platform,IC3,UTC,2021-06-14,remote,{leaving}", ROWS[2]]
    dry = run_import(tmp_path, rows, "--dry-run")
    assert (dry["left"], dry["logins_deactivated"], dry["logins_created"]) == (["101"], 1, 0)
    assert Person.objects.get(employee_id="101").is_active  # the dry run wrote nothing

    result = run_import(tmp_path, rows)
    assert result["left"] == ["101"] and result["logins_deactivated"] == 1
    ben.refresh_from_db()
    assert not ben.is_active and ben.left_on.isoformat() == leaving and not ben.user.is_active
    response = browser.get("/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert browser.get("/api/me").status_code == 401


def test_a_future_end_date_is_recorded_and_the_person_stays_until_then(tmp_path, ladder, organisation):
    rows = [*ROWS[:2], f"102,Chidi Obi,chidi@example.org,100,Payments,IC2,UTC,2023-01-09,onsite,{days_from_today(30)}"]
    result = run_import(tmp_path, rows)
    chidi = Person.objects.get(employee_id="102")
    assert result["left"] == [] and chidi.is_active and chidi.user.is_active
    assert chidi.left_on.isoformat() == days_from_today(30)


def test_someone_missing_from_a_full_import_has_left(tmp_path, ladder, organisation):
    run_import(tmp_path, ROWS)
    partial = run_import(tmp_path, ROWS[:2])
    assert partial["left"] == [] and Person.objects.get(employee_id="102").is_active

    dry = run_import(tmp_path, ROWS[:2], "--full", "--dry-run")
    assert (dry["left"], dry["logins_deactivated"]) == (["102"], 1)
    assert Person.objects.get(employee_id="102").user.is_active

    result = run_import(tmp_path, ROWS[:2], "--full")
    chidi = Person.objects.select_related("user").get(employee_id="102")
    assert result["left"] == ["102"]
    assert not chidi.is_active and chidi.left_on == timezone.localdate() and not chidi.user.is_active
    # Re-hired: back in the file without an end date.
    again = run_import(tmp_path, ROWS, "--full")
    chidi.refresh_from_db()
    chidi.user.refresh_from_db()
    assert again["left"] == [] and chidi.is_active and chidi.left_on is None and chidi.user.is_active


def test_a_leaver_rehired_on_a_fixed_term_comes_back_with_the_new_end_date(tmp_path, ladder, organisation):
    rows = [*ROWS[:2], f"102,Chidi Obi,chidi@example.org,100,Payments,IC2,UTC,2023-01-09,onsite,{days_from_today(-5)}"]
    run_import(tmp_path, rows)
    assert not Person.objects.get(employee_id="102").is_active
    rows[2] = f"102,Chidi Obi,chidi@example.org,100,Payments,IC2,UTC,2023-01-09,onsite,{days_from_today(90)}"
    run_import(tmp_path, rows)
    chidi = Person.objects.select_related("user").get(employee_id="102")
    assert chidi.is_active and chidi.user.is_active and chidi.left_on.isoformat() == days_from_today(90)


def test_a_bad_end_date_refuses_the_whole_file(tmp_path, ladder, organisation):
    path = tmp_path / "people.csv"
    path.write_text("\n".join([HEADER, ROWS[0], "101,Ben Cole,ben@example.org,100,Platform,IC3,UTC,2021-06-14,,"
                               "2020-01-01", "102,Chidi,chidi@example.org,100,Payments,IC2,UTC,,,soon"]) + "\n")
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("import", "people", str(path), "--json", stdout=out)
    reasons = {(error["line"], error["reason"]) for error in json.loads(out.getvalue())["errors"]}
    assert (3, "end_date 2020-01-01 is before start_date 2021-06-14") in reasons
    assert (4, "end_date 'soon' is not a date in the form YYYY-MM-DD") in reasons
    assert Person.objects.count() == 0 and get_user_model().objects.count() == 0


def test_an_invitation_sets_a_password_and_the_person_can_log_in(tmp_path, ladder, organisation):
    run_import(tmp_path, ROWS)
    out = io.StringIO()
    call_command("people", "invite", "--email", "Ana@example.org", stdout=out)
    assert "Ana Lima" in out.getvalue()
    [message] = mail.outbox
    assert message.to == ["ana@example.org"]
    link = re.search(r"https://brightline\.example\.org(/accounts/password/set/\S+/)", message.body).group(1)
    browser = Client()
    form_url = browser.get(link).url  # Django swaps the token for a session-held one
    response = browser.post(form_url, {"new_password1": "a-long-new-password-7", "new_password2":
                                       "a-long-new-password-7"})
    assert response.status_code == 302
    assert Client().login(username="ana", password="a-long-new-password-7")
    assert browser.get(link).status_code == 200 and "no longer works" in browser.get(link).content.decode()


def test_the_command_says_plainly_when_it_has_to_guess_the_address(tmp_path, ladder, organisation, settings):
    run_import(tmp_path, ROWS)
    settings.BRIGHTLINE_BASE_URL_CONFIGURED = False
    settings.BRIGHTLINE_BASE_URL = "http://localhost:8000"
    out, err = io.StringIO(), io.StringIO()
    call_command("people", "invite", "--email", "ana@example.org", stdout=out, stderr=err)
    assert "http://localhost:8000/accounts/password/set/" in mail.outbox[0].body
    assert "BRIGHTLINE_BASE_URL is not set, so the link was guessed: it starts with http://localhost:8000" in (
        err.getvalue())
    settings.BRIGHTLINE_BASE_URL_CONFIGURED = True
    settings.BRIGHTLINE_BASE_URL = "https://brightline.example.org"
    err = io.StringIO()
    call_command("people", "invite", "--email", "ana@example.org", stdout=out, stderr=err)
    assert err.getvalue() == "" and "https://brightline.example.org/accounts/" in mail.outbox[1].body


def test_inviting_an_unknown_or_departed_address_is_a_clear_error(tmp_path, ladder, organisation):
    with pytest.raises(CommandError, match="no active person with the email 'nobody@example.org'"):
        call_command("people", "invite", "--email", "nobody@example.org")
    assert mail.outbox == []


def test_the_reset_page_sends_a_link_to_a_login_that_never_had_a_password(tmp_path, ladder, organisation):
    run_import(tmp_path, ROWS)
    browser = Client()
    assert browser.get("/accounts/password/reset/").status_code == 200
    response = browser.post("/accounts/password/reset/", {"email": "ben@example.org"})
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["ben@example.org"] and "/accounts/password/set/" in message.body
    browser.post("/accounts/password/reset/", {"email": "nobody@example.org"})
    assert len(mail.outbox) == 1

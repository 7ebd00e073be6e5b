"""Every permission boundary of the foundation, asked of the policy module, the pages and the API."""

from __future__ import annotations

import pytest

from brightline import access
from brightline.audit.models import AccessLog

pytestmark = pytest.mark.django_db


def test_a_person_sees_their_own_record(personas):
    assert access.can_view_person_record(personas.erin, personas.erin)


def test_the_manager_and_the_skip_level_see_a_report_record(personas):
    assert access.can_view_person_record(personas.mo, personas.erin)
    assert access.can_view_person_record(personas.lee, personas.erin)


def test_a_peer_and_an_outsider_do_not_see_a_record(personas):
    assert not access.can_view_person_record(personas.pat, personas.erin)
    assert not access.can_view_person_record(personas.oscar, personas.erin)


def test_a_report_cannot_see_their_manager_record(personas):
    assert not access.can_view_person_record(personas.erin, personas.mo)


def test_a_leader_sees_no_individual_outside_their_own_line(personas):
    assert not access.can_view_person_record(personas.lee, personas.oscar)
    assert access.can_view_aggregates(personas.lee)


def test_a_people_partner_sees_records_and_aggregates(personas):
    assert access.can_view_person_record(personas.pia, personas.oscar)
    assert access.can_view_aggregates(personas.pia)
    assert access.can_edit_policy(personas.pia)


def test_feedback_is_for_the_person_and_their_chain_only(personas):
    assert access.can_view_feedback(personas.erin, personas.erin)
    assert access.can_view_feedback(personas.lee, personas.erin)
    assert not access.can_view_feedback(personas.pat, personas.erin)
    # Coaching space: a people partner does not read feedback by default.
    assert not access.can_view_feedback(personas.pia, personas.erin)


def test_health_detail_is_for_the_person_and_their_direct_manager(personas):
    assert access.can_view_health_detail(personas.mo, personas.erin)
    assert not access.can_view_health_detail(personas.lee, personas.erin)
    assert not access.can_view_health_detail(personas.pat, personas.erin)


def test_only_people_partners_edit_policy_manage_people_and_read_the_audit_trail(personas):
    for person in (personas.erin, personas.mo, personas.lee, personas.pat, personas.oscar):
        assert not access.can_edit_policy(person)
        assert not access.can_manage_people(person)
        assert not access.can_view_audit_trail(person)
    assert access.can_view_audit_trail(personas.pia)


def test_an_inactive_manager_loses_access(personas):
    personas.mo.is_active = False
    personas.mo.save()
    assert not access.can_view_person_record(personas.mo, personas.erin)


def test_an_account_without_a_person_sees_nothing_personal(personas):
    assert not access.can_view_person_record(None, personas.erin)
    assert not access.can_view_directory(None)


def test_a_loop_in_the_reporting_chain_does_not_hang_or_grant_access(personas):
    # Imports refuse loops, but an admin edit could still create one; the check must stay finite.
    personas.lee.manager = personas.erin
    personas.lee.save()
    assert access.manages(personas.mo, personas.erin)
    assert not access.manages(personas.oscar, personas.erin)


@pytest.mark.parametrize("viewer,allowed", [("erin", True), ("mo", True), ("lee", True), ("pia", True),
                                            ("pat", False), ("oscar", False)])
def test_the_record_page_follows_the_policy(personas, client_for, viewer, allowed):
    response = client_for(getattr(personas, viewer)).get(f"/people/{personas.erin.pk}/")
    assert response.status_code == (200 if allowed else 403)


@pytest.mark.parametrize("viewer,allowed", [("erin", True), ("mo", True), ("lee", True), ("pia", True),
                                            ("pat", False), ("oscar", False)])
def test_the_record_api_follows_the_policy(personas, client_for, viewer, allowed):
    response = client_for(getattr(personas, viewer)).get(f"/api/people/{personas.erin.pk}")
    assert response.status_code == (200 if allowed else 403)


def test_a_manager_reading_a_record_is_logged_and_the_person_sees_it(personas, client_for):
    client_for(personas.mo).get(f"/people/{personas.erin.pk}/")
    client_for(personas.lee).get(f"/api/people/{personas.erin.pk}")
    reads = AccessLog.objects.filter(subject=personas.erin)
    assert [(entry.viewer_id, entry.via) for entry in reads.order_by("id")] == [
        (personas.mo.pk, "web"), (personas.lee.pk, "api")]
    page = client_for(personas.erin).get("/me/access-log/").content.decode()
    assert "Mo Manager" in page and "Lee Leader" in page


def test_reading_ones_own_record_is_not_logged(personas, client_for):
    client_for(personas.erin).get(f"/people/{personas.erin.pk}/")
    assert not AccessLog.objects.exists()


def test_a_refused_read_is_not_logged_as_a_read(personas, client_for):
    client_for(personas.pat).get(f"/people/{personas.erin.pk}/")
    assert not AccessLog.objects.exists()


@pytest.mark.parametrize("viewer,allowed", [("erin", True), ("pia", True), ("mo", False), ("pat", False)])
def test_who_read_a_record_is_visible_to_the_person_and_people_partners(personas, client_for, viewer, allowed):
    response = client_for(getattr(personas, viewer)).get(f"/people/{personas.erin.pk}/access-log/")
    assert response.status_code == (200 if allowed else 403)


@pytest.mark.parametrize("path", ["/organisation/", "/policy/edit/", "/audit/"])
@pytest.mark.parametrize("viewer", ["erin", "mo", "pat", "oscar"])
def test_people_partner_and_leader_pages_are_refused_to_employees_and_managers(personas, client_for, path,
                                                                                viewer):
    assert client_for(getattr(personas, viewer)).get(path).status_code == 403


def test_the_leader_sees_the_organisation_aggregates_but_not_the_policy_editor(personas, client_for):
    leader = client_for(personas.lee)
    assert leader.get("/organisation/").status_code == 200
    assert leader.get("/policy/edit/").status_code == 403


def test_a_team_page_is_refused_to_an_outsider(personas, client_for):
    assert client_for(personas.erin).get("/teams/payments/").status_code == 200
    assert client_for(personas.lee).get("/teams/payments/").status_code == 200
    assert client_for(personas.oscar).get("/teams/payments/").status_code == 403


def test_an_access_log_with_an_unknown_channel_is_refused(personas):
    from brightline.audit.services import ERR_VIA, record_access

    with pytest.raises(ValueError) as error:
        record_access(personas.mo, personas.erin, "people.profile", via="web:somewhere")
    assert str(error.value) == ERR_VIA.format(choices="web, api, cli, admin", via="web:somewhere")
    assert not AccessLog.objects.exists()


def test_reads_of_a_person_through_the_admin_are_in_their_access_log(personas, client_for):
    from django.contrib.auth import get_user_model
    from django.test import Client

    personas.pia.user.is_staff = personas.pia.user.is_superuser = True
    personas.pia.user.save()
    browser = client_for(personas.pia)
    assert browser.get(f"/admin/people/person/{personas.erin.pk}/change/").status_code == 200
    assert browser.get(f"/admin/people/person/{personas.erin.pk}/history/").status_code == 200
    reads = AccessLog.objects.filter(subject=personas.erin, via="admin")
    assert [(r.viewer, r.record) for r in reads.order_by("id")] == [
        (personas.pia, "people.profile"), (personas.pia, "people.profile_history")]
    # An administrator account with no person record is named by its login, not as "system".
    root = get_user_model().objects.create(username="root", is_staff=True, is_superuser=True)
    browser = Client()
    browser.force_login(root)
    assert browser.get(f"/admin/people/person/{personas.erin.pk}/change/").status_code == 200
    assert reads.order_by("-id").first().viewer_label == "admin:root"
    # The employee sees the read, through the admin, on her own access log.
    page = client_for(personas.erin).get("/me/access-log/").content.decode()
    assert "admin site" in page


def test_reading_an_access_log_entry_in_the_admin_is_logged_too(personas, client_for):
    from brightline.audit.services import record_access

    record_access(personas.mo, personas.erin, "people.profile", via="web")
    entry = AccessLog.objects.get()
    personas.pia.user.is_staff = personas.pia.user.is_superuser = True
    personas.pia.user.save()
    assert client_for(personas.pia).get(f"/admin/audit/accesslog/{entry.pk}/change/").status_code == 200
    assert AccessLog.objects.filter(subject=personas.erin, via="admin", record="audit.access_log",
                                    viewer=personas.pia).count() == 1

"""Every read of someone's record goes through ``access.open_person_record``, which checks and logs it.

Three guards: no module but ``access.py`` (and the audit app's own admin) writes to the access log by hand;
every page that takes a person in its address and shows it to someone else leaves a read in that person's
access log; and every such page that refuses an outsider leaves the refused attempt in the audit trail — the
pages found from the URL configuration, so a new page is covered without editing this test.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import URLPattern, URLResolver, get_resolver

from brightline import access
from brightline.audit.models import AccessLog, AuditEntry
from brightline.audit.services import REFUSED_READ

SOURCE = Path(__file__).resolve().parents[1] / "src" / "brightline"
# The one place a read is logged for a viewer, and the audit app, which owns the log (its admin logs reads of
# the admin's own pages, where there is no person-record rule to check).
ALLOWED = {SOURCE / "access.py"}
# Pages with a person in the address that show nothing of their record: forms to write about them (feedback given
# without a request goes to any colleague, so its form answers everyone in the organisation but the person).
NOT_A_READ = {"feedback:new-checkpoint", "feedback:new-request", "feedback:give"}


def test_no_module_logs_a_read_by_hand():
    offenders = []
    for path in SOURCE.rglob("*.py"):
        if path in ALLOWED or (SOURCE / "audit") in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if name == "record_access":
                    offenders.append(f"{path.relative_to(SOURCE)}:{node.lineno}")
    assert not offenders, f"log reads through access.open_person_record, not by hand: {offenders}"


def person_pages() -> list[str]:
    """The names of every page whose address holds a person's id."""
    names = []

    def walk(patterns, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace)
            elif isinstance(pattern, URLPattern) and "person_id" in pattern.pattern.converters and pattern.name:
                names.append(f"{namespace}{pattern.name}")

    walk(get_resolver().url_patterns, "")
    return sorted(names)


def test_the_person_pages_are_found():
    pages = person_pages()
    assert {"person", "feedback:growth", "insights:person", "governance:manager-quality"} <= set(pages)


@pytest.mark.parametrize("page", person_pages())
def test_every_page_about_a_person_logs_the_read(page, personas, client_for):
    from django.urls import reverse

    url = reverse(page, kwargs={"person_id": personas.erin.pk})
    # The direct manager opens most of a report's record; a people partner opens the rest (the access log).
    shown = None
    for reader in (personas.mo, personas.pia):
        response = client_for(reader).get(url)
        if response.status_code == 200:
            shown = reader
            break
    if shown is None:
        pytest.skip(f"{page} is not a page the manager or a people partner opens")
    reads = AccessLog.objects.filter(subject=personas.erin, viewer=shown)
    if page in NOT_A_READ:
        assert not reads.exists()
        return
    assert reads.exists(), f"{page} showed Erin's record to {shown.name} without logging the read"


def _refusals(subject):
    return [(entry.actor_id, entry.data["record"], entry.data["via"], entry.data["address"])
            for entry in AuditEntry.objects.filter(action=REFUSED_READ, subject_person_id=subject.pk)]


@pytest.mark.parametrize("page", person_pages())
def test_every_page_about_a_person_records_a_refused_attempt(page, personas, client_for):
    from django.urls import reverse

    if page in NOT_A_READ:
        pytest.skip(f"{page} is a form to write about the person, not a read of their record")
    url = reverse(page, kwargs={"person_id": personas.erin.pk})
    response = client_for(personas.oscar).get(url)
    if page == "scim-user" and response.status_code == 401:
        pytest.skip("SCIM takes an administrator's token and answers a browser session with 401 (test_scim)")
    assert response.status_code == 403, f"{page} answered an outsider {response.status_code}, not 403"
    refusals = _refusals(personas.erin)
    assert [(viewer, address) for viewer, _record, _via, address in refusals] == [(personas.oscar.pk, url)], \
        f"{page} refused Oscar without recording the attempt"
    assert not AccessLog.objects.filter(subject=personas.erin).exists()


def test_open_person_record_refuses_before_logging(personas):
    with pytest.raises(PermissionDenied, match="their management chain"):
        access.open_person_record(personas.oscar, personas.erin, what="people.profile",
                                  denied="Only their management chain.")
    assert not AccessLog.objects.filter(subject=personas.erin).exists()
    # The refused attempt is in the audit trail, outside any request: no address.
    assert _refusals(personas.erin) == [(personas.oscar.pk, "people.profile", "web", "")]
    access.open_person_record(personas.mo, personas.erin, what="people.profile")
    access.open_person_record(personas.erin, personas.erin, what="people.profile")
    assert list(AccessLog.objects.filter(subject=personas.erin).values_list("viewer__name", "record", "via")) == [
        ("Mo Manager", "people.profile", "web")]


def test_an_api_refusal_is_a_403_with_the_reason(personas, client_for):
    response = client_for(personas.oscar).get(f"/api/people/{personas.erin.pk}")
    assert response.status_code == 403
    assert "management chain" in response.json()["detail"]
    assert not AccessLog.objects.filter(subject=personas.erin).exists()
    assert _refusals(personas.erin) == [(personas.oscar.pk, "people.profile", "api", f"/api/people/{personas.erin.pk}")]


def test_the_person_and_people_partners_see_refused_attempts_and_nobody_else(personas, client_for):
    """Oscar tries Erin's growth page and her goals through the API: the people partner's home flags two
    attempts and lists them; Erin sees both, named, on "who viewed my record"; nothing counts as a read."""
    oscar = client_for(personas.oscar)
    assert oscar.get(f"/growth/{personas.erin.pk}/").status_code == 403
    assert oscar.get(f"/api/goals?person_id={personas.erin.pk}").status_code == 403
    assert AuditEntry.objects.filter(action=REFUSED_READ).count() == 2
    pia = client_for(personas.pia)
    home = pia.get("/").content.decode()
    assert "2 refused attempts to open a person&#x27;s record in the last 30 days." in home
    assert 'href="/audit/refused-reads/"' in home
    listing = pia.get("/audit/refused-reads/").content.decode()
    assert listing.count("Oscar Outsider") == 2
    assert f'<a href="/people/{personas.erin.pk}/access-log/">{personas.erin.name}</a>' in listing
    assert "Growth page" in listing and "Goals" in listing and f"/growth/{personas.erin.pk}/" in listing
    assert "feedback.growth" not in listing and "goals.goals" not in listing
    own = client_for(personas.erin).get("/me/access-log/").content.decode()
    refused = own.split("Attempts that were refused", 1)[1]
    assert refused.count("Oscar Outsider") == 2 and "Growth page" in refused and "API" in refused
    assert "Oscar Outsider" not in own.split("Attempts that were refused", 1)[0]
    # Oscar's own page shows nothing of the attempts on Erin's record; only people partners open the list.
    assert "Oscar Outsider" not in oscar.get("/me/access-log/").content.decode().split("Attempts that were refused")[1]
    for other in (personas.erin, personas.mo, personas.lee, personas.oscar):
        assert client_for(other).get("/audit/refused-reads/").status_code == 403
    # Erin's copy of her data holds them too, oldest first, in words.
    from brightline.operations.data_rights import export_personal_data

    assert [(row["viewer_label"].split(" <")[0], row["record"], row["via"])
            for row in export_personal_data(personas.erin)["refused_attempts"]] == [
        ("Oscar Outsider", "Growth page", "web page"), ("Oscar Outsider", "Goals", "API")]


def test_no_refused_attempt_is_an_ok_audit_check(personas, client_for):
    home = client_for(personas.pia).get("/").content.decode()
    assert "Nobody was refused a person&#x27;s record in the last 30 days." in home
    assert 'href="/audit/refused-reads/"' not in home

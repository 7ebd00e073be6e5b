"""Every read of someone's record goes through ``access.open_person_record``, which checks and logs it.

Two guards: no module but ``access.py`` (and the audit app's own admin) writes to the access log by hand,
and every page that takes a person in its address and shows it to someone else leaves a read in that
person's access log — found from the URL configuration, so a new page is covered without editing this test.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import URLPattern, URLResolver, get_resolver

from brightline import access
from brightline.audit.models import AccessLog

SOURCE = Path(__file__).resolve().parents[1] / "src" / "brightline"
# The one place a read is logged for a viewer, and the audit app, which owns the log (its admin logs reads of
# the admin's own pages, where there is no person-record rule to check).
ALLOWED = {SOURCE / "access.py"}
# Pages with a person in the address that show nothing of their record: forms to write about them.
NOT_A_READ = {"feedback:new-checkpoint", "feedback:new-request"}


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


def test_open_person_record_refuses_before_logging(personas):
    with pytest.raises(PermissionDenied, match="their management chain"):
        access.open_person_record(personas.oscar, personas.erin, what="people.profile",
                                  denied="Only their management chain.")
    assert not AccessLog.objects.filter(subject=personas.erin).exists()
    access.open_person_record(personas.mo, personas.erin, what="people.profile")
    access.open_person_record(personas.erin, personas.erin, what="people.profile")
    assert list(AccessLog.objects.filter(subject=personas.erin).values_list("viewer__name", "record", "via")) == [
        ("Mo Manager", "people.profile", "web")]


def test_an_api_refusal_is_a_403_with_the_reason(personas, client_for):
    response = client_for(personas.oscar).get(f"/api/people/{personas.erin.pk}")
    assert response.status_code == 403
    assert "management chain" in response.json()["detail"]
    assert not AccessLog.objects.filter(subject=personas.erin).exists()

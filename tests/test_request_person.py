"""Who is reading is answered once per request: ``PersonMiddleware`` sets ``request.person`` and every page
asks ``access.request_person``, which refuses an account that is not an active person.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from brightline import access

SOURCE = Path(__file__).resolve().parents[1] / "src" / "brightline"
# The lookup itself, and the places with no page request to read it from (the admin's own pages, and the
# navigation, which renders on the login page too).
LOOKUP_ALLOWED = {"access.py", "people/middleware.py", "people/admin.py", "dashboards/context.py"}
PAGES = ["/", "/reviews/", "/growth/", "/support/", "/fairness/", "/insights/me/", "/people/changes/"]


def test_no_page_looks_up_its_reader_by_hand():
    offenders = []
    for path in SOURCE.rglob("*.py"):
        if str(path.relative_to(SOURCE)) in LOOKUP_ALLOWED:
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "person_for":
                offenders.append(f"{path.relative_to(SOURCE)}:{node.lineno}")
    assert not offenders, f"read the reader from access.request_person(request): {offenders}"


@pytest.mark.parametrize("url", PAGES)
def test_an_account_without_a_person_is_refused_with_a_reason(url, personas):
    account = get_user_model().objects.create(username="robot")
    browser = Client()
    browser.force_login(account)
    response = browser.get(url)
    assert response.status_code == 403
    assert access.ERR_NOT_LINKED in response.content.decode()


def test_a_person_who_left_is_not_the_reader_of_any_page(personas, client_for):
    browser = client_for(personas.pat)
    assert browser.get("/reviews/").status_code == 200
    personas.pat.is_active = False
    personas.pat.save(update_fields=["is_active"])
    assert browser.get("/reviews/").status_code in (302, 403)


def test_the_reader_is_on_the_request(personas, client_for):
    response = client_for(personas.mo).get("/reviews/")
    assert response.wsgi_request.person == personas.mo

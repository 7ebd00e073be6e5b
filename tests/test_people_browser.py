"""Adding a person in Chromium on a phone's width: the menu leads there, the manager is suggested as one types
(htmx fills the field's datalist), and the saved page says what waits and how the person signs in."""

from __future__ import annotations

import pytest

from tests.test_browser_pickers import _login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_people_partner_adds_a_person_with_a_suggested_manager_at_390_px(browser, live_server, personas):
    from brightline.people.models import Person, RoleChange

    page, errors = _login(browser, live_server, "pia")  # at 390 px

    page.locator("nav summary", has_text="Menu").click()
    page.locator("nav summary", has_text="Organisation").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Add a person").click()
    page.wait_for_url(f"{live_server.url}/people/new/")
    page.get_by_label("Full name").fill("Noor Jansen")
    page.get_by_label("Work e-mail").fill("noor@example.org")
    page.get_by_label("Team", exact=True).select_option(label="Payments")
    page.get_by_label("Manager").press_sequentially("mo man")
    option = page.locator("#manager-options option").first
    option.wait_for(state="attached")
    suggestion = option.get_attribute("value")
    assert suggestion == "Mo Manager (mo@example.org)"
    page.get_by_label("Manager").fill(suggestion)
    page.get_by_label("Level").select_option(label="Engineer II")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("button", name="Add the person").click()

    noor = Person.objects.get(email="noor@example.org")
    page.wait_for_url(f"{live_server.url}/people/{noor.pk}/account/")
    text = page.inner_text("main")
    assert "Waiting for a second approver" in text and "Manager: Mo Manager" in text
    assert "E-mail the invitation" in text
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert RoleChange.objects.get(person=noor).to_value == str(personas.mo.pk) and noor.manager is None
    assert errors == []

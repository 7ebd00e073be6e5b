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


@pytest.mark.parametrize("width", [390, 1366])
def test_a_people_partner_changes_a_manager_and_team_from_the_record(browser, live_server, personas, width):
    from brightline.people.models import Person, RoleChange

    page, errors = _login(browser, live_server, "pia")
    page.set_viewport_size({"width": width, "height": 900})
    erin = personas.erin
    page.goto(f"{live_server.url}/people/{erin.pk}/")
    page.get_by_role("link", name="Change manager or team").click()
    page.wait_for_url(f"{live_server.url}/people/{erin.pk}/manager-and-team/")
    assert page.get_by_label("Manager").input_value() == "Mo Manager (mo@example.org)"
    page.get_by_label("Manager").fill("")
    page.get_by_label("Manager").press_sequentially("olga")
    option = page.locator("#manager-options option").first
    option.wait_for(state="attached")
    page.get_by_label("Manager").fill(option.get_attribute("value"))
    page.get_by_label("Team", exact=True).select_option(label="Platform")
    page.get_by_label("Why").fill("moves to Platform after the reorganisation")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=f"/tmp/brightline-layout-pia-manager-and-team-{width}.png", full_page=True)
    page.get_by_role("button", name="Save the change").click()

    page.wait_for_url(f"{live_server.url}/people/{erin.pk}/account/")
    text = page.inner_text("main")
    assert "Erin Employee is now in Platform" in text and "waits for a second people partner" in text
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=f"/tmp/brightline-layout-pia-manager-and-team-saved-{width}.png", full_page=True)
    erin = Person.objects.get(pk=erin.pk)
    assert erin.team.slug == "platform" and erin.manager == personas.mo
    assert RoleChange.objects.get(person=erin).to_value == str(Person.objects.get(user__username="olga").pk)
    page.goto(f"{live_server.url}/people/changes/")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=f"/tmp/brightline-layout-pia-role-changes-{width}.png", full_page=True)
    page.goto(f"{live_server.url}/people/")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=f"/tmp/brightline-layout-pia-people-{width}.png", full_page=True)
    assert errors == []
    # A refusal, as the page shows it (answered 400, which Chromium logs as a console error).
    page.goto(f"{live_server.url}/people/{personas.mo.pk}/manager-and-team/")
    page.get_by_label("Manager").fill("Erin Employee (erin@example.org)")
    page.get_by_label("Why").fill("a loop")
    page.get_by_role("button", name="Save the change").click()
    assert "Mo Manager cannot report to Erin Employee" in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=f"/tmp/brightline-layout-pia-manager-and-team-refused-{width}.png", full_page=True)
    assert [error for error in errors if "status of 400" not in error] == []

"""The main navigation of every demo persona: a few menus, only pages the persona may open."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.demo_helpers import PERSONA_USERNAMES, demo_from, demo_objects, demo_transaction

MAX_TOP_LEVEL = 7
NAV = re.compile(r'<nav class="main" aria-label="Main">(.*?)</nav>', re.S)
TOP_LEVEL = re.compile(r'<li><(?:a class="top" href="[^"]*"[^>]*|details class="menu")>')
HREF = re.compile(r'href="([^"]+)"')


@pytest.fixture(scope="module")
def clients(django_db_setup, django_db_blocker, demo_snapshot):
    with demo_transaction(django_db_blocker):
        with django_db_blocker.unblock():
            demo_from(demo_snapshot)
            people = demo_objects().people
            result = {}
            for username in PERSONA_USERNAMES:
                result[username] = Client()
                result[username].force_login(people[username].user)
        yield result


def navigation_html(client: Client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    match = NAV.search(response.content.decode())
    assert match, "the home page has a main navigation"
    return match.group(1)


@pytest.mark.parametrize("username", PERSONA_USERNAMES)
def test_each_persona_has_at_most_seven_top_level_entries(clients, db, username):
    entries = TOP_LEVEL.findall(navigation_html(clients[username]))
    assert 3 <= len(entries) <= MAX_TOP_LEVEL, (username, len(entries))


@pytest.mark.parametrize("username", PERSONA_USERNAMES)
def test_every_navigation_link_opens_for_that_persona(clients, db, username):
    client = clients[username]
    links = HREF.findall(navigation_html(client))
    assert len(links) >= 5
    refused = {}
    for url in links:
        status = client.get(url).status_code
        if status != 200:
            refused[url] = status
    assert not refused, f"{username} reaches pages that do not answer 200: {refused}"


def test_menus_group_the_pages_by_what_the_viewer_does(clients, db):
    employee = navigation_html(clients["erin"])
    partner = navigation_html(clients["pia"])
    assert "<summary>Me</summary>" in employee and "<summary>Admin</summary>" not in employee
    assert ">My growth</a>" in employee  # the page keeps its name; the menu holding it is "Me"
    assert ">Who viewed my record</a>" in employee and "/policy/edit/" not in employee
    assert "<summary>Admin</summary>" in partner and "/policy/edit/" in partner and "/audit/" in partner
    manager = navigation_html(clients["mo"])
    assert "<summary>Team</summary>" in manager and ">My team</a>" in manager


def test_the_current_page_is_marked_in_its_menu(clients, db):
    html = clients["erin"].get("/ladder/").content.decode()
    nav = NAV.search(html).group(1)
    assert '<summary class="current">Me</summary>' in nav
    assert 'href="/ladder/" aria-current="page"' in nav


SUMMARY = re.compile(r"<summary[^>]*>([^<]+)</summary>")
ENTRY = re.compile(r"<a [^>]*>([^<]+)</a>")


@pytest.mark.parametrize("username", PERSONA_USERNAMES)
def test_no_menu_shares_its_name_with_an_entry(clients, db, username):
    nav = navigation_html(clients[username])
    menus, entries = set(SUMMARY.findall(nav)), set(ENTRY.findall(nav))
    assert menus and not menus & entries, (username, menus & entries)


def test_the_personal_menu_puts_growth_first_and_what_brightline_knows_under_its_own_heading(clients, db):
    nav = navigation_html(clients["erin"])
    personal = nav[nav.index("<summary>Me</summary>"):]
    personal = personal[:personal.index("</details>")]
    labels = [label for label in re.findall(r">([^<>]+)</(?:a|li)>", personal) if label.strip()]
    heading = labels.index("What Brightline knows about you")
    assert labels[0] == "My growth" and "Goals" in labels[:heading] and "Career ladder" in labels[:heading]
    assert set(labels[heading + 1:]) == {"My AI signals", "How AI signals work", "Who viewed my record",
                                         "How Brightline uses data about you", "Download your data"}

"""Per-kind e-mail choices: right away, in the digest or not by e-mail, honoured by the runs (never twice),
shown on the page with labels and inline errors, carried by the API and the data download, audited, and
equal to the old single choice for people who made it before the per-kind choices existed."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from brightline.audit.models import AuditEntry
from brightline.dashboards.inbox import inbox_for
from brightline.notifications.models import KIND_OF_NOTICE, NOTICE_KINDS, Delivery, Notice, NotificationSettings
from brightline.notifications.services import (
    ERR_ALWAYS_MAILED,
    ERR_DELIVERY,
    SETTINGS_CHANGED,
    NotificationError,
    set_choices,
    set_frequency,
)
from brightline.operations.data_rights import export_personal_data
from brightline.reviews.models import Phase
from tests.reviews_helpers import advance_to, open_payments_cycle, train
from tests.test_inbox import ask
from tests.test_notifications import body, mailbox, run  # noqa: F401  (mailbox is a fixture)

SOURCE = Path(__file__).resolve().parents[1] / "src" / "brightline"


def _every_kind(value: str) -> dict[str, str]:
    return {f"kind-{kind.key}": value for kind in NOTICE_KINDS}


def test_every_kind_of_notice_has_a_choice():
    inbox = set(re.findall(r'add\("(\w+)"', (SOURCE / "dashboards" / "inbox.py").read_text()))
    events = set(re.findall(r'"(\w+)",\s*\n?\s*f"', (SOURCE / "notifications" / "services.py").read_text()))
    assert inbox and {"due_soon", "released", "appeal_window", "appeal_decided"} <= events
    assert (inbox | events) - set(KIND_OF_NOTICE) == set()


def test_a_kind_switched_off_is_not_mailed_but_stays_in_the_inbox(personas, mailbox):  # noqa: F811
    set_frequency(personas.pat, "immediate")
    set_choices(personas.pat, deliveries={"feedback": Delivery.OFF})
    ask(personas.erin, [personas.pat])
    for frequency in ("immediate", "daily", "weekly"):
        run(frequency)
    assert mailbox.to(personas.pat.email) == []
    assert [item.kind for item in inbox_for(personas.pat, today=dt.date.today())] == ["feedback_request"]
    assert Notice.objects.get(person=personas.pat).status == Notice.Status.OFF
    # Switched back on: what was already in the inbox is not mailed after the fact.
    set_choices(personas.pat, deliveries={"feedback": Delivery.IMMEDIATE})
    run("immediate")
    assert mailbox.to(personas.pat.email) == []


def test_a_kind_right_away_is_mailed_at_the_next_run_while_the_rest_waits_for_the_digest(
        personas, mailbox):  # noqa: F811
    train(personas.mo)
    advance_to(open_payments_cycle(personas), Phase.MANAGER_ASSESSMENT, personas.pia)
    set_choices(personas.mo, deliveries={"feedback": Delivery.IMMEDIATE})  # the rest stays in the daily digest
    ask(personas.erin, [personas.mo])
    assert run("immediate").result["messages_sent"] == 1
    [now] = mailbox.to(personas.mo.email)
    assert now["Subject"] == "Brightline: Give feedback about Erin Employee"
    assert "Assess" not in body(now)
    run("immediate")
    run("daily")
    [_, digest] = mailbox.to(personas.mo.email)
    assert digest["Subject"] == "Brightline: your daily digest: 2 things for you"
    assert "Give feedback" not in body(digest) and "Assess Erin Employee (2026 H2)" in body(digest)
    run("daily")
    assert len(mailbox.to(personas.mo.email)) == 2


def test_a_decision_about_the_person_cannot_be_switched_off(personas):
    with pytest.raises(NotificationError) as refused:
        set_choices(personas.erin, deliveries={"released": Delivery.OFF, "signals": "never"})
    assert refused.value.errors == {"released": ERR_ALWAYS_MAILED, "signals": ERR_DELIVERY}
    assert not NotificationSettings.objects.filter(person=personas.erin).exists()  # nothing half-saved


def test_the_page_has_a_labelled_choice_per_kind_and_shows_errors_beside_the_field(personas, client_for):
    browser = client_for(personas.erin)
    page = browser.get("/me/notifications/").content.decode()
    assert 'name="csrfmiddlewaretoken"' in page
    for kind in NOTICE_KINDS:
        assert f'<label for="kind-{kind.key}">{kind.label}</label>' in page
    for heading in ("Things I must do", "Deadlines", "Decisions about me", "AI signals I own"):
        assert f"<legend>{heading}</legend>" in page
    assert "they cannot be switched off" in page and "stays in \"Needs you now\"" in page
    released = page[page.index('id="kind-released"'):page.index("</select>", page.index('id="kind-released"'))]
    assert 'value="off"' not in released
    response = browser.post("/me/notifications/", {**_every_kind("digest"), "digest": "daily",
                                                   "kind-released": "off"})
    text = response.content.decode()
    assert response.status_code == 400
    assert 'id="kind-released-error"' in text and ERR_ALWAYS_MAILED in text and 'href="#kind-released"' in text
    assert not NotificationSettings.objects.filter(person=personas.erin).exists()
    browser.post("/me/notifications/", {**_every_kind("digest"), "digest": "daily", "kind-signals": "off"})
    assert NotificationSettings.objects.get(person=personas.erin).delivery_of("signals") == Delivery.OFF


def test_the_form_refuses_a_post_without_its_csrf_token(personas, client_for):
    guarded = client_for(personas.erin, enforce_csrf_checks=True)
    response = guarded.post("/me/notifications/", {**_every_kind("digest"), "digest": "weekly"})
    assert response.status_code == 403
    assert not NotificationSettings.objects.filter(person=personas.erin).exists()


def test_a_change_is_audited_and_carried_by_the_api_and_the_data_download(personas, client_for):
    browser = client_for(personas.erin)
    answer = browser.put("/api/me/notifications", {"digest": "weekly", "deliveries": {"signals": "off"}},
                         content_type="application/json")
    assert answer.status_code == 200
    assert answer.json()["deliveries"]["signals"] == "off" and answer.json()["deliveries"]["feedback"] == "digest"
    [entry] = AuditEntry.objects.filter(action=SETTINGS_CHANGED)
    assert entry.actor_id == personas.erin.pk and entry.subject_person_id == personas.erin.pk
    assert entry.data_json.count('"from"') == 2 and '"off"' in entry.data_json
    set_choices(personas.erin, deliveries={"signals": "off"})  # no change, no entry
    assert AuditEntry.objects.filter(action=SETTINGS_CHANGED).count() == 1
    refused = browser.put("/api/me/notifications", {"deliveries": {"appeal_decided": "off"}},
                          content_type="application/json")
    assert refused.status_code == 400
    exported = export_personal_data(personas.erin)["notification_choices"]
    assert exported["digest"] == "Weekly, on Mondays at 08:00 (Europe/Berlin time)"
    assert exported["e-mail"]["AI signals waiting for me"] == "Not by e-mail"
    assert exported["e-mail"]["My review released"] == "In the digest"
    assert export_personal_data(personas.pat)["notification_choices"] == {
        "choices": "None made: every notice goes in a daily digest at 08:00, in the time zone on your record."}


@pytest.mark.django_db(transaction=True)
def test_people_who_chose_before_keep_what_they_chose(personas):
    executor = MigrationExecutor(connection)
    old = executor.migrate([("notifications", "0001_initial")]).apps
    rows = old.get_model("notifications", "NotificationSettings").objects
    for person, frequency in ((personas.erin, "weekly"), (personas.pat, "immediate"), (personas.mo, "daily")):
        rows.create(person_id=person.pk, frequency=frequency)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    chosen = {row.person_id: row for row in NotificationSettings.objects.all()}
    erin, pat, mo = (chosen[person.pk] for person in (personas.erin, personas.pat, personas.mo))
    assert erin.digest == "weekly" and set(erin.all_deliveries().values()) == {"digest"}
    assert set(pat.all_deliveries().values()) == {"immediate"}
    assert mo.digest == "daily" and set(mo.all_deliveries().values()) == {"digest"}
    # A person with no row at all still gets everything in the daily digest.
    nobody = NotificationSettings(person=personas.oscar)
    assert nobody.digest == "daily" and set(nobody.all_deliveries().values()) == {"digest"}

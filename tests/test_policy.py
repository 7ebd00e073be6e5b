"""The policy as configuration (G1): validated, audited, shown to every employee."""

from __future__ import annotations

import pytest

from brightline.audit.models import AuditEntry
from brightline.policy import services
from brightline.policy.inventory import NEVER_COLLECTED, SOURCES

pytestmark = pytest.mark.django_db


def test_a_people_partner_changes_the_policy_with_an_audited_reason(personas):
    changes = services.update_policy(actor=personas.pia, reason="works council asked", min_cohort_size=8)
    assert changes == {"min_cohort_size": {"from": 5, "to": 8}}
    assert services.min_cohort_size() == 8
    entry = AuditEntry.objects.get(action="policy.updated")
    assert entry.actor_id == personas.pia.pk
    assert entry.data == {"changes": {"min_cohort_size": {"from": 5, "to": 8}}, "reason": "works council asked"}


def test_an_unchanged_policy_writes_no_audit_entry(personas):
    services.update_policy(actor=personas.pia, min_cohort_size=5)
    assert not AuditEntry.objects.filter(action="policy.updated").exists()


@pytest.mark.parametrize("changes,message", [
    ({"min_cohort_size": 1}, services.ERR_COHORT_TOO_SMALL.format(floor=3)),
    ({"allowed_sources": ["git_commits", "slack_messages"]}, services.ERR_UNKNOWN_SOURCE.format(keys="slack_messages")),
    ({"ai_boundaries": {"ai_may_rate": True}}, services.ERR_AI_RATING),
    ({"retention_days": {"audit": 30}}, services.ERR_AUDIT_RETENTION),
    ({"retention_days": {"feedback": 10}}, services.ERR_RETENTION.format(category="feedback")),
    ({"forced_distribution": {"exceeds": 0.2}}, services.ERR_UNKNOWN_FIELD.format(name="forced_distribution")),
])
def test_it_refuses_harmful_or_malformed_policy(personas, changes, message):
    with pytest.raises(services.PolicyError) as error:
        services.update_policy(actor=personas.pia, **changes)
    assert str(error.value) == message
    assert not AuditEntry.objects.filter(action="policy.updated").exists()


def test_a_disallowed_source_is_reported_as_not_allowed(personas):
    assert services.is_source_allowed("git_commits")
    services.update_policy(actor=personas.pia, allowed_sources=["hris_people"])
    assert not services.is_source_allowed("git_commits")


def test_every_employee_sees_sources_retention_and_what_is_never_collected(personas, client_for):
    services.update_policy(actor=personas.pia, retention_days={"feedback": 400})
    page = client_for(personas.erin).get("/data-use/").content.decode()
    for source in SOURCES:
        assert source.name in page
    for item in NEVER_COLLECTED:
        assert item in page
    assert "400 days" in page


def test_the_policy_form_saves_through_the_same_validation(personas, client_for):
    browser = client_for(personas.pia)
    form = browser.get("/policy/edit/").context["form"]
    data = {name: value for name, value in form.initial.items() if not isinstance(value, bool) or value}
    data.update(min_cohort_size=2, reason="try smaller")
    response = browser.post("/policy/edit/", data)
    assert response.status_code == 200
    assert services.ERR_COHORT_TOO_SMALL.format(floor=3) in response.content.decode()
    data.update(min_cohort_size=7, reason="bigger groups")
    saved = browser.post("/policy/edit/", data, follow=True)
    assert saved.redirect_chain[0][1] == 302 and "Policy saved (1 setting changed)." in saved.content.decode()
    assert services.min_cohort_size() == 7
    assert AuditEntry.objects.get(action="policy.updated").data["reason"] == "bigger groups"


def test_the_policy_form_refuses_a_post_without_csrf_token(personas, client_for):
    browser = client_for(personas.pia, enforce_csrf_checks=True)
    assert browser.post("/policy/edit/", {"min_cohort_size": 9, "reason": "x"}).status_code == 403
    assert services.min_cohort_size() == 5


def test_every_employee_reads_policy_ladder_and_model_changes_with_reason_and_date(personas, client_for, ladder):
    from django.utils import timezone

    from brightline.audit.services import log_action
    from brightline.policy import services

    services.update_policy(actor=personas.pia, reason="The works council asked for larger groups.",
                           min_cohort_size=8, ai_boundaries={"sentiment_enabled": False})
    personas.pia.user.is_staff = personas.pia.user.is_superuser = True
    personas.pia.user.save()
    level = ladder["IC3"]
    admin = client_for(personas.pia)
    form = admin.get(f"/admin/people/level/{level.pk}/change/").context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data["title"] = "Senior engineer (renamed)"
    for inline in admin.get(f"/admin/people/level/{level.pk}/change/").context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({management.add_prefix(name): management[name].value() for name in management.fields})
        for inline_form in inline.formset.forms:
            data.update({inline_form.add_prefix(name): inline_form[name].value() or ""
                         for name in inline_form.fields if inline_form[name].value() is not None})
    assert admin.post(f"/admin/people/level/{level.pk}/change/", data).status_code == 302
    log_action("insights.run.completed", None, None, {"models": {"sentiment": "sentiment@aaa"}}, actor_label="job")
    log_action("insights.run.completed", None, None, {"models": {"sentiment": "sentiment@bbb"}}, actor_label="job")

    page = client_for(personas.erin).get("/changes/").content.decode()
    today = timezone.localdate()
    assert f"{today.day} {today:%b %Y}" in page  # the day in words, as every page gives it
    assert "Minimum group size for any aggregate: 5 → 8." in page
    assert "sentiment trends on → off" in page
    assert "The works council asked for larger groups." in page
    assert "Career level and its expectations" in page and "title" in page
    assert "Sentiment classifier" in page and "A new version replaced the previous one" in page
    for key in ("min_cohort_size", "sentiment_enabled", "sentiment@", "people.level"):
        assert key not in page
    assert 'href="/changes/"' in client_for(personas.erin).get("/data-use/").content.decode()

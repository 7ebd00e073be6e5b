"""Every AI signal has an owner (H4): the person, their manager, the author of what it checks, or a people
partner, by the policy's role for its kind; set when the signal is created and kept in step with the policy."""

from __future__ import annotations

import pytest

from brightline.insights.models import Signal
from brightline.policy.services import PolicyError, update_policy
from tests.test_insights_packet_evidence import packet, packet_signals, run_for  # noqa: F401  (packet: a fixture)
from tests.test_insights_run import feedback  # noqa: F401  (a fixture)


@pytest.mark.usefixtures("feedback")
def test_feedback_signals_about_a_person_are_owned_by_the_person(personas):
    run_for(personas.erin)
    signals = Signal.objects.filter(person=personas.erin, is_current=True)
    kinds = set(signals.values_list("kind", flat=True))
    assert {"theme_summary", "sentiment_drift"} <= kinds
    for signal in signals.filter(kind__in=["theme", "theme_summary", "sentiment_drift"]):
        assert signal.owner_id == personas.erin.pk, signal.kind


def test_packet_checks_are_owned_by_whoever_wrote_the_claim(personas, packet):  # noqa: F811  (the fixture)
    run_for(personas.erin)
    checks = packet_signals(packet["review"])
    assert checks, "the packet has claims citing nothing"
    for slot, signal in checks.items():
        written_by = signal.detail["packet"]["written_by"]
        expected = personas.mo if written_by == "manager" else personas.erin
        assert signal.owner_id == expected.pk, (slot, written_by)
    assert {s.detail["packet"]["written_by"] for s in checks.values()} == {"manager", "person"}


@pytest.mark.usefixtures("feedback")
def test_the_policy_moves_ownership_of_a_kind_to_the_manager(personas):
    run_for(personas.erin)
    update_policy(actor=personas.pia, reason="managers follow up feedback themes",
                  signal_owners={"theme_summary": "manager", "sentiment_drift": "people_partner"})
    run_for(personas.erin)  # unchanged inputs: the signals stay, their owners follow the policy
    summary = Signal.objects.get(person=personas.erin, kind="theme_summary", is_current=True)
    drift = Signal.objects.get(person=personas.erin, kind="sentiment_drift", is_current=True)
    assert summary.owner_id == personas.mo.pk
    # A people partner does not see a person's signals: their manager follows it up instead.
    assert drift.owner_id == personas.mo.pk


@pytest.mark.usefixtures("feedback")
def test_a_reviewed_signal_keeps_its_owner_and_an_unknown_role_is_refused(personas):
    from brightline.insights.services import accept_signal

    run_for(personas.erin)
    theme = Signal.objects.filter(person=personas.erin, kind="theme", is_current=True).first()
    accept_signal(actor=personas.erin, signal=theme, reason="Fair.")
    update_policy(actor=personas.pia, reason="x", signal_owners={"theme": "manager"})
    run_for(personas.erin)
    theme.refresh_from_db()
    assert theme.owner_id == personas.erin.pk
    with pytest.raises(PolicyError):
        update_policy(actor=personas.pia, reason="x", signal_owners={"theme_summary": "the ceo"})
    with pytest.raises(PolicyError):
        update_policy(actor=personas.pia, reason="x", signal_owners={"horoscope": "person"})


def test_team_and_organisation_signals_go_to_the_team_manager_and_a_people_partner(personas):
    from brightline.insights.services import SignalOwners

    owners = SignalOwners()
    assert owners.owner("trend_break", person=None, team=personas.erin.team, detail={}) == personas.mo
    assert owners.owner("theme_summary", person=None, team=personas.erin.team, detail={}) == personas.mo
    assert owners.owner("emergent_theme", person=None, team=None, detail={}) == personas.pia

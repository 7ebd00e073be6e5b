"""Review of AI signals (C8): accept/dismiss by the person or their chain, audited; only accepted is citable."""

from __future__ import annotations

import re
from datetime import date

import pytest

from brightline.audit.models import AuditEntry
from tests.conftest import audit_actions


def make_signal(person=None, *, team=None, kind="theme", key="theme:code_quality"):
    from brightline.insights.models import Signal

    return Signal.objects.create(kind=kind, key=key, person=person, team=team,
                                 window_start=date(2026, 5, 1), window_end=date(2026, 10, 31),
                                 statement="Code quality comes up in feedback from 4 people (6 comments).",
                                 rule="rule", cannot_infer="how well", confidence_label="emerging",
                                 confidence_items=6, confidence_authors=4, confidence_span_days=80,
                                 confidence_agreement="single_layer",
                                 item_refs=[{"kind": "feedback_response", "id": "1"}],
                                 model_name="minilm-static", model_version="minilm-static@abc", content_hash="x")


@pytest.fixture
def signal(personas):
    return make_signal(personas.erin)


def test_the_person_accepts_a_signal_with_a_reason_and_it_becomes_citable(personas, signal):
    from brightline.insights.services import accept_signal, is_citable

    assert not is_citable(signal)
    accepted = accept_signal(actor=personas.erin, signal=signal, reason="Matches what Mo told me in September.")
    assert accepted.status == "accepted" and accepted.reviewed_by == personas.erin and is_citable(accepted)
    entry = AuditEntry.objects.get(action="insights.signal.accepted")
    assert entry.subject_person_id == personas.erin.pk and "Matches what Mo told me" in entry.data_json


def test_the_manager_dismisses_a_signal_it_is_kept_counted_and_never_citable(personas, signal):
    from brightline.insights.models import Signal
    from brightline.insights.services import dismiss_signal, dismissal_count, is_citable

    dismissed = dismiss_signal(actor=personas.mo, signal=signal, reason="The quotes are about a different project.")
    assert dismissed.status == "dismissed" and not is_citable(dismissed)
    assert Signal.objects.filter(pk=signal.pk).exists()
    assert dismissal_count(person=personas.erin) == 1
    assert "insights.signal.dismissed" in audit_actions()


def test_a_review_needs_a_reason(personas, signal):
    from brightline.insights.services import ERR_REASON_REQUIRED, InsightsError, accept_signal

    with pytest.raises(InsightsError, match=re.escape(ERR_REASON_REQUIRED)):
        accept_signal(actor=personas.erin, signal=signal, reason="  ")
    assert "insights.signal.accepted" not in audit_actions()


@pytest.mark.parametrize("who", ["pat", "oscar", "pia"])
def test_peers_outsiders_and_people_partners_cannot_review_a_persons_signal(personas, signal, who):
    from brightline.insights.services import ERR_NOT_ALLOWED, InsightsError, dismiss_signal

    with pytest.raises(InsightsError, match=re.escape(ERR_NOT_ALLOWED)):
        dismiss_signal(actor=getattr(personas, who), signal=signal, reason="no")
    signal.refresh_from_db()
    assert signal.status == "pending"


def test_a_reviewed_signal_is_not_reviewed_again(personas, signal):
    from brightline.insights.services import InsightsError, accept_signal, dismiss_signal

    accept_signal(actor=personas.erin, signal=signal, reason="fair")
    with pytest.raises(InsightsError, match="already accepted"):
        dismiss_signal(actor=personas.mo, signal=signal, reason="changed my mind")


def test_team_signals_are_reviewed_by_the_teams_managers(personas):
    from brightline.insights.services import ERR_NOT_ALLOWED, InsightsError, accept_signal

    team_signal = make_signal(team=personas.erin.team, kind="trend_break", key="trend_break:x:2026-09-21")
    with pytest.raises(InsightsError, match=re.escape(ERR_NOT_ALLOWED)):
        accept_signal(actor=personas.erin, signal=team_signal, reason="yes")
    assert accept_signal(actor=personas.mo, signal=team_signal, reason="Holiday freeze").status == "accepted"


def test_a_review_packet_may_cite_an_accepted_signal_and_never_a_pending_one(personas, signal):
    from brightline.insights.services import accept_signal
    from brightline.reviews.packet_items import CitationError, parse_reference, resolve

    reference = parse_reference(f"signal:{signal.pk}")
    with pytest.raises(CitationError, match="no human has accepted"):
        resolve(reference, person=personas.erin, viewer=personas.mo)
    accept_signal(actor=personas.mo, signal=signal, reason="We discussed it in the 1:1.")
    assert resolve(reference, person=personas.erin, viewer=personas.mo).pk == signal.pk


def test_the_fields_the_reviews_app_reads_are_there(personas, signal):
    from brightline.insights.models import Signal

    fields = {f.name for f in Signal._meta.get_fields()}
    assert {"person", "status"} <= fields
    assert signal.summary == signal.statement and signal.confidence.startswith("emerging")

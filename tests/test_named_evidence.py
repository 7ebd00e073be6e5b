"""Evidence named in words (C5): a claim's pull-request links, ``#123``, "PR 123", commit hashes and ticket keys
count as citations when they resolve to an evidence item Brightline holds about the person or their services;
a reference that resolves to nothing makes the missing-evidence check say so, in words."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from brightline.core.narrative.references import describe_references, find_references
from brightline.evidence.identities import IdentityResolver
from brightline.evidence.models import EvidenceItem
from brightline.evidence.references import resolve_named_evidence
from brightline.evidence.sources.platform import PullRequestRecord, save_pull_request
from brightline.insights.models import Signal
from brightline.people.models import Identity
from brightline.reviews import services as review_services
from brightline.reviews.models import Phase
from tests.reviews_helpers import advance_to, open_payments_cycle, review_of
from tests.test_evidence_ingest_git import commit, git, ingest
from tests.test_insights_packet_evidence import accomplishment, packet_signals, run_for


def kinds(text: str) -> list[tuple[str, str, str]]:
    return [(r.kind, r.value, r.repo) for r in find_references(text)]


def test_the_forms_engineers_write_are_read_and_look_alikes_are_not():
    assert kinds("Cut p95 (https://github.com/acme/payments/pull/2210/files), follow-up in PR #2214.") == [
        ("pull_request", "2210", "acme/payments"), ("pull_request", "2214", "")]
    assert kinds("Fixed by 3f9c2ab and !41, tracked in PAY-512; see GH-77.") == [
        ("commit", "3f9c2ab", ""), ("merge_request", "41", ""), ("ticket", "PAY-512", ""),
        ("pull_request", "77", "")]
    assert kinds("https://gitlab.example.org/shop/web/-/merge_requests/9 https://grafana.example.org/d/abc#p") == [
        ("merge_request", "9", "shop/web"), ("link", "https://grafana.example.org/d/abc", "")]
    # Encodings, standards, "#1 priority", plain numbers, hex words, hex literals and [E:id] are not references.
    assert kinds("UTF-8 and ISO-8601 were our #1 priority: 1234567 rows, defaced 0xdeadbee1 [E:12]") == []
    assert describe_references(["ticket", "pull_request", "ticket"]) == "a pull request and two tickets"


@pytest.fixture
def stored(personas, tmp_path: Path):
    """Evidence as the sources store it: Erin's merged pull request and a review she gave (GitHub), a commit
    of hers from a real git repository, an incident she handled, and a pull request of another team's service
    that has the same number as one Erin never opened."""
    Identity.objects.create(person=personas.erin, kind="github", value="erin-gh")
    Identity.objects.create(person=personas.oscar, kind="github", value="oscar-gh")
    from brightline.evidence.services import ensure_service

    payments = ensure_service(name="payments-api", team_slug="payments", release_tags=None, actor=None,
                              actor_label="test")
    platform = ensure_service(name="platform-db", team_slug="platform", release_tags=None, actor=None,
                              actor_label="test")
    when = datetime(2026, 11, 2, 10, tzinfo=UTC)

    def pull(service, repo: str, number: int, author: str, title: str) -> None:
        save_pull_request(service, "github", PullRequestRecord(
            external_id=f"{repo}#{number}", number=number, title=title,
            url=f"https://github.com/{repo}/pull/{number}", author=author, state="merged", opened_at=when,
            updated_at=when, merged_at=when + timedelta(hours=3), merge_sha="", first_commit_at=when),
            IdentityResolver(source="github"))

    pull(payments, "acme/payments", 2210, "erin-gh", "Retry card payments with backoff")
    pull(platform, "acme/platform-db", 3301, "oscar-gh", "Vacuum tuning")
    repo = tmp_path / "payments"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    sha = commit(repo, "retry.py", "ATTEMPTS = 3\n", "Cap payment retries", author="Erin Employee",
                 email="erin@example.org", date="2026-11-03T10:00:00+01:00")
    ingest(repo, "--service", "payments-api")
    incident = EvidenceItem.objects.create(
        kind=EvidenceItem.Kind.INCIDENT_HANDLED, title="Handled incident: card declines spike", person=personas.erin,
        team=personas.erin.team, occurred_at=when, service="payments-api", source="events",
        source_ref="incident:PAY-512", url="https://status.example.org/incidents/512")
    return {"sha": sha, "incident": incident,
            "pull": EvidenceItem.objects.get(source="github", source_ref="acme/payments#2210"),
            "other_team": EvidenceItem.objects.get(source="github", source_ref="acme/platform-db#3301")}


def test_references_resolve_to_the_stored_items_by_link_number_hash_and_key(personas, stored):
    erin = personas.erin.pk
    answers = resolve_named_evidence({
        "link": (erin, "Shipped retries: https://github.com/acme/payments/pull/2210/files"),
        "number": (erin, "Shipped retries in PR 2210."),
        "hash": (erin, f"Capped retries in {stored['sha'][:8]}."),
        "key": (erin, "Led the response to PAY-512."),
        "page": (erin, "Timeline at https://STATUS.example.org/incidents/512/"),
        "other team": (erin, "Tuned vacuum in #3301."),
        "nothing": (erin, "Kept the team calm."),
    })
    commit_item = EvidenceItem.objects.get(source="git", source_ref=stored["sha"])
    assert answers["link"].found == answers["number"].found == (stored["pull"].pk,)
    assert answers["hash"].found == (commit_item.pk,)
    assert answers["key"].found == answers["page"].found == (stored["incident"].pk,)
    # A pull request of another team's service is not Erin's evidence: named, but not found.
    assert answers["other team"].found == () and answers["other team"].missing == ("pull_request",)
    assert answers["nothing"].found == () and answers["nothing"].missing == ()
    # Oscar works on that service, so the same words resolve for him.
    assert resolve_named_evidence({1: (personas.oscar.pk, "Tuned vacuum in #3301.")})[1].found == (
        stored["other_team"].pk,)


def written(person, title: str, action: str):
    from brightline.feedback import services as feedback_services

    data = feedback_services.AccomplishmentInput(
        period="2026 H2", title=title, situation="Payouts failed under load.", action=action,
        result="Failed payouts fell.", impact="Merchants were paid on time.", impact_level="business_outcome",
        evidence_ids=())
    return feedback_services.create_accomplishment(actor=person, person=person, data=data)


def test_an_accomplishment_naming_a_stored_pull_request_cites_it(personas, stored):
    named = accomplishment(personas.erin, "Payout retries (PR 2210)")
    unknown = written(personas.erin, "Ledger clean-up", "Rewrote the reconciliation job in PR 9876 for LEDG-4410.")
    run_for(personas.erin)
    keys = set(Signal.objects.filter(person=personas.erin, is_current=True, kind="missing_evidence")
               .values_list("key", flat=True))
    assert f"missing_evidence:claim:accomplishment:{named.pk}" not in keys
    flagged = Signal.objects.get(key=f"missing_evidence:claim:accomplishment:{unknown.pk}", is_current=True)
    assert "names a pull request and a ticket that Brightline could not find" in flagged.statement
    assert "9876" not in flagged.statement and "LEDG" not in flagged.statement
    assert flagged.detail["unfound"] == ["pull_request", "ticket"]


def test_a_packet_claim_naming_evidence_in_words_is_checked_against_what_is_stored(personas, stored):
    chosen = [accomplishment(personas.erin, "Payout retries (PR 2210)"),
              accomplishment(personas.erin, "Ledger migration", [stored["pull"]]),
              written(personas.erin, "Declines runbook", "Wrote the runbook https://github.com/acme/payments/pull/2210")]
    cycle = advance_to(open_payments_cycle(personas), Phase.SELF_REVIEW, personas.pia)
    review = review_of(cycle, personas.erin)
    review_services.select_accomplishments(review, actor=personas.erin, accomplishment_ids=[a.pk for a in chosen])
    review_services.submit_self_review(review, actor=personas.erin,
                                       context=f"I capped payment retries ({stored['sha'][:7]}) and led PAY-512.")
    advance_to(cycle, Phase.MANAGER_ASSESSMENT, personas.pia)
    review.refresh_from_db()
    review_services.save_assessment(review, actor=personas.mo, dimension="leadership", outcome="meets",
                                    rationale="Ran the retro of INC-9999 and wrote it up.")
    run_for(personas.erin)
    found = packet_signals(review)
    assert "self_review:context" not in found
    assert not any(key.startswith("accomplishment:") for key in found)
    leadership = found["assessment:leadership"]
    assert leadership.statement.startswith(
        "In the 2026 H2 review, the manager's assessment of leadership names a ticket that Brightline could not "
        "find among the evidence it holds.")
    assert "INC-9999" not in leadership.statement
    # Naming the incident that is stored retires the check on the save itself.
    review_services.save_assessment(review, actor=personas.mo, dimension="leadership", outcome="meets",
                                    rationale="Ran the retro of PAY-512 and wrote it up.")
    assert "assessment:leadership" not in packet_signals(review)


def test_a_text_naming_nothing_costs_no_query(personas, django_assert_num_queries):
    with django_assert_num_queries(0):
        answers = resolve_named_evidence({1: (personas.erin.pk, "Kept the team calm during the migration.")})
    assert answers[1].found == () and answers[1].missing == ()


def test_git_item_hash_matches_git_log(personas, stored, tmp_path):
    # The stored source id of a git item is the full hash that git prints, so any prefix of 7+ resolves.
    repo = tmp_path / "payments"
    full = subprocess.run(["git", "log", "-1", "--format=%H"], cwd=repo, capture_output=True, text=True,
                          check=True).stdout.strip()
    assert full == stored["sha"]
    item = EvidenceItem.objects.get(source="git", source_ref=full)
    assert resolve_named_evidence({1: (personas.erin.pk, f"see {full}")})[1].found == (item.pk,)

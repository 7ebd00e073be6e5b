"""Compute, store and review AI-derived signals. Views, the CLI, jobs and the demo call these.

``run_insights`` is incremental: each subject's inputs are fingerprinted, and a subject whose
fingerprint is unchanged is not recomputed. Reviews (``accept_signal``, ``dismiss_signal``) are
audited; only accepted signals are citable (``is_citable``), dismissals are kept and counted.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any

from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from brightline import access
from brightline.audit.services import canonical_json, log_action
from brightline.core import insights as core
from brightline.core.insights.pipeline import NLP_MODELS_PATH
from brightline.core.narrative.specificity import MODEL_PATH as NARRATIVE_MODEL_PATH
from brightline.core.nlp import embed
from brightline.core.nlp.classifiers import sentiment_reader_in_use, tone_attack_stage_in_use, tone_first_stage_in_use
from brightline.insights import adapters
from brightline.insights.models import InputFingerprint, Signal, SignalKind
from brightline.people.models import Dimension, Person, Team, WorkloadClass
from brightline.policy.services import get_policy, signal_owner_roles

WINDOW_DAYS = 182
TREND_WEEKS = 26
#: Bump when a rule changes, so every subject is recomputed once.
ALGORITHM_VERSION = "insights-v4"  # v3: the missing-evidence statement says what would count; v4: a closed
# packet claim is stated as a fact, without advice to cite

ERR_REASON_REQUIRED = "Say why: a reason is required to accept or dismiss a signal."
ERR_ALREADY_REVIEWED = "This signal was already {status}; a review is not changed afterwards."
ERR_NOT_ALLOWED = "Only the person, their management chain (or, for team signals, the team's managers) may review it."
ERR_NOT_A_FINDING = ("This signal is not a finding (there is not enough data yet, or nothing was found to follow "
                     "up): there is nothing to accept or dismiss. It is recomputed as feedback comes in.")
ERR_STEP_CLOSED = ("The step in which this claim could be changed has closed: there is nothing to accept or dismiss. "
                   "The check stays for information.")
ERR_NOT_CURRENT = "This signal was replaced by a newer computation; review the current one."
ERR_ONE_SCOPE = "Choose one of --person, --team or --all."
ERR_ONE_PACKET_SCOPE = "Name one review packet or one accomplishment whose packets to check."
#: Keys of the missing-evidence checks of draft review packets: ``<prefix><review>:<part>:<slot>``.
PACKET_CHECK_PREFIX = "missing_evidence:packet:"


class InsightsError(ValueError):
    """A refused signal operation; the message says why."""


def is_citable(signal: Signal) -> bool:
    """Only a signal a human accepted may be cited in a review packet (C8, C10)."""
    return signal.status == Signal.Status.ACCEPTED


# --- review -------------------------------------------------------------------------------------


def _review(*, actor: Person, signal: Signal, reason: str, status: str, action: str) -> Signal:
    reason = (reason or "").strip()
    if not reason:
        raise InsightsError(ERR_REASON_REQUIRED)
    if not access.can_review_signal(actor, signal):
        raise InsightsError(ERR_NOT_ALLOWED)
    with transaction.atomic():
        locked = Signal.objects.select_for_update().get(pk=signal.pk)
        if locked.status != Signal.Status.PENDING:
            raise InsightsError(ERR_ALREADY_REVIEWED.format(status=locked.get_status_display().lower()))
        if not locked.is_current:
            raise InsightsError(ERR_NOT_CURRENT)
        if not locked.is_finding:
            raise InsightsError(ERR_STEP_CLOSED if locked.step_closed else ERR_NOT_A_FINDING)
        locked.status, locked.reviewed_by, locked.reviewed_at = status, actor, timezone.now()
        locked.review_reason = reason
        locked.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_reason", "updated_at"])
        log_action(action, actor, locked, {"kind": locked.kind, "key": locked.key, "statement": locked.statement,
                                           "status": {"from": Signal.Status.PENDING, "to": status},
                                           "reason": reason, "confidence": locked.confidence_label,
                                           "model_version": locked.model_version})
    return locked


def accept_signal(*, actor: Person, signal: Signal, reason: str) -> Signal:
    """Mark a pending signal accepted (it becomes citable)."""
    return _review(actor=actor, signal=signal, reason=reason, status=Signal.Status.ACCEPTED,
                   action="insights.signal.accepted")


def dismiss_signal(*, actor: Person, signal: Signal, reason: str) -> Signal:
    """Mark a pending signal dismissed; it is kept, counted and never citable."""
    return _review(actor=actor, signal=signal, reason=reason, status=Signal.Status.DISMISSED,
                   action="insights.signal.dismissed")


def review_counts() -> dict[str, dict[str, int]]:
    """Per kind: how many signals are pending, accepted and dismissed (all runs, current or not)."""
    counts: dict[str, dict[str, int]] = {}
    # Notes (not enough data yet, or nothing found) are never reviewed, so they are not counted as waiting.
    for kind, status in Signal.objects.exclude(status=Signal.Status.PENDING, is_current=False).exclude(
            status=Signal.Status.PENDING, is_finding=False).values_list(
            "kind", "status"):
        bucket = counts.setdefault(kind, {"pending": 0, "accepted": 0, "dismissed": 0})
        bucket[status] += 1
    return counts


# --- computation ----------------------------------------------------------------------------------


@cache
def theme_index() -> core.ThemeIndex:
    return core.runtime_theme_index(core.load_taxonomy())


@dataclass
class RunSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    subjects_computed: int = 0
    subjects_unchanged: int = 0
    window: tuple[str, str] = ("", "")
    kinds: Counter[str] = field(default_factory=Counter)

    def to_json(self) -> dict[str, Any]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "retired": self.retired, "subjects_computed": self.subjects_computed,
                "subjects_unchanged": self.subjects_unchanged, "window": list(self.window),
                "signals_by_kind": dict(sorted(self.kinds.items()))}


def _fingerprint(parts: Any) -> str:
    return hashlib.sha256(canonical_json(parts).encode("utf-8")).hexdigest()


def _content_hash(draft: core.SignalDraft) -> str:
    return _fingerprint({"statement": draft.statement, "confidence": draft.confidence.to_json(),
                         "refs": [r.to_json() for r in draft.item_refs], "detail": draft.detail,
                         "window": [draft.window_start, draft.window_end]})


def _model_for(draft: core.SignalDraft, versions: dict[str, str] | None = None) -> tuple[str, str]:
    """The model (name, version) behind a draft; ``versions``: ``core.model_versions()`` if already read."""
    if draft.key.startswith(PACKET_CHECK_PREFIX):
        # A packet check reads citations only, no model: it is refreshed on every save of the packet.
        return "rule", ALGORITHM_VERSION
    kind = draft.kind
    versions = versions or core.model_versions()
    if kind in {"theme", "theme_summary", "contradiction"}:
        return "minilm-static", f"{versions['embeddings']}+{versions['themes']}"
    if kind == "emergent_theme":
        return "minilm-static", versions["embeddings"]
    if kind == "sentiment_drift":
        return "sentiment", versions["sentiment"]
    if kind == "trend_break":
        return "ruptures-pelt", f"pelt-l2@penalty={core.PENALTY_FACTOR:g}logn"
    if kind == "missing_evidence":
        return "rule", f"{ALGORITHM_VERSION}+{versions['embeddings']}"
    return "rule", ALGORITHM_VERSION


class SignalOwners:
    """Who follows up each signal (H4): the person, their manager, the author of what it checks, or a people
    partner, by the policy's role for the signal's kind, within who may review it.

    A person's signals stay with the person and their management chain (a people partner does not see
    them), so there "people_partner" means the manager; a check of the manager's draft is never the
    person's (they see that draft only from release on). A team's signals are reviewed by its managers, so
    the team's manager owns them; organisation-wide signals go to a people partner.
    """

    def __init__(self) -> None:
        self.roles = signal_owner_roles()
        self._partner: list[Person | None] = []
        self._team_managers: dict[int, Person | None] = {}
        self._people: dict[int, Person | None] = {}

    def people_partner(self) -> Person | None:
        if not self._partner:
            partners = Person.objects.filter(is_active=True, access_role__in=["people_partner", "admin"])
            self._partner.append(partners.order_by("-access_role", "pk").first())  # people_partner before admin
        return self._partner[0]

    def know_team_managers(self, managers: dict[int, Person | None]) -> None:
        """Managers already read, by team id (``team_manager`` of each)."""
        self._team_managers.update(managers)

    def team_manager(self, team: Team) -> Person | None:
        if team.pk not in self._team_managers:
            self._team_managers[team.pk] = team_manager(team)
        return self._team_managers[team.pk]

    def _review_manager(self, review: Any) -> Person | None:
        if review is None or not str(review).isdigit():
            return None
        manager_id = adapters.review_managers([int(review)]).get(int(review))
        if manager_id is None:
            return None
        if manager_id not in self._people:
            self._people[manager_id] = Person.objects.filter(pk=manager_id, is_active=True).first()
        return self._people[manager_id]

    def owner(self, kind: str, *, person: Person | None, team: Team | None, detail: Any) -> Person | None:
        if person is None:
            return self.team_manager(team) if team is not None else self.people_partner()
        role = self.roles.get(kind, "person")
        manager = person.manager if person.manager_id and person.manager and person.manager.is_active else None
        packet = detail.get("packet") if isinstance(detail, dict) else None
        manager_draft = isinstance(packet, dict) and packet.get("written_by") == "manager"
        if role == "author" and isinstance(packet, dict):
            return (self._review_manager(packet.get("review")) or manager) if manager_draft else person
        if role in {"manager", "people_partner"}:
            return manager or (None if manager_draft else person)
        return manager if manager_draft else person


def assign_owners(signals: QuerySet[Signal] | None = None) -> int:
    """Give each pending current signal the owner the policy names now; returns how many changed."""
    owners = SignalOwners()
    pending = (signals if signals is not None else Signal.objects.all()).filter(
        is_current=True, status=Signal.Status.PENDING).select_related("person__manager", "team")
    changed = 0
    for signal in pending:
        owner = owners.owner(signal.kind, person=signal.person, team=signal.team, detail=signal.detail)
        if signal.owner_id != (owner.pk if owner else None):
            Signal.objects.filter(pk=signal.pk).update(owner=owner)
            changed += 1
    return changed


def _store(subject_key: str, drafts: Sequence[core.SignalDraft], *, person: Person | None, team: Team | None,
           owners: dict[str, Person | None], summary: RunSummary, scope: QuerySet[Signal] | None = None) -> None:
    """Upsert drafts by key; retire the current signals of the subject (or of ``scope``, a part of them)
    that were not produced again. A new signal gets its owner (``owners`` by key, else the policy's)."""
    existing = {s.key: s for s in (_current(person=person, team=team) if scope is None else scope)}
    writes = _SignalWrites(SignalOwners())
    writes.add(drafts, existing, person=person, team=team, owners=owners, summary=summary)
    writes.flush(summary)


class _SignalWrites:
    """The signal writes of many subjects, gathered and then written in a few statements (``flush``)."""

    def __init__(self, by_policy: SignalOwners) -> None:
        self.by_policy = by_policy
        self.versions: dict[str, str] | None = None  # core.model_versions(), read once when first needed
        self.created: list[Signal] = []
        self.stale: list[int] = []

    def add(self, drafts: Sequence[core.SignalDraft], existing: dict[str, Signal], *, person: Person | None,
            team: Team | None, owners: dict[str, Person | None], summary: RunSummary) -> None:
        """One subject's drafts against its current signals (``existing``, by key)."""
        produced: set[str] = set()
        for draft in drafts:
            produced.add(draft.key)
            summary.kinds[draft.kind] += 1
            previous = existing.get(draft.key)
            if previous is not None and draft.key.startswith(PACKET_CHECK_PREFIX):
                # A packet check is about its claim, not about the window it was computed in; saves and runs
                # fall on different days, so keep the first window and a reviewed check keeps its review
                # for as long as its claim is unchanged.
                draft = replace(draft, window_start=previous.window_start, window_end=previous.window_end)
            content = _content_hash(draft)
            if previous is not None and previous.status != Signal.Status.PENDING and draft.detail.get("closed"):
                # The claim's step has closed: a reviewed check keeps its review, and nobody is asked again.
                summary.unchanged += 1
                continue
            if previous is not None and previous.content_hash == content:
                summary.unchanged += 1
                continue
            if (previous is not None and previous.status != Signal.Status.PENDING
                    and _content_hash(replace(draft, statement=previous.statement)) == previous.content_hash):
                # Only the wording changed (a plainer sentence for the same finding): the review stands.
                previous.statement, previous.rule, previous.content_hash = draft.statement, draft.rule, content
                previous.save(update_fields=["statement", "rule", "content_hash", "updated_at"])
                summary.unchanged += 1
                continue
            if self.versions is None and not draft.key.startswith(PACKET_CHECK_PREFIX):
                self.versions = core.model_versions()  # it looks the model files up: once, not per signal
            model_name, model_version = _model_for(draft, self.versions)
            values = {
                "kind": draft.kind, "key": draft.key, "person": person, "team": team,
                "window_start": draft.window_start, "window_end": draft.window_end, "statement": draft.statement,
                "rule": draft.rule, "cannot_infer": draft.cannot_infer, "enough_data": draft.enough_data,
                "is_finding": draft.is_finding,
                "confidence_label": draft.confidence.label, "confidence_items": draft.confidence.items,
                "confidence_authors": draft.confidence.authors, "confidence_span_days": draft.confidence.span_days,
                "confidence_agreement": draft.confidence.agreement,
                "confidence_reasons": list(draft.confidence.reasons),
                "item_refs": [ref.to_json() for ref in draft.item_refs],
                "detail": json.loads(canonical_json(draft.detail)), "model_name": model_name,
                "model_version": model_version, "content_hash": content,
                "owner": owners.get(draft.key) or self.by_policy.owner(draft.kind, person=person, team=team,
                                                                       detail=draft.detail),
            }
            if previous is None:
                self.created.append(Signal(**values))
                summary.created += 1
            elif previous.status == Signal.Status.PENDING:
                for name, value in values.items():
                    setattr(previous, name, value)
                previous.save()
                summary.updated += 1
            else:
                # A reviewed hypothesis keeps its review; the changed one needs a review of its own.
                previous.is_current = False
                previous.save(update_fields=["is_current", "updated_at"])
                self.created.append(Signal(**values))
                summary.updated += 1
        self.stale += [s.pk for key, s in existing.items() if key not in produced]

    def flush(self, summary: RunSummary) -> None:
        Signal.objects.bulk_create(self.created, batch_size=500)
        for first in range(0, len(self.stale), adapters.IN_CHUNK):
            summary.retired += Signal.objects.filter(pk__in=self.stale[first:first + adapters.IN_CHUNK]).update(
                is_current=False)
        self.created, self.stale = [], []


def _current(*, person: Person | None, team: Team | None) -> Iterable[Signal]:
    return Signal.objects.filter(person=person, team=team, is_current=True)


def team_manager(team: Team) -> Person | None:
    """The person most of the team's active members report to (H4 owner of team anomalies)."""
    managers = Counter(Person.objects.filter(team=team, is_active=True, manager__isnull=False)
                       .values_list("manager_id", flat=True))
    if not managers:
        return None
    manager_id = max(managers.items(), key=lambda pair: (pair[1], -pair[0]))[0]
    return Person.objects.filter(pk=manager_id).first()


def _comment_json(comment: core.Comment) -> list[Any]:
    return [comment.id, comment.author_id, comment.text, comment.written_at, comment.prompt]


#: People whose inputs are read, analysed and stored together; teams whose delivery data is read together.
PEOPLE_PER_BATCH = 500
TEAMS_PER_BATCH = 100

#: ``progress(stage, done, total)``: "people" or "teams", how many of them are done so far, and of how many.
Progress = Callable[[str, int, int], None]


def _no_progress(stage: str, done: int, total: int) -> None:
    del stage, done, total


def run_insights(*, person: Person | None = None, team: Team | None = None, all_subjects: bool = False,
                 today: date | None = None, actor: Person | None = None,
                 actor_label: str | None = None, progress: Progress = _no_progress) -> RunSummary:
    """Compute signals for one person, one team, or everyone (people, teams and the organisation).

    People are read, analysed and stored in batches of ``PEOPLE_PER_BATCH`` (each kind of input in one
    query per batch, the signals in a few statements), teams in batches of ``TEAMS_PER_BATCH``; the signals
    are those a run of one person or one team at a time stores."""
    if sum(bool(x) for x in (person, team, all_subjects)) != 1:
        raise InsightsError(ERR_ONE_SCOPE)
    today = today or timezone.localdate()
    start = today - timedelta(days=WINDOW_DAYS)
    summary = RunSummary(window=(start.isoformat(), today.isoformat()))
    boundaries = get_policy().ai_boundaries
    people: list[Person] = []
    teams: list[Team] = []
    active = Person.objects.select_related("manager").order_by("name", "pk")
    if person is not None:
        people = [person]
    elif team is not None:
        teams = [team]
        people = list(active.filter(team=team, is_active=True))
    else:
        people = list(active.filter(is_active=True))
        teams = list(Team.objects.all())
    comments = adapters.comments_about([p.pk for p in people], start=start, end=today)
    by_subject: dict[str, list[core.Comment]] = {}
    for comment in comments:
        by_subject.setdefault(comment.subject_id, []).append(comment)
    versions = core.model_versions()
    base = {"algorithm": ALGORITHM_VERSION, "models": versions, "taxonomy": theme_index().taxonomy.version,
            "window": [start, today], "boundaries": boundaries}
    owners = SignalOwners()

    # People: fingerprint first, analyse only the changed ones, batch by batch.
    by_id: dict[str, core.CommentAnalysis] = {}
    for first in range(0, len(people), PEOPLE_PER_BATCH):
        batch = people[first:first + PEOPLE_PER_BATCH]
        _run_people(batch, by_subject, by_id, start=start, today=today, base=base, boundaries=boundaries,
                    owners=owners, summary=summary)
        progress("people", first + len(batch), len(people))

    if teams:
        members: dict[int, list[int]] = {}
        if team is None:  # everyone: the members are among the people read above, in the same order
            for one in people:
                if one.team_id is not None:
                    members.setdefault(one.team_id, []).append(one.pk)
        else:
            members[team.pk] = [one.pk for one in people]
        for first in range(0, len(teams), TEAMS_PER_BATCH):
            batch_teams = teams[first:first + TEAMS_PER_BATCH]
            _run_teams(batch_teams, members, by_subject, by_id, today=today, base=base, boundaries=boundaries,
                       owners=owners, summary=summary)
            progress("teams", first + len(batch_teams), len(teams))
    if all_subjects and boundaries.get("themes_enabled", True):
        _run_organisation(comments, start=start, end=today, base=base, summary=summary)
    # Signals kept from earlier runs follow the policy's owners too (a changed policy, a new manager).
    scope = Signal.objects.filter(person__in=people)
    if team is not None:
        scope = scope | Signal.objects.filter(team=team)
    assign_owners(None if all_subjects else scope)
    log_action("insights.run.completed", actor, None,
               {"scope": "all" if all_subjects else (f"person:{person.pk}" if person else f"team:{team.slug}"
                                                       if team else ""), **summary.to_json(),
                "models": core.model_versions()},
               actor_label=actor_label)
    return summary


def _stored_fingerprints(keys: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for first in range(0, len(keys), adapters.IN_CHUNK):
        found.update(InputFingerprint.objects.filter(subject_key__in=keys[first:first + adapters.IN_CHUNK])
                     .values_list("subject_key", "fingerprint"))
    return found


def _current_by_subject(*, person_ids: list[int] | None = None,
                        team_ids: list[int] | None = None) -> dict[int, dict[str, Signal]]:
    """The current signals of each person (or each team), by subject id and key."""
    found: dict[int, dict[str, Signal]] = {pk: {} for pk in (person_ids or team_ids or [])}
    if person_ids is not None:
        current = Signal.objects.filter(person_id__in=person_ids, team=None, is_current=True)
    else:
        current = Signal.objects.filter(team_id__in=team_ids or [], person=None, is_current=True)
    for signal in current:
        subject = signal.person_id if person_ids is not None else signal.team_id
        found[subject][signal.key] = signal
    return found


def _run_people(batch: list[Person], by_subject: dict[str, list[core.Comment]],
                analysed: dict[str, core.CommentAnalysis], *, start: date, today: date, base: dict[str, Any],
                boundaries: dict[str, Any], owners: SignalOwners, summary: RunSummary) -> None:
    """One batch of people: their inputs in one query per kind, the changed ones analysed together
    (their comments are added to ``analysed``) and their signals written in one transaction."""
    ids = [one.pk for one in batch]
    claims = adapters.claims_of_many(ids, start=start)
    evidence = adapters.evidence_about_many(ids, start=start, end=today)
    packet_claims = adapters.packet_claims_of_many(ids)
    stored = _stored_fingerprints([f"person:{pk}" for pk in ids])
    changed: list[tuple[Person, str, PersonInputs]] = []
    unchanged: list[int] = []
    for subject in batch:
        inputs = PersonInputs(comments=by_subject.get(str(subject.pk), []), evidence=evidence[subject.pk],
                              claims=claims[subject.pk][0], claim_texts=claims[subject.pk][1],
                              packet_claims=packet_claims[subject.pk])
        fingerprint = _fingerprint({**base, **inputs.to_json()})
        if stored.get(f"person:{subject.pk}") == fingerprint:
            unchanged.append(subject.pk)
            continue
        changed.append((subject, fingerprint, inputs))
    if unchanged:
        summary.subjects_unchanged += len(unchanged)
        summary.unchanged += Signal.objects.filter(person_id__in=unchanged, team=None, is_current=True).count()
    if not changed:
        return
    changed_comments = [c for _, _, inputs in changed for c in inputs.comments]
    analyses, _ = core.analyse_comments(changed_comments, index=theme_index(),
                                        with_sentiment=boundaries.get("sentiment_enabled", True))
    analysed.update((a.comment_id, a) for a in analyses)
    dimensions = _claim_dimensions([(claim, inputs.claim_texts) for _, _, inputs in changed
                                    for claim in inputs.claims])
    existing = _current_by_subject(person_ids=[subject.pk for subject, _, _ in changed])
    writes = _SignalWrites(owners)
    for subject, _, inputs in changed:
        drafts = _person_drafts(subject, inputs, analysed, dimensions, start=start, end=today, boundaries=boundaries)
        writes.add(drafts, existing[subject.pk], person=subject, team=None, owners={}, summary=summary)
    with transaction.atomic():
        writes.flush(summary)
        _remember_many([(f"person:{subject.pk}", fingerprint) for subject, fingerprint, _ in changed])
    summary.subjects_computed += len(changed)


def _unchanged(key: str, fingerprint: str, summary: RunSummary, *, person: Person | None, team: Team | None) -> bool:
    stored = InputFingerprint.objects.filter(subject_key=key).first()
    if stored is None or stored.fingerprint != fingerprint:
        return False
    summary.subjects_unchanged += 1
    if key == "organisation":
        summary.unchanged += Signal.objects.filter(person=None, team=None, is_current=True).count()
    else:
        summary.unchanged += sum(1 for _ in _current(person=person, team=team))
    return True


def _remember(key: str, fingerprint: str) -> None:
    InputFingerprint.objects.update_or_create(subject_key=key, defaults={"fingerprint": fingerprint})


def _remember_many(fingerprints: list[tuple[str, str]]) -> None:
    """Store many subjects' fingerprints in a few statements (an insert that updates the existing rows)."""
    InputFingerprint.objects.bulk_create(
        [InputFingerprint(subject_key=key, fingerprint=fingerprint) for key, fingerprint in fingerprints],
        update_conflicts=True, unique_fields=["subject_key"], update_fields=["fingerprint", "computed_at"],
        batch_size=500)


@dataclass(frozen=True)
class PersonInputs:
    """What one person's signals are computed from: feedback about them, their evidence, their
    accomplishments (claims, with each narrative by claim id) and the claims of their draft packets."""

    comments: list[core.Comment]
    evidence: list[core.EvidenceRef]
    claims: list[core.Claim]
    claim_texts: dict[str, str]
    packet_claims: list[core.PacketClaim]

    def to_json(self) -> dict[str, Any]:
        """The fingerprinted form: a change to any of it recomputes the person."""
        return {
            "comments": [_comment_json(c) for c in self.comments],
            "evidence": [[e.ref.id, e.kind, e.occurred_at, e.text] for e in self.evidence],
            "claims": [[c.ref.id, c.checked_text, c.claimed_numbers, [e.ref.id for e in c.cited],
                        self.claim_texts[c.ref.id], list(c.unfound)] for c in self.claims],
            "packet_claims": [[c.ref.kind, c.ref.id, c.packet, c.packet_name, c.part, c.slot, c.label, c.written_by,
                               [r.to_json() for r in c.cited], [r.to_json() for r in c.ai_cited], list(c.unfound),
                               c.closed]
                              for c in self.packet_claims],
        }


def _person_drafts(subject: Person, inputs: PersonInputs, analyses: dict[str, core.CommentAnalysis],
                   dimensions: dict[str, tuple[str, ...]], *, start: date, end: date,
                   boundaries: dict[str, Any]) -> list[core.SignalDraft]:
    comments, evidence, claims = inputs.comments, inputs.evidence, inputs.claims
    who = core.Subject("person", str(subject.pk))
    themes = [analyses[c.id].themes for c in comments]
    sentiments = {c.id: analyses[c.id].sentiment for c in comments}
    labels = {c.id: analyses[c.id].sentiment.label for c in comments}
    evidence_counts = Counter(e.kind for e in evidence)
    drafts: list[core.SignalDraft] = []
    taxonomy = theme_index().taxonomy
    # Comments stamped after "today" (a demo anchored to a fixed date) still belong to this window.
    comment_end = max([end, *(c.written_at.date() for c in comments)])
    if boundaries.get("themes_enabled", True) and comments:
        drafts += core.summarise_themes(who, comments, themes, taxonomy=taxonomy, window_start=start,
                                        window_end=comment_end,
                                        sentiments=labels if boundaries.get("sentiment_enabled", True) else None,
                                        evidence_counts=evidence_counts)
        drafts += core.delivery_concern_contradictions(who, comments, themes, taxonomy=taxonomy, sentiments=labels,
                                                       evidence=evidence, window_start=start,
                                                       window_end=comment_end)
    if boundaries.get("sentiment_enabled", True) and comments:
        drafts.append(core.sentiment_drift(who, comments, sentiments, window_start=start, window_end=comment_end))
    drafts += core.unsupported_claim_signals(who, claims, window_start=start, window_end=end)
    claims = [replace(claim, dimensions=dimensions[claim.ref.id]) for claim in claims]
    # An accomplishment chosen for a draft packet is reported once, as a claim of that packet.
    in_packets = {c.ref.id for c in inputs.packet_claims if c.part == "accomplishment"}
    claims = [c for c in claims if c.cited or not (c.ref.kind == "accomplishment" and c.ref.id in in_packets)]
    drafts += core.missing_evidence_signals(who, dimensions=list(Dimension.choices), evidence=evidence, claims=claims,
                                            window_start=start, window_end=end)
    drafts += core.packet_missing_evidence_signals(who, inputs.packet_claims, window_start=start, window_end=end)
    return drafts


def _claim_dimensions(claims: list[tuple[core.Claim, dict[str, str]]]) -> dict[str, tuple[str, ...]]:
    """Which evaluation dimensions each claim speaks to, from the themes of its narrative (``texts`` by claim
    id), by claim id: the narratives of many people's claims are matched in one call."""
    if not claims:
        return {}
    index = theme_index()
    moment = datetime.now(UTC)
    as_comments = [core.Comment(id=claim.ref.id, author_id=None, subject_id="", text=texts.get(claim.ref.id, ""),
                                written_at=moment) for claim, texts in claims]
    matched = core.assign_themes(as_comments, index, embedder=embed)
    return {claim.ref.id: tuple(sorted({index.taxonomy.theme(t).dimension for t in found.theme_ids}))
            for (claim, _texts), found in zip(claims, matched, strict=True)}


def recheck_changed_packets(sender: Any, *, actor: Person | None, review_id: int | None = None,
                            accomplishment_id: int | None = None, **kwargs: Any) -> None:
    """The receiver of the feedback app's ``packet_claims_changed`` (connected in ``InsightsConfig.ready()``)."""
    refresh_packet_checks(review_id=review_id, accomplishment_id=accomplishment_id, actor=actor)


def refresh_packet_checks(*, review_id: int | None = None, accomplishment_id: int | None = None,
                          actor: Person | None, today: date | None = None) -> dict[int, RunSummary]:
    """Re-check, now, the claims of one draft review packet (``review_id``) or of the draft packets that chose
    an accomplishment (``accomplishment_id``) for missing evidence (C5), and nothing else of the person.

    Runs on the ``packet_claims_changed`` signal, which the services that save a packet's claims send inside
    their transaction, so a failed save leaves no new signal. The checks are rules over citations: no model
    is read. A check whose claim is unchanged keeps its review; one whose claim now cites evidence is
    retired, as a run retires it. Once its author's step has closed, a pending check is information, not a
    finding: nobody is asked to accept or dismiss it. A packet past its draft phases (``review_id``, once
    calibration starts) is not checked again; its pending checks become such information until the next
    run retires them.
    Returns what changed, by review id; an audit entry is written for a packet whose checks changed.
    """
    if (review_id is None) == (accomplishment_id is None):
        raise InsightsError(ERR_ONE_PACKET_SCOPE)
    today = today or timezone.localdate()
    start = today - timedelta(days=WINDOW_DAYS)
    packets = adapters.draft_packets(review_id=review_id, accomplishment_id=accomplishment_id)
    people = Person.objects.in_bulk({person_id for person_id, _claims in packets.values()})
    checked: dict[int, RunSummary] = {}
    if review_id is not None and review_id not in packets:
        _close_packet_checks(review_id, actor=actor)
    for packet, (person_id, claims) in packets.items():
        person = people[person_id]
        drafts = core.packet_missing_evidence_signals(core.Subject("person", str(person_id)), claims,
                                                      window_start=start, window_end=today)
        one = checked[packet] = RunSummary(window=(start.isoformat(), today.isoformat()), subjects_computed=1)
        with transaction.atomic():
            _store(f"person:{person_id}", drafts, person=person, team=None, owners={}, summary=one,
                   scope=Signal.objects.filter(person=person, is_current=True,
                                               key__startswith=f"{PACKET_CHECK_PREFIX}{packet}:"))
            if one.created or one.updated or one.retired:
                log_action("insights.packet.checked", actor, person, {
                    "review": packet, "checks": len(drafts), "created": one.created, "updated": one.updated,
                    "retired": one.retired})
    return checked


def _close_packet_checks(review_id: int, *, actor: Person | None) -> None:
    """The pending checks of a packet no longer a draft, made information: its authors cannot act on them."""
    pending = Signal.objects.select_for_update(of=("self",)).filter(
        key__startswith=f"{PACKET_CHECK_PREFIX}{review_id}:", is_current=True, status=Signal.Status.PENDING,
        is_finding=True).select_related("person")
    with transaction.atomic():
        closed = list(pending)
        for signal in closed:
            packet = signal.detail.get("packet", {})
            signal.statement = f"{signal.statement} {core.PACKET_STEP_CLOSED[packet.get('written_by', 'person')]}"
            signal.detail = {**signal.detail, "closed": True}
            signal.is_finding = False
            signal.save(update_fields=["statement", "detail", "is_finding", "updated_at"])
        if closed:
            log_action("insights.packet.checked", actor, closed[0].person, {
                "review": review_id, "checks": len(closed), "created": 0, "updated": len(closed), "retired": 0})


def _team_managers(teams: list[Team]) -> dict[int, Person | None]:
    """``team_manager`` of many teams in two queries, by team id."""
    reports: dict[int, Counter[int]] = {team.pk: Counter() for team in teams}
    for team_id, manager_id in Person.objects.filter(team__in=teams, is_active=True, manager__isnull=False) \
            .values_list("team_id", "manager_id"):
        reports[team_id][manager_id] += 1
    chosen = {pk: max(managers.items(), key=lambda pair: (pair[1], -pair[0]))[0]
              for pk, managers in reports.items() if managers}
    found = Person.objects.in_bulk(set(chosen.values()))
    return {team.pk: found.get(chosen[team.pk]) if team.pk in chosen else None for team in teams}


def _run_teams(teams: list[Team], members: dict[int, list[int]], by_subject: dict[str, list[core.Comment]],
               analysed: dict[str, core.CommentAnalysis], *, today: date, base: dict[str, Any],
               boundaries: dict[str, Any], owners: SignalOwners, summary: RunSummary) -> None:
    """Trend breaks, theme summaries and sentiment drift of a batch of teams, each over its active members'
    feedback (``members``: their ids by team id, in name order).

    ``analysed`` holds the comments the people step already analysed; only the others are analysed here.
    """
    end = datetime.combine(today, time(0), tzinfo=UTC)
    start = today - timedelta(days=WINDOW_DAYS)
    subjects = {team.pk: core.Subject("team", str(team.pk)) for team in teams}
    series = (adapters.teams_series([(team, subjects[team.pk]) for team in teams],
                                    start=end - timedelta(weeks=TREND_WEEKS), end=end)
              if boundaries.get("trend_breaks_enabled", True) else {})
    managers = _team_managers(teams)
    owners.know_team_managers(managers)
    evidence_counts = adapters.teams_evidence_counts(teams, start=start, end=today)
    stored = _stored_fingerprints([f"team:{team.pk}" for team in teams])
    changed: list[tuple[Team, str, list[core.Comment]]] = []
    unchanged: list[int] = []
    for team in teams:
        comments = [c for pk in members.get(team.pk, []) for c in by_subject.get(str(pk), [])]
        owner = managers[team.pk]
        fingerprint = _fingerprint({**base, "comments": [_comment_json(c) for c in comments],
                                    "series": [[s.name, s.points] for s in series.get(team.pk, [])],
                                    "evidence_counts": evidence_counts[team.pk],
                                    "owner": owner.pk if owner else None})
        if stored.get(f"team:{team.pk}") == fingerprint:
            unchanged.append(team.pk)
        else:
            changed.append((team, fingerprint, comments))
    if unchanged:
        summary.subjects_unchanged += len(unchanged)
        summary.unchanged += Signal.objects.filter(team_id__in=unchanged, person=None, is_current=True).count()
    if not changed:
        return
    with_themes, with_sentiment = boundaries.get("themes_enabled", True), boundaries.get("sentiment_enabled", True)
    if with_themes or with_sentiment:
        missing = [c for _, _, comments in changed for c in comments if c.id not in analysed]
        fresh, _ = core.analyse_comments(missing, index=theme_index(), with_sentiment=with_sentiment)
        analysed = {**analysed, **{a.comment_id: a for a in fresh}}
    existing = _current_by_subject(team_ids=[team.pk for team, _, _ in changed])
    writes = _SignalWrites(owners)
    for team, _, comments in changed:
        who, owner = subjects[team.pk], managers[team.pk]
        drafts: list[core.SignalDraft] = []
        by_key: dict[str, Person | None] = {}
        for one in series.get(team.pk, []):
            for draft in core.trend_break_signals(one, owner=str(owner.pk) if owner else None,
                                                  owner_name=owner.name if owner else ""):
                drafts.append(draft)
                by_key[draft.key] = owner
        if comments and (with_themes or with_sentiment):
            comment_end = max([today, *(c.written_at.date() for c in comments)])
            if with_themes:
                drafts += core.summarise_themes(
                    who, comments, [analysed[c.id].themes for c in comments], taxonomy=theme_index().taxonomy,
                    window_start=start, window_end=comment_end, evidence_counts=evidence_counts[team.pk],
                    sentiments={c.id: analysed[c.id].sentiment.label for c in comments} if with_sentiment else None)
            if with_sentiment:
                drafts.append(core.sentiment_drift(who, comments, {c.id: analysed[c.id].sentiment for c in comments},
                                                   window_start=start, window_end=comment_end))
        writes.add(drafts, existing[team.pk], person=None, team=team, owners=by_key, summary=summary)
    with transaction.atomic():
        writes.flush(summary)
        _remember_many([(f"team:{team.pk}", fingerprint) for team, fingerprint, _ in changed])
    summary.subjects_computed += len(changed)


def _run_organisation(comments: list[core.Comment], *, start: date, end: date, base: dict[str, Any],
                      summary: RunSummary) -> None:
    fingerprint = _fingerprint({**base, "comments": [_comment_json(c) for c in comments]})
    if _unchanged("organisation", fingerprint, summary, person=None, team=None):
        return
    kept = core.deduplicate_comments(comments)
    drafts: list[core.SignalDraft] = []
    if len(kept) >= core.MIN_CORPUS:
        vectors = embed([c.text for c in kept])
        names = frozenset(part.casefold() for name in Person.objects.values_list("name", flat=True)
                          for part in name.split())
        drafts = core.emergent_theme_signals(kept, core.propose_clusters(kept, vectors, exclude_terms=names),
                                             window_start=start,
                                             window_end=end)
    with transaction.atomic():
        _store("organisation", drafts, person=None, team=None, owners={}, summary=summary)
        _remember("organisation", fingerprint)
    summary.subjects_computed += 1


# --- reading --------------------------------------------------------------------------------------

KIND_ORDER = ("theme_summary", "theme", "sentiment_drift", "contradiction", "unsupported_claim", "missing_evidence",
              "trend_break", "emergent_theme")


def signals_for_person(person: Person) -> list[Signal]:
    signals = list(Signal.objects.filter(person=person, is_current=True).select_related("reviewed_by"))
    return sorted(signals, key=lambda s: (KIND_ORDER.index(s.kind), s.key))


def signals_for_team(team: Team) -> list[Signal]:
    signals = list(Signal.objects.filter(team=team, is_current=True).select_related("owner", "reviewed_by"))
    return sorted(signals, key=lambda s: (KIND_ORDER.index(s.kind), s.key))


@dataclass(frozen=True)
class TeamThemes:
    """A team's theme summary as counts only (what a leader may see): no sentences, no item ids, no review.

    ``withheld`` is true when the team has fewer active members than the policy's minimum cohort and
    the viewer is owed aggregates only; the numbers are then empty.
    """

    team: Team
    withheld: bool
    min_cohort: int
    statement: str = ""
    enough_data: bool = False
    confidence_label: str = ""
    comments: int = 0
    authors: int = 0
    window: tuple[date, date] | None = None
    themes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def recurring(self) -> list[dict[str, Any]]:
        """The themes with enough data to be reported (5 comments from 3 people), most comments first."""
        return sorted((row for row in self.themes if row.get("enough_data")), key=lambda row: -int(row["comments"]))

    def to_json(self) -> dict[str, Any]:
        return {"team": self.team.slug, "withheld": self.withheld, "min_cohort": self.min_cohort,
                "statement": self.statement, "enough_data": self.enough_data,
                "confidence_label": self.confidence_label, "comments": self.comments, "authors": self.authors,
                "window": [day.isoformat() for day in self.window] if self.window else None, "themes": self.themes}


_PEOPLE_COUNTS = (
    (re.compile(r"\bfrom (\d+) (people|writers)\b"), "from {count} {rest}"),
    (re.compile(r"\babout (\d+) (team members?)\b"), "about {count} team members"),
    (re.compile(r"\b(\d+) of them (raises|raise)\b"), "{count} of them raise"),
)


def aggregate_wording(statement: str, min_cohort: int) -> str:
    """A team's theme statement as an aggregate page shows it: a count of people from 1 to ``min_cohort`` - 1
    reads "fewer than N" (the stored statement keeps the exact figure, which its provenance hash covers)."""
    def shown(number: str) -> str:
        count = int(number)
        return f"fewer than {min_cohort}" if 0 < count < min_cohort else number

    for pattern, template in _PEOPLE_COUNTS:
        statement = pattern.sub(lambda match, template=template: template.format(
            count=shown(match.group(1)), rest=match.group(2)), statement)
    return re.sub(r"(^|\. )fewer than", r"\1Fewer than", statement)  # a sentence that now opens with it


AGGREGATE_THEME_FIELDS = ("theme", "label", "comments", "authors", "concern_authors", "trend", "enough_data")


def team_themes(team: Team, *, aggregates_only: bool) -> TeamThemes | None:
    """The team's current theme summary as counts; ``None`` before a run has summarised it.

    With ``aggregates_only`` (a leader outside the team's chain) a team below the minimum cohort is
    withheld, and the per-theme rows do not say how many members a theme is about.
    """
    return teams_themes([team], aggregates_only=aggregates_only)[team.pk]


def teams_themes(teams: list[Team], *, aggregates_only: bool) -> dict[int, TeamThemes | None]:
    """``team_themes`` for many teams in a fixed number of queries, by team id."""
    min_cohort = get_policy().min_cohort_size
    ids = [team.pk for team in teams]
    summaries: dict[int, Signal] = {}
    for signal in Signal.objects.filter(team_id__in=ids, kind="theme_summary", is_current=True):
        summaries.setdefault(signal.team_id, signal)  # the first in the model's order, as .first() read it
    sizes: dict[int, int] = {}
    if aggregates_only and summaries:
        sizes = dict(Person.objects.filter(team_id__in=list(summaries), is_active=True).values("team_id")
                     .annotate(size=Count("id")).values_list("team_id", "size"))
    found: dict[int, TeamThemes | None] = {}
    for team in teams:
        summary = summaries.get(team.pk)
        if summary is None:
            found[team.pk] = None
        elif aggregates_only and sizes.get(team.pk, 0) < min_cohort:
            found[team.pk] = TeamThemes(team=team, withheld=True, min_cohort=min_cohort)
        else:
            fields = AGGREGATE_THEME_FIELDS if aggregates_only else (*AGGREGATE_THEME_FIELDS, "members")
            rows = [{name: row.get(name) for name in fields} for row in summary.detail.get("themes", [])]
            found[team.pk] = TeamThemes(
                team=team, withheld=False, min_cohort=min_cohort,
                statement=aggregate_wording(summary.shown_statement, min_cohort),
                enough_data=summary.enough_data, confidence_label=summary.confidence_label,
                comments=summary.confidence_items, authors=summary.confidence_authors,
                window=(summary.window_start, summary.window_end), themes=rows)
    return found


def dismissal_count(*, person: Person | None = None, team: Team | None = None,
                    include_manager_drafts: bool = True) -> int:
    """Dismissed signals of the subject; without the checks of a manager's draft packet for the person's own eyes."""
    dismissed = Signal.objects.filter(person=person, team=team, status=Signal.Status.DISMISSED)
    if include_manager_drafts:
        return dismissed.count()
    # Read in Python: excluding on a JSON key would also drop every signal without that key (SQL NULL).
    return sum(1 for signal in dismissed.only("detail") if not signal.about_manager_draft)


def packet_signals(review_id: int, person: Person) -> list[Signal]:
    """The current missing-evidence checks of one draft review packet, in the order of the packet."""
    parts = ("self_review", "accomplishment", "assessment", "narrative")
    found = Signal.objects.filter(person=person, kind="missing_evidence", is_current=True,
                                  key__startswith=f"{PACKET_CHECK_PREFIX}{review_id}:").select_related("reviewed_by")
    return sorted(found, key=lambda s: (parts.index(str(s.detail["packet"]["part"])), s.key))


def transparency_report() -> list[core.SignalTypeReport]:
    """The C9 report, with measured numbers read from the committed metrics files now."""
    return core.build_transparency_report(
        sentiment_metrics=core.load_model_metrics(NLP_MODELS_PATH / "sentiment" / "metrics.json"),
        theme_metrics=core.load_model_metrics(core.THEME_METRICS_PATH), versions=core.model_versions(),
        reviews=review_counts(), window_days=WINDOW_DAYS, signal_accuracy=core.load_signal_accuracy(),
        tone_metrics=core.load_model_metrics(NLP_MODELS_PATH / "tone" / "metrics.json"),
        tone_evaluation=core.load_model_metrics(NLP_MODELS_PATH / "tone" / "eval_metrics.json"),
        tone_first_stage=tone_first_stage_in_use(), tone_attack_stage=tone_attack_stage_in_use(),
        sentiment_reader=sentiment_reader_in_use(),
        narrative_metrics=core.load_model_metrics(NARRATIVE_MODEL_PATH / "metrics.json"),
        narrative_evaluation=core.load_model_metrics(NARRATIVE_MODEL_PATH / "independent_eval.json"))


# The bias check's groups in words: the workload classes by their labels.
BIAS_GROUP_NAMES: dict[str, str] = {**{key: str(label) for key, label in WorkloadClass.choices}, "unknown": "Not known"}


def signal_bias_report(*, today: date | None = None) -> core.BiasReport:
    """C11: compare how often each person-level signal fires (a current finding, ``Signal.is_finding``) across
    workload classes, tenure bands and comment-volume quartiles (the one place comment volume is used: as a
    grouping to check)."""
    today = today or timezone.localdate()
    start = today - timedelta(days=WINDOW_DAYS)
    people = list(Person.objects.filter(is_active=True, team__isnull=False).select_related("team"))
    volume = Counter(c.subject_id for c in core.deduplicate_comments(
        adapters.comments_about([p.pk for p in people], start=start, end=today)))
    quartiles = core.volume_quartiles({str(p.pk): volume.get(str(p.pk), 0) for p in people})
    profiles = [core.SubjectProfile(str(p.pk), {
        "workload_class": p.team.workload_class if p.team else "unknown",
        "tenure_band": core.tenure_band(p.start_date, today),
        "comment_volume": quartiles[str(p.pk)],
    }) for p in people]
    # Only findings count as fired: a sentiment drift with no clear change, or any signal without enough data, is
    # information, not something a person is asked to act on (docs/signals.md, "Bias checks").
    fired = Signal.objects.filter(is_current=True, is_finding=True, person__in=people).exclude(
        kind="theme_summary").values_list("person_id", "kind")
    kinds = ("theme", "sentiment_drift", "contradiction", "unsupported_claim", "missing_evidence")
    return core.compare_signal_rates(profiles, [(str(pk), kind) for pk, kind in fired], kinds=kinds,
                                     min_cohort=get_policy().min_cohort_size, group_names=BIAS_GROUP_NAMES)


def open_trend_breaks(teams: Any) -> QuerySet[Signal]:
    """The current changes in ``teams``' delivery trends that nobody dismissed (``teams``: a list, or a query of
    their ids): what the manager's team page and the leadership view both count."""
    return (Signal.objects.filter(team__in=teams, kind=SignalKind.TREND_BREAK, is_current=True, is_finding=True)
            .exclude(status=Signal.Status.DISMISSED))

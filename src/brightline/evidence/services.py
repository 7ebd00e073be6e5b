"""State changes of the evidence app: the service catalogue, repositories and identity mapping.

Every function checks its precondition (raising :class:`EvidenceError` with a module message),
mutates inside ``transaction.atomic()`` and writes one audit entry.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Final

from django.db import transaction
from django.utils import timezone

from brightline import access
from brightline.audit.services import log_action
from brightline.evidence.models import (
    CodeReview,
    CommitRecord,
    Criticality,
    EvidenceItem,
    Maturity,
    Page,
    PullRequest,
    Repository,
    Service,
    SupportTicket,
    UnmatchedIdentity,
)
from brightline.evidence.sources.git.sync import merged_change_item
from brightline.people.models import Identity, Person, Team, WorkloadClass

ERR_NOT_PEOPLE_PARTNER: Final = "Only people partners can change the service catalogue or map identities."
ERR_SERVICE_NAME: Final = "A service name is lower-case letters, digits and dashes, e.g. payments-api; got {name!r}."
ERR_UNKNOWN_TEAM: Final = "There is no team with the slug {slug!r}."
ERR_UNKNOWN_SERVICE: Final = "There is no service called {name!r} in the catalogue."
ERR_BAD_PATTERN: Final = "The release tag pattern is not a valid regular expression: {error}."
ERR_BAD_CHOICE: Final = "{field} must be one of {choices}; got {value!r}."
ERR_TEAM_CONFLICT: Final = "Service {name!r} belongs to team {current!r}; change its owner in the catalogue, not here."
ERR_IDENTITY_CLOSED: Final = "This identity was already mapped or dismissed."
ERR_IDENTITY_TAKEN: Final = "{kind}:{value} already belongs to {person}."

_SERVICE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,119}$")
_EDITABLE: Final = ("team", "description", "criticality", "workload_class", "maturity", "production_environments",
                    "release_tag_pattern")


class EvidenceError(ValueError):
    """A change the evidence app refuses; the message says why."""


def _check_pattern(pattern: str) -> None:
    try:
        re.compile(pattern)
    except re.error as error:
        raise EvidenceError(ERR_BAD_PATTERN.format(error=error)) from None


def _clean_service_fields(fields: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(fields)
    for name, choices in (("criticality", Criticality), ("workload_class", WorkloadClass), ("maturity", Maturity)):
        if name in cleaned and cleaned[name] not in choices.values:
            raise EvidenceError(ERR_BAD_CHOICE.format(field=name, choices=", ".join(choices.values),
                                                      value=cleaned[name]))
    if "release_tag_pattern" in cleaned:
        _check_pattern(cleaned["release_tag_pattern"])
    if "production_environments" in cleaned:
        environments = cleaned["production_environments"]
        if isinstance(environments, str):
            environments = environments.split(",")
        cleaned["production_environments"] = [name.strip() for name in environments if name.strip()] or ["production"]
    if isinstance(cleaned.get("team"), str):
        team = Team.objects.filter(slug=cleaned["team"]).first()
        if team is None:
            raise EvidenceError(ERR_UNKNOWN_TEAM.format(slug=cleaned["team"]))
        cleaned["team"] = team
    return cleaned


def create_service(*, actor: Person | None, name: str, actor_label: str | None = None, **fields: Any) -> Service:
    """Add a service to the catalogue. From the command line ``actor`` is None and the label names the
    operator; from the web only people partners may do it."""
    if actor is not None and not access.can_manage_people(actor):
        raise EvidenceError(ERR_NOT_PEOPLE_PARTNER)
    if not _SERVICE_NAME.match(name):
        raise EvidenceError(ERR_SERVICE_NAME.format(name=name))
    cleaned = _clean_service_fields({key: value for key, value in fields.items() if key in _EDITABLE})
    team = cleaned.get("team")
    if team is not None and "workload_class" not in cleaned:
        cleaned["workload_class"] = team.workload_class
    with transaction.atomic():
        service = Service.objects.create(name=name, **cleaned)
        log_action("evidence.service.created", actor, service,
                   {"name": name, "team": team.slug if team else None, "criticality": service.criticality,
                    "workload_class": service.workload_class, "maturity": service.maturity,
                    "production_environments": service.production_environments,
                    "release_tag_pattern": service.release_tag_pattern}, actor_label=actor_label)
    return service


def update_service(service: Service, *, actor: Person | None, actor_label: str | None = None,
                   **changes: Any) -> dict[str, Any]:
    """Change catalogue fields; returns ``{field: {from, to}}`` (empty when nothing changed)."""
    if actor is not None and not access.can_manage_people(actor):
        raise EvidenceError(ERR_NOT_PEOPLE_PARTNER)
    cleaned = _clean_service_fields({key: value for key, value in changes.items() if key in _EDITABLE})
    with transaction.atomic():
        locked = Service.objects.select_for_update().get(pk=service.pk)
        diff: dict[str, Any] = {}
        for name, value in cleaned.items():
            current = getattr(locked, name)
            if current != value:
                describe = (lambda team: team.slug if team else None) if name == "team" else (lambda v: v)
                diff[name] = {"from": describe(current), "to": describe(value)}
                setattr(locked, name, value)
        if diff:
            locked.save()
            log_action("evidence.service.updated", actor, locked, {"changes": diff}, actor_label=actor_label)
    service.refresh_from_db()
    return diff


def ensure_service(*, name: str, team_slug: str | None, release_tags: str | None, actor: Person | None,
                   actor_label: str | None = None) -> Service:
    """The service an ingest names: created when new (audited), release pattern updated when given."""
    service = Service.objects.filter(name=name).first()
    if service is None:
        fields: dict[str, Any] = {}
        if team_slug:
            fields["team"] = team_slug
        if release_tags:
            fields["release_tag_pattern"] = release_tags
        return create_service(actor=actor, actor_label=actor_label, name=name, **fields)
    changes: dict[str, Any] = {}
    if team_slug:
        if service.team_id is not None and service.team.slug != team_slug:
            raise EvidenceError(ERR_TEAM_CONFLICT.format(name=name, current=service.team.slug))
        changes["team"] = team_slug
    if release_tags:
        changes["release_tag_pattern"] = release_tags
    if changes:
        update_service(service, actor=actor, actor_label=actor_label, **changes)
    return service


def register_repository(service: Service, *, path: str, branch: str = "HEAD", actor: Person | None,
                        actor_label: str | None = None) -> Repository:
    """The repository row for ``path`` (absolute), created on first use and audited."""
    absolute = str(Path(path).expanduser().resolve())
    repository = Repository.objects.filter(service=service, path=absolute).first()
    if repository is not None:
        if repository.branch != branch:
            with transaction.atomic():
                log_action("evidence.repository.branch_changed", actor, repository,
                           {"from": repository.branch, "to": branch}, actor_label=actor_label)
                repository.branch = branch
                repository.last_synced_head = ""  # a different branch is a different history
                repository.save(update_fields=["branch", "last_synced_head"])
        return repository
    with transaction.atomic():
        repository = Repository.objects.create(service=service, path=absolute, branch=branch)
        log_action("evidence.repository.registered", actor, repository,
                   {"service": service.name, "path": absolute, "branch": branch}, actor_label=actor_label)
    return repository


def map_identity(unmatched: UnmatchedIdentity, *, person: Person, actor: Person) -> int:
    """A people partner says ``unmatched`` is ``person``: store it as the person's identity and
    attribute what was already ingested under it. Returns how many records were attributed."""
    if not access.can_manage_people(actor):
        raise EvidenceError(ERR_NOT_PEOPLE_PARTNER)
    if not unmatched.is_open:
        raise EvidenceError(ERR_IDENTITY_CLOSED)
    taken = Identity.objects.filter(kind=unmatched.kind, value=unmatched.value).exclude(person=person).first()
    if taken is not None:
        raise EvidenceError(ERR_IDENTITY_TAKEN.format(kind=unmatched.kind, value=unmatched.value,
                                                      person=taken.person.name))
    with transaction.atomic():
        Identity.objects.get_or_create(kind=unmatched.kind, value=unmatched.value, defaults={"person": person})
        attributed = _attribute_existing(unmatched.kind, unmatched.value, person)
        unmatched.resolved_to, unmatched.resolved_at = person, timezone.now()
        unmatched.save(update_fields=["resolved_to", "resolved_at"])
        log_action("evidence.identity.mapped", actor, person,
                   {"kind": unmatched.kind, "value": unmatched.value, "records_attributed": attributed})
    return attributed


def dismiss_identity(unmatched: UnmatchedIdentity, *, actor: Person, reason: str) -> None:
    """Not a person of this organisation (a bot, an external contributor): stop asking."""
    if not access.can_manage_people(actor):
        raise EvidenceError(ERR_NOT_PEOPLE_PARTNER)
    if not unmatched.is_open:
        raise EvidenceError(ERR_IDENTITY_CLOSED)
    with transaction.atomic():
        unmatched.dismissed = True
        unmatched.resolved_at = timezone.now()
        unmatched.save(update_fields=["dismissed", "resolved_at"])
        log_action("evidence.identity.dismissed", actor, unmatched,
                   {"kind": unmatched.kind, "value": unmatched.value, "reason": reason})


def _attribute_existing(kind: str, value: str, person: Person) -> int:
    count = 0
    if kind in {"email", "name"}:
        field = "author_email__iexact" if kind == "email" else "author_name__iexact"
        commits = CommitRecord.objects.filter(person__isnull=True, **{field: value}) \
            .select_related("repository__service")
        items = []
        for commit in commits:
            service = commit.repository.service
            if not commit.is_merge:
                items.append(merged_change_item(
                    sha=commit.sha, subject=commit.subject, committed_at=commit.committed_at, person_id=person.pk,
                    team_id=service.team_id, service=service.name, lines_added=commit.lines_added,
                    lines_deleted=commit.lines_deleted, files=commit.files_changed))
        count += CommitRecord.objects.filter(person__isnull=True, **{field: value}).update(person=person)
        EvidenceItem.objects.bulk_create(items, ignore_conflicts=True)
    if kind in {"github", "gitlab"}:
        count += PullRequest.objects.filter(source=kind, person__isnull=True, author__iexact=value) \
            .update(person=person)
        count += CodeReview.objects.filter(source=kind, person__isnull=True, reviewer__iexact=value) \
            .update(person=person)
    count += Page.objects.filter(person__isnull=True, responder__iexact=value).update(person=person)
    count += SupportTicket.objects.filter(handled_by__isnull=True, handler__iexact=value).update(handled_by=person)
    return count


# --------------------------------------------------------------------------- written evidence (B1)

WRITTEN_KINDS: Final = (EvidenceItem.Kind.INCIDENT_DEBRIEF, EvidenceItem.Kind.DESIGN_REVIEW)
ERR_WRITTEN_KIND: Final = "You can record an incident debrief or design-review notes here; got {value!r}."
ERR_WRITTEN_REQUIRED: Final = "{field} is required."
ERR_WRITTEN_TOO_LONG: Final = "The title is at most 300 characters."
ERR_WRITTEN_URL: Final = "The link must be a web address starting with http:// or https://, e.g. https://wiki/debrief-12."
ERR_WRITTEN_FUTURE: Final = "The date {value} is in the future; record a debrief or review once it has happened."
ERR_WRITTEN_NOT_ALLOWED: Final = ("The policy does not allow collecting evidence written in Brightline, so this was "
                                  "not recorded.")
ERR_WRITTEN_DUPLICATE: Final = "You already recorded {title!r} on {day}."
ERR_WRITTEN_NO_PERSON: Final = "Only a person with a Brightline record can record evidence about their own work."


def record_written_evidence(*, actor: Person | None, kind: str, title: str, summary: str, occurred_on: Any,
                            url: str = "", service: str = "", today: Any = None) -> EvidenceItem:
    """A person records an incident debrief or design-review notes about their own work.

    The item is about the actor (never someone else), citable like any other evidence item, and
    audited. Everything is checked first; nothing is written when any field is wrong.
    """
    import datetime as dt
    import uuid

    from django.core.exceptions import ValidationError
    from django.core.validators import URLValidator

    from brightline.policy.services import get_policy

    if actor is None or not actor.is_active:
        raise EvidenceError(ERR_WRITTEN_NO_PERSON)
    if kind not in WRITTEN_KINDS:
        raise EvidenceError(ERR_WRITTEN_KIND.format(value=kind))
    title, summary, url, service = title.strip(), summary.strip(), url.strip(), service.strip()
    if not title:
        raise EvidenceError(ERR_WRITTEN_REQUIRED.format(field="A title"))
    if len(title) > 300:
        raise EvidenceError(ERR_WRITTEN_TOO_LONG)
    if not summary:
        raise EvidenceError(ERR_WRITTEN_REQUIRED.format(field="What happened and what you did"))
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise EvidenceError(ERR_WRITTEN_URL) from None
        if len(url) > 500:
            raise EvidenceError(ERR_WRITTEN_URL)
    if isinstance(occurred_on, str):
        try:
            occurred_on = dt.date.fromisoformat(occurred_on.strip())
        except ValueError:
            raise EvidenceError(ERR_WRITTEN_REQUIRED.format(field="A date (YYYY-MM-DD)")) from None
    if not isinstance(occurred_on, dt.date):
        raise EvidenceError(ERR_WRITTEN_REQUIRED.format(field="A date (YYYY-MM-DD)"))
    today = today or timezone.localdate()
    if occurred_on > today:
        raise EvidenceError(ERR_WRITTEN_FUTURE.format(value=occurred_on))
    if service and not Service.objects.filter(name=service).exists():
        raise EvidenceError(ERR_UNKNOWN_SERVICE.format(name=service))
    if "feedback" not in get_policy().allowed_sources:
        raise EvidenceError(ERR_WRITTEN_NOT_ALLOWED)
    occurred_at = timezone.make_aware(dt.datetime.combine(occurred_on, dt.time(12)), dt.UTC)
    with transaction.atomic():
        Person.objects.select_for_update().get(pk=actor.pk)
        if EvidenceItem.objects.filter(person=actor, kind=kind, title=title,
                                       occurred_at__date=occurred_on).exists():
            raise EvidenceError(ERR_WRITTEN_DUPLICATE.format(title=title, day=occurred_on))
        item = EvidenceItem.objects.create(
            kind=kind, title=title, summary=summary, url=url, occurred_at=occurred_at, person=actor,
            team=actor.team, service=service, source="brightline", source_ref=f"written:{uuid.uuid4().hex}")
        log_action("evidence.item.recorded", actor, item, {"kind": kind, "title": title, "day": str(occurred_on)})
    return item

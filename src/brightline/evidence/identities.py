"""Identity resolution: commit emails and platform handles to people, never by guessing.

A commit author or a platform handle belongs to a person when, after applying the
repository's ``.mailmap``, its case-folded email or handle is a ``people.Identity`` of that
person (the configured aliases) or the person's work email. A git *name* matches only
through an explicit ``Identity(kind="name")``. Anything else goes to the unmatched-identity
queue for a people partner; similar-looking names are never merged automatically.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from django.db.models import Q

from brightline.evidence.models import UnmatchedIdentity
from brightline.people.models import Identity, Person

_MAILMAP_LINE: Final = re.compile(
    r"^\s*(?P<name1>[^<#]*?)\s*<(?P<email1>[^>]*)>\s*(?:(?P<name2>[^<#]*?)\s*<(?P<email2>[^>]*)>)?"
)


def fold(value: str) -> str:
    """The form identities are stored and compared in: stripped and case-folded."""
    return value.strip().casefold()


@dataclass(frozen=True, slots=True)
class MailmapEntry:
    proper_name: str | None
    proper_email: str | None


@dataclass
class Mailmap:
    """git's ``.mailmap``: ``(commit email, commit name or None) -> proper name/email``.

    The four line forms of gitmailmap(5) are supported; names and emails match case-insensitively,
    and an entry with a commit name is more specific than one without.
    """

    entries: dict[tuple[str, str | None], MailmapEntry] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> Mailmap:
        mailmap = cls()
        for raw_line in text.splitlines():
            if raw_line.lstrip().startswith("#"):
                continue  # a comment line; trailing comments fall outside the pattern
            match = _MAILMAP_LINE.match(raw_line)
            if match is None:
                continue
            name1, email1 = match["name1"] or None, match["email1"]
            if match["email2"] is not None:
                key = (fold(match["email2"]), fold(match["name2"]) if match["name2"] else None)
                mailmap.entries[key] = MailmapEntry(proper_name=name1, proper_email=email1 or None)
            else:
                mailmap.entries[(fold(email1), None)] = MailmapEntry(proper_name=name1, proper_email=None)
        return mailmap

    def canonical(self, name: str, email: str) -> tuple[str, str]:
        entry = self.entries.get((fold(email), fold(name))) or self.entries.get((fold(email), None))
        if entry is None:
            return name, email
        return entry.proper_name or name, entry.proper_email or email


def read_mailmap(repository: str | Path, revision: str) -> Mailmap:
    """The ``.mailmap`` committed at ``revision`` (works for bare repositories); empty when absent."""
    result = subprocess.run(["git", "-C", str(repository), "show", f"{revision}:.mailmap"],
                            capture_output=True, check=False)
    if result.returncode != 0:
        return Mailmap()
    return Mailmap.parse(result.stdout.decode("utf-8", "replace"))


class IdentityResolver:
    """Resolves authors and handles to person ids with one query up front, then from memory.

    Unresolved identities accumulate in :attr:`unmatched` until :meth:`queue_unmatched`
    writes them (inside the caller's batch transaction).
    """

    def __init__(self, *, source: str, mailmap: Mailmap | None = None):
        self.source = source
        self.mailmap = mailmap or Mailmap()
        self.known: dict[tuple[str, str], int] = {}
        for person_id, email in Person.objects.values_list("id", "email"):
            self.known[("email", fold(email))] = person_id
        # Configured aliases win over work emails: they were set deliberately.
        for kind, value, person_id in Identity.objects.values_list("kind", "value", "person_id"):
            self.known[(kind, fold(value))] = person_id
        self.unmatched: dict[tuple[str, str], str] = {}
        self._authors: dict[tuple[str, str], int | None] = {}

    def resolve_author(self, name: str, email: str) -> int | None:
        """A git author or committer: mailmap first, then email, then an explicit name alias."""
        key = (name, email)
        if key in self._authors:
            return self._authors[key]
        proper_name, proper_email = self.mailmap.canonical(name, email)
        person_id = (self.known.get(("email", fold(proper_email))) if proper_email else None) \
            or (self.known.get(("email", fold(email))) if email else None) \
            or self.known.get(("name", fold(proper_name)))
        if person_id is None:
            if proper_email.strip():
                self.unmatched.setdefault(("email", fold(proper_email)), proper_name)
            elif proper_name.strip():
                self.unmatched.setdefault(("name", fold(proper_name)), proper_name)
        self._authors[key] = person_id
        return person_id

    def resolve_handle(self, kind: str, handle: str, display_name: str = "") -> int | None:
        """A platform handle (``github``/``gitlab``) or an email named by an event source."""
        if not handle or not handle.strip():
            return None
        person_id = self.known.get((kind, fold(handle)))
        if person_id is None and kind != "email" and "@" in handle:
            person_id = self.known.get(("email", fold(handle)))
        if person_id is None:
            self.unmatched.setdefault((kind, fold(handle)), display_name or handle)
        return person_id

    def queue_unmatched(self) -> int:
        """Write the identities seen but not matched to the queue; returns how many were new."""
        if not self.unmatched:
            return 0
        keys = list(self.unmatched)
        already = set(
            UnmatchedIdentity.objects.filter(_keys_query(keys)).values_list("kind", "value")
        ) if len(keys) <= 500 else set(UnmatchedIdentity.objects.values_list("kind", "value"))
        fresh = [UnmatchedIdentity(kind=kind, value=value[:300], display_name=self.unmatched[(kind, value)][:300],
                                   source=self.source)
                 for kind, value in keys if (kind, value) not in already]
        UnmatchedIdentity.objects.bulk_create(fresh, ignore_conflicts=True)
        self.unmatched.clear()
        return len(fresh)


def _keys_query(keys: Iterable[tuple[str, str]]) -> Q:
    query = Q(pk__in=[])
    for kind, value in keys:
        query |= Q(kind=kind, value=value)
    return query

"""Reading and refreshing rollups.

A page asks ``read(kind, keys)``: stored values come back with the time they were computed (the page's
"as of"); a key never computed yet is computed and stored on the spot, unless its kind is slow and the
organisation large: then ``read`` raises ``Pending`` and the page says the figures are being computed
(``rollups.middleware``) while the refresh job computes them in the background (``queue_missing``). A stale value
is shown, with its age, until the refresh job replaces it. ``refresh`` recomputes the stale rollups (or all of
them), one key at a time, each in its own transaction.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from brightline.rollups import codec
from brightline.rollups.models import Rollup
from brightline.rollups.registry import Source, sources

ERR_UNKNOWN_KIND = "no rollup called {kind!r}; known rollups: {known}"


class UnknownRollup(LookupError):
    pass


class Pending(Exception):
    """Figures a page needs are not stored yet and are too slow to compute while it waits: ``keys`` of ``kind``."""

    def __init__(self, kind: str, keys: Sequence[str]):
        super().__init__(f"{kind}: {len(keys)} key{'s' if len(keys) != 1 else ''} not computed yet")
        self.kind, self.keys = kind, list(keys)


@dataclass(frozen=True)
class Fresh:
    """A rollup's value and when it was computed."""

    value: Any
    as_of: dt.datetime
    stale: bool = False


@dataclass
class RefreshReport:
    computed: int = 0
    removed: int = 0
    seconds: float = 0.0
    by_kind: dict[str, int] | None = None

    def to_json(self) -> dict[str, Any]:
        return {"computed": self.computed, "removed": self.removed, "seconds": round(self.seconds, 3),
                "by_kind": self.by_kind or {}}


def source(kind: str) -> Source:
    known = sources()
    if kind not in known:
        raise UnknownRollup(ERR_UNKNOWN_KIND.format(kind=kind, known=", ".join(sorted(known))))
    return known[kind]


def _save(kind: str, key: str, value: Any, seconds: float) -> Fresh:
    text, now = codec.dumps(value), timezone.now()
    try:
        with transaction.atomic():
            Rollup.objects.update_or_create(kind=kind, key=key, defaults={
                "value": text, "computed_at": now, "seconds": seconds, "stale": False})
    except IntegrityError:  # another process stored the same key first: its value is as good
        pass
    return Fresh(codec.loads(text), now)


CHUNK = 200  # keys computed together by a source that can compute many at once


def _store(kind: str, keys: Sequence[str]) -> dict[str, Fresh]:
    """Compute and store ``keys`` of ``kind`` (in chunks when the source computes many at once)."""
    item = source(kind)
    stored: dict[str, Fresh] = {}
    if item.compute_many is not None and len(keys) > 1:
        for first in range(0, len(keys), CHUNK):
            chunk = list(keys[first:first + CHUNK])
            started = time.perf_counter()
            values = item.compute_many(chunk)
            seconds = (time.perf_counter() - started) / len(chunk)
            stored.update({key: _save(kind, key, values[key], seconds) for key in chunk})
        return stored
    for key in keys:
        started = time.perf_counter()
        value = item.compute(key)
        stored[key] = _save(kind, key, value, time.perf_counter() - started)
    return stored


# Decoded values this process has read, by (kind, key, computed_at): a stored value never changes without a
# new computed_at, so a page reads only the rollups' dates and decodes nothing it has decoded before.
_DECODED: OrderedDict[tuple[str, str, dt.datetime], Any] = OrderedDict()
_DECODED_MAX = 4096  # a 10,000-person organisation has about 350 teams with services


def _decoded(kind: str, key: str, computed_at: dt.datetime, text: str | None = None) -> Any:
    marker = (kind, key, computed_at)
    if marker in _DECODED:
        _DECODED.move_to_end(marker)
        return _DECODED[marker]
    if text is None:
        return _MISSING
    value = _DECODED[marker] = codec.loads(text)
    while len(_DECODED) > _DECODED_MAX:
        _DECODED.popitem(last=False)
    return value


_MISSING = object()


def read(kind: str, keys: Sequence[str]) -> dict[str, Fresh]:
    """The values of ``keys`` (one query for their dates, one more for values this process has not decoded
    yet); missing keys are computed and stored now."""
    stored: dict[str, Fresh] = {}
    undecoded: list[int] = []
    for pk, key, computed_at, stale in Rollup.objects.filter(kind=kind, key__in=list(keys)).values_list(
            "pk", "key", "computed_at", "stale"):
        value = _decoded(kind, key, computed_at)
        if value is _MISSING:
            undecoded.append(pk)
        else:
            stored[key] = Fresh(value, computed_at, stale)
    if undecoded:
        for row in Rollup.objects.filter(pk__in=undecoded):
            try:
                value = _decoded(kind, row.key, row.computed_at, row.value)
            except (ValueError, TypeError, AttributeError, ImportError):
                continue  # written by an earlier version of the code: computed again below
            stored[row.key] = Fresh(value, row.computed_at, row.stale)
    missing = [key for key in keys if key not in stored]
    if missing:
        if source(kind).slow and not _small_organisation():
            raise Pending(kind, missing)
        stored.update(_store(kind, missing))
    return stored


def _small_organisation() -> bool:
    """Few enough people that a slow rollup computes in a second or two (one query, asked only for a missing
    slow key)."""
    from brightline.people.models import Person

    limit = settings.BRIGHTLINE_ROLLUPS_IN_REQUEST_PEOPLE
    return Person.objects.filter(is_active=True)[:limit + 1].count() <= limit


JOB = "rollups.refresh"
# A computation queued this long ago and not finished is presumed lost (its process stopped): it is queued again.
IN_FLIGHT_FOR = dt.timedelta(hours=1)
# After a failed computation, a page waits this long before queuing another (the error is on the job's run).
RETRY_AFTER_FAILURE = dt.timedelta(minutes=10)


def queue_missing(kind: str, keys: Sequence[str]) -> Any:
    """Queue, in the background, the computation of every rollup not stored yet (``keys`` of ``kind`` first: what
    a page is waiting for), unless such a computation is already queued or running, or has just failed; returns
    that job's run (a ``JobRun``). Every request that finds figures missing calls this: the organisation gets one
    computation, not one per request."""
    from brightline.jobs.models import JobRun
    from brightline.jobs.services import enqueue

    now = timezone.now()
    earlier = (JobRun.objects.filter(name=JOB, arguments__missing=True)
               .filter(Q(status__in=[JobRun.Status.QUEUED, JobRun.Status.RUNNING], created_at__gte=now - IN_FLIGHT_FOR)
                       | Q(status=JobRun.Status.FAILED, finished_at__gte=now - RETRY_AFTER_FAILURE))
               .order_by("-created_at").first())
    if earlier is not None:
        return earlier
    return enqueue(JOB, background=True, missing=True, kinds=[kind], keys=sorted(keys))


def read_stored(kind: str, keys: Sequence[str]) -> dict[str, Fresh]:
    """The stored values of ``keys`` in one query, computing none: a key the refresh job has not stored yet, or
    whose stored value an earlier version of the code wrote, is left out (for a page that may say nothing)."""
    stored: dict[str, Fresh] = {}
    for key, computed_at, stale, text in Rollup.objects.filter(kind=kind, key__in=list(keys)).values_list(
            "key", "computed_at", "stale", "value"):
        try:
            value = _decoded(kind, key, computed_at, text)
        except (ValueError, TypeError, AttributeError, ImportError):
            continue
        stored[key] = Fresh(value, computed_at, stale)
    return stored


def read_one(kind: str, key: str) -> Fresh:
    return read(kind, [key])[key]


def read_all(kind: str) -> dict[str, Fresh]:
    """Every stored value of ``kind`` (one query; nothing is computed; each value decoded once per process)."""
    return {row.key: Fresh(_decoded(kind, row.key, row.computed_at, row.value), row.computed_at, row.stale)
            for row in Rollup.objects.filter(kind=kind)}


def version(kind: str) -> tuple[int, dt.datetime | None, int]:
    """What changes whenever a stored value of ``kind`` is written, removed or marked stale (one query): how many
    there are, the newest ``computed_at``, how many are stale."""
    found = Rollup.objects.filter(kind=kind).aggregate(n=Count("pk"), newest=Max("computed_at"),
                                                        stale=Count("pk", filter=Q(stale=True)))
    return found["n"], found["newest"], found["stale"]


# Figures a page derives from many rollups (every team's delivery, say), by what they were derived from: a
# process derives them once per version of their inputs, not once per request.
_DERIVED: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_DERIVED_MAX = 64


def derived(marker: tuple[Any, ...], derive: Callable[[], Any]) -> Any:
    """``derive()``, remembered under ``marker`` (a name and the versions of every input, see ``version``)."""
    value = _DERIVED.get(marker, _MISSING)
    if value is _MISSING:
        value = _DERIVED[marker] = derive()
        while len(_DERIVED) > _DERIVED_MAX:
            with contextlib.suppress(KeyError):  # another thread removed it first
                _DERIVED.popitem(last=False)
    return value


def oldest(fresh: Iterable[Fresh]) -> dt.datetime | None:
    """The time the oldest of these numbers was computed: what a page's "as of" says."""
    return min((item.as_of for item in fresh), default=None)


def mark_stale(kinds: Iterable[str]) -> int:
    """Mark every stored rollup of ``kinds`` stale; returns how many were current before."""
    return Rollup.objects.filter(kind__in=list(kinds), stale=False).update(stale=True)


def refresh(*, everything: bool = False, kinds: Sequence[str] | None = None, missing: bool = False,
            keys: Sequence[str] | None = None, progress: Callable[[int, int], None] | None = None) -> RefreshReport:
    """Recompute rollups: the stale ones by default; with ``everything``, every key each kind declares now
    (stored keys it no longer declares, such as a removed team, are deleted). With ``missing``, compute what is not
    stored yet instead: ``keys`` of ``kinds`` first (what a page waits for), then every key of every kind that
    is declared and not stored. ``progress(done, total)``."""
    if missing:
        return _refresh_missing(kinds or [], keys or [], progress)
    started = time.perf_counter()
    chosen = [source(kind) for kind in kinds] if kinds else list(sources().values())
    work: list[tuple[str, str]] = []
    removed = 0
    for item in chosen:
        if everything:
            declared = [str(key) for key in item.every_key()]
            removed += Rollup.objects.filter(kind=item.kind).exclude(key__in=declared).delete()[0]
            work += [(item.kind, key) for key in declared]
        else:
            work += [(item.kind, key) for key in
                     Rollup.objects.filter(kind=item.kind, stale=True).values_list("key", flat=True)]
    return _compute(work, removed, started, progress)


def _refresh_missing(kinds: Sequence[str], keys: Sequence[str],
                     progress: Callable[[int, int], None] | None) -> RefreshReport:
    started = time.perf_counter()
    wanted = [(kind, str(key)) for kind in kinds for key in keys]
    for item in sources().values():
        wanted += [(item.kind, str(key)) for key in item.every_key()]
    stored = set(Rollup.objects.values_list("kind", "key"))
    return _compute([pair for pair in dict.fromkeys(wanted) if pair not in stored], 0, started, progress)


def _compute(work: list[tuple[str, str]], removed: int, started: float,
             progress: Callable[[int, int], None] | None) -> RefreshReport:
    by_kind: dict[str, int] = {}
    done = 0
    for kind in dict.fromkeys(kind for kind, _ in work):
        keys = [key for each, key in work if each == kind]
        for first in range(0, len(keys), CHUNK):
            chunk = keys[first:first + CHUNK]
            _store(kind, chunk)
            done += len(chunk)
            by_kind[kind] = by_kind.get(kind, 0) + len(chunk)
            if progress is not None:
                progress(done, len(work))
    return RefreshReport(len(work), removed, time.perf_counter() - started, by_kind)


def last_refreshed() -> dt.datetime | None:
    row = Rollup.objects.order_by("-computed_at").values_list("computed_at", flat=True).first()
    return row

"""What a ``git revert`` says about production: a failed deployment, rework, or nothing yet.

Pure decision logic over the commit graph's release mapping; no git, no database. The rules
(documented in ``docs/metrics/delivery.md``):

* A revert tells us something about production only once it is deployed: a revert that no
  production deployment contains yet is ``pending`` (no failure yet).
* The *fix deployment* is the first production deployment that contains the revert; the *target
  deployment* is the first one that contains the reverted commit.
* The target deployment **failed** only when it went live before the fix deployment: the bad
  change reached production and the fix deployment repaired it. Recovery time runs from the
  failed deployment to the fix deployment.
* When the reverted commit first shipped in the fix deployment itself (the change was reverted
  before it ever reached production), or only after it, the revert is **rework** inside that
  release: the fix deployment counts as rework, no deployment fails.
* A revert that is itself undone by another revert shipped in the same deployment never reached
  production as a removal: rework, not a failure.
* Reverting a revert re-applies the original change (``reapply``): it repairs nothing, so it marks
  no failure and is not rework. Reverting that re-application removes the change again and
  follows the rules above (the parity of the chain of reverts decides).
* A revert of a commit that no deployment contains (not in this history) is ``unmatched``.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Generic, Literal, TypeVar

from brightline.core.delivery.gitlog import _REVERT_BODY

__all__ = ["RevertDecision", "RevertOutcome", "classify_reverts", "go_live_ranks", "resolve_sha", "reverted_sha_in"]

D = TypeVar("D", bound=Hashable)
RevertOutcome = Literal["failure", "rework", "reapply", "pending", "unmatched"]

_MAX_CHAIN: Final = 64  # a chain of reverts of reverts longer than this is treated as a plain revert


@dataclass(frozen=True, slots=True)
class RevertDecision(Generic[D]):
    """The outcome of one revert.

    ``failed_deployment``: for ``failure``, the deployment that first shipped the reverted change;
    for ``rework``, the fix deployment itself (the release that reworked its own change); else None.
    ``fix_deployment``: the first deployment containing the revert (None while ``pending``).
    """

    sha: str
    reverted_sha: str
    outcome: RevertOutcome
    failed_deployment: D | None
    fix_deployment: D | None


def go_live_ranks(times: Mapping[D, datetime]) -> dict[D, int]:
    """Dense rank of each deployment by the moment it went live: 0 for the earliest, equal times
    equal ranks (the metrics compare go-live times strictly, so this keeps both in step)."""
    distinct = {moment: index for index, moment in enumerate(sorted(set(times.values())))}
    return {deployment: distinct[moment] for deployment, moment in times.items()}


def reverted_sha_in(message: str) -> str | None:
    """The sha named by ``This reverts commit <sha>`` in a commit message (lower case), else None;
    the same rule the commit parser applies."""
    found = _REVERT_BODY.search(message)
    return found.group("sha").lower() if found else None


def resolve_sha(sha: str, candidates: Sequence[str]) -> str | None:
    """The full sha that ``sha`` (full or abbreviated) names among the sorted ``candidates``;
    None when none or more than one match."""
    index = bisect_left(candidates, sha)
    if index == len(candidates) or not candidates[index].startswith(sha):
        return None
    if len(candidates[index]) != len(sha) and index + 1 < len(candidates) and candidates[index + 1].startswith(sha):
        return None  # ambiguous abbreviation
    return candidates[index]


def classify_reverts(
    reverts: Iterable[tuple[str, str]],
    first_release: Mapping[str, D],
    rank: Mapping[D, int],
) -> list[RevertDecision[D]]:
    """Decide every revert ``(revert sha, reverted sha)``.

    ``first_release`` maps each released commit (full sha) to the first production deployment
    that contains it; ``rank`` gives each deployment's position in go-live order (earlier is
    smaller; deployments that went live at the same moment share a rank, see :func:`go_live_ranks`,
    so neither counts as earlier than the other). Reverted shas may be abbreviated. Decisions come
    back in the order of ``reverts``.
    """
    pairs = [(sha, reverted.lower()) for sha, reverted in reverts if reverted]
    sorted_released = sorted(first_release)
    revert_shas = sorted(sha for sha, _ in pairs)

    def full(sha: str) -> str | None:
        if sha in first_release:
            return sha
        return resolve_sha(sha, sorted_released) or resolve_sha(sha, revert_shas)

    target_of: dict[str, str | None] = {sha: full(reverted) for sha, reverted in pairs}
    undone_by: dict[str, list[str]] = {}
    for sha, target in target_of.items():
        if target is not None:
            undone_by.setdefault(target, []).append(sha)

    def depth(sha: str) -> int:
        """1 for a revert of an ordinary commit, 2 for a revert of that revert, …"""
        steps, current = 1, target_of.get(sha)
        while current is not None and current in target_of and steps < _MAX_CHAIN:
            steps += 1
            current = target_of[current]
        return steps

    def rank_of(deployment: D | None) -> int | None:
        return None if deployment is None else rank[deployment]

    decisions: list[RevertDecision[D]] = []
    for sha, reverted in pairs:
        fix = first_release.get(sha)
        target = target_of[sha]
        shipped = first_release.get(target) if target is not None else None
        outcome: RevertOutcome
        failed: D | None = None
        if fix is None:
            outcome = "pending"
        elif shipped is None:
            outcome = "unmatched"
        elif rank[shipped] >= rank[fix]:
            outcome, failed = "rework", fix
        elif depth(sha) % 2 == 0:
            outcome = "reapply"
        elif any(rank_of(first_release.get(other)) == rank[fix] for other in undone_by.get(sha, ())):
            outcome, failed = "rework", fix
        else:
            outcome, failed = "failure", shipped
        decisions.append(RevertDecision(sha=sha, reverted_sha=reverted, outcome=outcome, failed_deployment=failed,
                                        fix_deployment=fix))
    return decisions

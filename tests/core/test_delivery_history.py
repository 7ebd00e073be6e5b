"""The commit-graph walk a repository sync makes: which commits are new, and which release shipped each.

The pure functions are checked on hand-drawn graphs; on a real repository built with git (the fixture of
``test_delivery_gitlog``) every answer is checked against git itself: ``rev-list --count``, ``tag
--contains``, ``merge-base --is-ancestor``, the per-tag ``rev-list`` of :func:`iter_release_contents`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.core.test_delivery_gitlog import Fixture, commit_file, git, history  # noqa: F401 -- the fixture

from brightline.core.delivery import (
    REVISION_NOT_FOUND,
    GitRepositoryError,
    ReleaseTag,
    count_new,
    existing_commits,
    first_release_of,
    is_ancestor,
    iter_release_contents,
    list_release_tags,
    parse_parents,
    resolve_revision,
    reverts_off_head,
    start_history_walk,
)

# a - b - c - m - e       (m merges d into c)
#      \     /
#       d ---
GRAPH = parse_parents("e m\nm c d\nc b\nd b\nb a\na\n")


def tag(name: str, sha: str, day: int) -> ReleaseTag:
    return ReleaseTag(name=name, commit_sha=sha, created_at=datetime(2024, 1, day, tzinfo=UTC), kind="lightweight")


def test_parents_are_read_as_git_prints_them() -> None:
    assert GRAPH == {"e": "m", "m": "c d", "c": "b", "d": "b", "b": "a", "a": ""}


def test_new_commits_are_those_the_head_reaches_and_the_cursor_does_not() -> None:
    assert count_new(GRAPH, "e", []) == 6
    assert count_new(GRAPH, "e", ["c"]) == 3  # e, m, d
    assert count_new(GRAPH, "e", ["d", "c"]) == 2
    assert count_new(GRAPH, "e", ["e"]) == 0


def test_each_commit_belongs_to_the_earliest_release_whose_history_holds_it() -> None:
    releases = [tag("v2", "e", 9), tag("v1", "c", 3), tag("hotfix", "d", 5), tag("v1-again", "c", 7)]
    first = first_release_of(GRAPH, releases, lambda release: release.name)
    assert first == {"a": "v1", "b": "v1", "c": "v1", "d": "hotfix", "m": "v2", "e": "v2"}
    # A tie in time is broken by name, as iter_release_contents does.
    tied = first_release_of(GRAPH, [tag("b-tag", "c", 3), tag("a-tag", "d", 3)], lambda release: release.name)
    assert tied["b"] == "a-tag" and tied["c"] == "b-tag"


def test_the_walk_agrees_with_git_on_a_real_repository(history: Fixture) -> None:  # noqa: F811
    tags = list_release_tags(history.repo)
    head = resolve_revision(history.repo, "HEAD")
    parents = parse_parents(start_history_walk(history.repo, [head, *(t.commit_sha for t in tags)]).result())
    assert set(parents) == set(git(history.repo, "rev-list", head, *(t.commit_sha for t in tags)).split())
    expected = {sha: t.name for t, sha in iter_release_contents(history.repo, tags)}
    assert first_release_of(parents, tags, lambda release: release.name) == expected
    assert count_new(parents, head, [history.second]) == int(
        git(history.repo, "rev-list", "--count", head, f"^{history.second}"))
    assert is_ancestor(history.repo, history.first, head)
    assert not is_ancestor(history.repo, head, history.first)


def test_revisions_and_shas_are_resolved_or_refused(history: Fixture) -> None:  # noqa: F811
    assert resolve_revision(history.repo, "HEAD") == git(history.repo, "rev-parse", "HEAD")
    with pytest.raises(GitRepositoryError) as error:
        resolve_revision(history.repo, "no-such-branch")
    assert str(error.value) == REVISION_NOT_FOUND.format(revision="no-such-branch", path=history.repo)
    short = history.second[:10]
    assert existing_commits(history.repo, [short, "0" * 40]) == {short: history.second}
    assert existing_commits(history.repo, []) == {}


def test_a_revert_only_a_maintenance_branch_reaches_is_found(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    base = commit_file(tmp_path, "a.txt", "a\n", "base", "2024-01-01T00:00:00+00:00")
    git(tmp_path, "checkout", "-q", "-b", "maint")
    commit_file(tmp_path, "b.txt", "b\n", "feature", "2024-01-02T00:00:00+00:00")
    feature = git(tmp_path, "rev-parse", "HEAD")
    git(tmp_path, "revert", "--no-edit", feature, date="2024-01-03T00:00:00+00:00")
    fix = git(tmp_path, "rev-parse", "HEAD")
    git(tmp_path, "checkout", "-q", "main")
    assert reverts_off_head(tmp_path, base, [fix]) == [
        (fix, feature, datetime(2024, 1, 3, tzinfo=UTC))]
    assert reverts_off_head(tmp_path, fix, [fix]) == []  # the head's own reverts are stored commits

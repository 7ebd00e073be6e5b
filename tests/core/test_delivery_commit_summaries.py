"""``iter_commit_summaries``: the commits of ``iter_commits`` with per-commit totals, read from the
same real repositories (the ``history`` fixture of ``test_delivery_gitlog``) and checked against
``iter_commits`` and against ``git log --numstat`` run independently.
"""

from __future__ import annotations

import itertools
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.core.test_delivery_gitlog import Fixture, history, numstat_by_sha

from brightline.core.delivery import REVISION_NOT_FOUND, GitRepositoryError, iter_commit_summaries, iter_commits

__all__ = ["history"]  # the shared repository fixture, used by name below

ROOT = Path(__file__).resolve().parents[2]


def test_every_commit_agrees_with_iter_commits(history: Fixture) -> None:
    commits = list(iter_commits(history.repo))
    summaries = list(iter_commit_summaries(history.repo))
    assert [s.sha for s in summaries] == [c.sha for c in commits]
    for commit, summary in zip(commits, summaries, strict=True):
        assert (summary.parents, summary.author_name, summary.author_email, summary.authored_at,
                summary.committer_name, summary.committer_email, summary.committed_at) == \
            (commit.parents, commit.author_name, commit.author_email, commit.authored_at,
             commit.committer_name, commit.committer_email, commit.committed_at)
        assert summary.subject == commit.subject
        assert (summary.lines_added, summary.lines_deleted, summary.files_changed) == \
            (commit.lines_added, commit.lines_deleted, len(commit.files))
        assert (summary.reverted_sha, summary.is_revert, summary.is_merge) == \
            (commit.reverted_sha, commit.is_revert, commit.is_merge)


def test_totals_match_git_log_numstat(history: Fixture) -> None:
    expected = numstat_by_sha(history.repo, "HEAD")
    assert {s.sha: (s.lines_added, s.lines_deleted, s.files_changed)
            for s in iter_commit_summaries(history.repo)} == expected


def test_renames_binaries_submodules_and_reverts_are_summarised(history: Fixture) -> None:
    by_sha = {s.sha: s for s in iter_commit_summaries(history.repo)}
    assert by_sha[history.renamed].files_changed == 1
    assert by_sha[history.merge].is_merge and by_sha[history.merge].files_changed == 0
    assert by_sha[history.submodule].files_changed == 2  # .gitmodules and the gitlink
    assert by_sha[history.revert].is_revert and by_sha[history.revert].reverted_sha == history.reverted
    assert by_sha[history.raw_bytes].subject == "Raw caf\ufffd bytes"


def test_exclude_since_and_errors_are_those_of_iter_commits(history: Fixture) -> None:
    seen = history.merge
    assert [s.sha for s in iter_commit_summaries(history.repo, exclude=[seen])] == \
        [c.sha for c in iter_commits(history.repo, exclude=[seen])]
    since = datetime(2024, 1, 8, tzinfo=UTC)
    assert [s.sha for s in iter_commit_summaries(history.repo, since=since)] == \
        [c.sha for c in iter_commits(history.repo, since=since)]
    with pytest.raises(GitRepositoryError) as error:
        list(iter_commit_summaries(history.repo, revision="no-such-branch"))
    assert str(error.value) == REVISION_NOT_FOUND.format(revision="no-such-branch", path=history.repo)


def test_stopping_early_in_a_long_history_stops_git_and_its_reader(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from bench_git_parse import generate_repository
    finally:
        sys.path.pop(0)
    repo = tmp_path / "long.git"
    generate_repository(repo, 6000)  # several MiB of output: more than one read ahead of the parser
    summaries = iter_commit_summaries(repo)
    assert len(list(itertools.islice(summaries, 5))) == 5
    summaries.close()
    assert not [thread for thread in threading.enumerate() if thread.name == "git-output-reader"]

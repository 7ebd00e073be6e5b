"""``iter_commit_summaries``: the commits of ``iter_commits`` with per-commit totals, read from the
same real repositories (the ``history`` fixture of ``test_delivery_gitlog``) and checked against
``iter_commits`` and against ``git log --numstat`` run independently.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.core.test_delivery_gitlog import Fixture, history, numstat_by_sha

from brightline.core.delivery import REVISION_NOT_FOUND, GitRepositoryError, iter_commit_summaries, iter_commits

__all__ = ["history"]  # the shared repository fixture, used by name below

GIT_ENV = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


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
    repo = tmp_path / "long.git"
    subprocess.run(["git", "init", "-q", "--bare", str(repo)], check=True, env=GIT_ENV)
    body = b"A long message line.\n" * 150  # 3 KB a commit: 6 MB of log, several reads ahead of the parser
    stream = b"".join(
        b"commit refs/heads/main\ncommitter Ada <ada@example.org> %d +0000\ndata %d\nChange %d\n\n%s\n"
        % (1_700_000_000 + number, len(body) + len(b"Change %d\n\n" % number), number, body)
        for number in range(2000)
    )
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=stream, check=True, env=GIT_ENV)
    subprocess.run(["git", "-C", str(repo), "symbolic-ref", "HEAD", "refs/heads/main"], check=True, env=GIT_ENV)
    summaries = iter_commit_summaries(repo)
    assert [summary.subject for summary in itertools.islice(summaries, 2)] == ["Change 1999", "Change 1998"]
    summaries.close()
    assert not [thread for thread in threading.enumerate() if thread.name == "git-output-reader"]

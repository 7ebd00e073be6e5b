"""Mining real git repositories built with the git CLI in a temporary directory.

Every number is checked against git itself (``git log --numstat``, ``git tag --contains``),
computed independently inside the test.
"""

from __future__ import annotations

import itertools
import os
import re
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from brightline.core.delivery import (
    DEFAULT_RELEASE_TAG_PATTERN,
    EMPTY_REPOSITORY,
    NOT_A_GIT_REPOSITORY,
    REVISION_NOT_FOUND,
    SHALLOW_REPOSITORY,
    GitRepositoryError,
    inspect_repository,
    iter_commits,
    list_release_tags,
    map_first_release,
)


def git(repo: Path, *args: str, date: str | None = None, input: bytes | None = None) -> str:
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Ada Lovelace",
        "GIT_AUTHOR_EMAIL": "ada@example.org",
        "GIT_COMMITTER_NAME": "Grace Hopper",
        "GIT_COMMITTER_EMAIL": "grace@example.org",
    }
    if date is not None:
        env["GIT_AUTHOR_DATE"] = date
        env["GIT_COMMITTER_DATE"] = date
    result = subprocess.run(
        ["git", "-c", "protocol.file.allow=always", *args],
        cwd=repo,
        env=env,
        input=input,
        capture_output=True,
        check=True,
    )
    return result.stdout.decode("utf-8", "replace").strip()


def commit_file(repo: Path, name: str, content: bytes | str, message: str, date: str) -> str:
    path = repo / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content)
    else:
        path.write_bytes(content)
    git(repo, "add", name)
    git(repo, "commit", "-q", "-m", message, date=date)
    return git(repo, "rev-parse", "HEAD")


@dataclass
class Fixture:
    repo: Path
    first: str
    second: str
    renamed: str
    merge: str
    maintenance_fix: str
    reverted: str
    revert: str
    latin1: str
    raw_bytes: str
    submodule: str


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    root = tmp_path_factory.mktemp("git")
    library = root / "library"
    library.mkdir()
    git(library, "init", "-q", "-b", "main")
    commit_file(library, "lib.txt", "library\n", "library", "2024-01-01T00:00:00+00:00")

    repo = root / "service"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "logo.bin").write_bytes(bytes(range(256)) * 8)
    first = commit_file(repo, "README.md", "one\ntwo\nthree\n", "Initial commit", "2024-01-01T10:00:00+02:00")
    git(repo, "add", "logo.bin")
    git(repo, "commit", "-q", "--amend", "--no-edit", date="2024-01-01T10:00:00+02:00")
    first = git(repo, "rev-parse", "HEAD")
    git(repo, "tag", "v1.0")  # lightweight

    git(repo, "branch", "maint/1.0")
    (repo / "src").mkdir()
    (repo / "src" / "app.py").write_text("".join(f"line {i}\n" for i in range(40)))
    second = commit_file(repo, "README.md", "one\n2\nthree\nfour\n", "Add app", "2024-01-02T09:00:00-05:00")
    git(repo, "add", "src/app.py")
    git(repo, "commit", "-q", "--amend", "--no-edit", date="2024-01-02T09:00:00-05:00")
    second = git(repo, "rev-parse", "HEAD")

    git(repo, "checkout", "-q", "-b", "feature")
    git(repo, "mv", "src/app.py", "src/main.py")
    (repo / "src" / "main.py").write_text("".join(f"line {i}\n" for i in range(40)) + "extra\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Rename app to main", date="2024-01-03T12:00:00+00:00")
    renamed = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "main")
    commit_file(repo, "NOTES.md", "notes\n", "Notes", "2024-01-03T13:00:00+00:00")
    git(repo, "merge", "-q", "--no-ff", "-m", "Merge feature", "feature", date="2024-01-04T08:00:00+01:00")
    merge = git(repo, "rev-parse", "HEAD")
    git(repo, "tag", "-a", "v1.1", "-m", "Release 1.1", date="2024-01-05T16:30:00+01:00")

    git(repo, "checkout", "-q", "maint/1.0")
    maintenance_fix = commit_file(repo, "README.md", "one\ntwo\nthree\nfixed\n", "Fix", "2024-01-06T10:00:00+00:00")
    git(repo, "tag", "-a", "v1.0.1", "-m", "Patch", date="2024-01-06T11:00:00+00:00")
    git(repo, "checkout", "-q", "main")

    reverted = commit_file(repo, "NOTES.md", "notes\nbad idea\n", "Risky change", "2024-01-07T10:00:00+00:00")
    git(repo, "revert", "--no-edit", "HEAD", date="2024-01-07T11:00:00+00:00")
    revert = git(repo, "rev-parse", "HEAD")

    message = root / "message.txt"
    message.write_bytes(b"Fix caf\xe9 cr\xe8me handling\n\nLatin-1 body \xfc\n")
    (repo / "menu.txt").write_text("menu\n")
    git(repo, "add", "menu.txt")
    git(repo, "commit", "-q", "-F", str(message), date="2024-01-08T10:00:00+00:00")
    latin1 = git(repo, "rev-parse", "HEAD")
    # `git commit` repairs non-UTF-8 messages (it assumes Latin-1); to store truly raw bytes
    # we write the commit object ourselves.
    tree = git(repo, "rev-parse", "HEAD^{tree}")
    raw_object = (
        f"tree {tree}\nparent {latin1}\n"
        "author Ada Lovelace <ada@example.org> 1704711600 +0000\n"
        "committer Grace Hopper <grace@example.org> 1704711600 +0000\n\n"
    ).encode() + b"Raw caf\xe9 bytes\n"
    raw_bytes = git(repo, "hash-object", "-t", "commit", "-w", "--stdin", input=raw_object)
    git(repo, "update-ref", "refs/heads/main", raw_bytes)
    git(repo, "tag", "2.0.0rc1")

    git(repo, "submodule", "--quiet", "add", str(library), "vendor/library")
    git(repo, "commit", "-q", "-m", "Add library submodule", date="2024-01-09T10:00:00+00:00")
    submodule = git(repo, "rev-parse", "HEAD")
    (repo / "big.bin").write_bytes(os.urandom(2_000_000))
    git(repo, "add", "big.bin")
    git(repo, "commit", "-q", "-m", "Huge binary", date="2024-01-09T11:00:00+00:00")
    git(repo, "tag", "v2.0.0", date="2024-01-10T00:00:00+00:00")
    return Fixture(repo, first, second, renamed, merge, maintenance_fix, reverted, revert, latin1, raw_bytes, submodule)


def numstat_by_sha(repo: Path, *revisions: str) -> dict[str, tuple[int, int, int]]:
    """Independent reading of `git log --numstat`: sha -> (added, deleted, files)."""
    out = git(repo, "log", "--numstat", "--format=@%H", *revisions)
    totals: dict[str, tuple[int, int, int]] = {}
    sha = ""
    for line in out.splitlines():
        if line.startswith("@"):
            sha = line[1:]
            totals[sha] = (0, 0, 0)
        elif line.strip():
            added, deleted, _ = line.split("\t", 2)
            a, d, f = totals[sha]
            totals[sha] = (a + (0 if added == "-" else int(added)), d + (0 if deleted == "-" else int(deleted)), f + 1)
    return totals


def test_line_counts_match_git_log_numstat_for_every_commit(history: Fixture) -> None:
    expected = numstat_by_sha(history.repo, "HEAD")
    commits = list(iter_commits(history.repo))
    mined = {c.sha: (c.lines_added, c.lines_deleted, len(c.files)) for c in commits}
    assert mined == expected
    assert len(commits) == int(git(history.repo, "rev-list", "--count", "HEAD"))
    assert sum(c.lines_added for c in commits) == sum(v[0] for v in expected.values())
    assert sum(c.lines_deleted for c in commits) == sum(v[1] for v in expected.values())


def test_it_keeps_each_persons_utc_offset(history: Fixture) -> None:
    commits = {c.sha: c for c in iter_commits(history.repo)}
    first = commits[history.first]
    assert first.authored_at == datetime(2024, 1, 1, 8, 0, tzinfo=UTC)
    assert first.authored_at.utcoffset() == timedelta(hours=2)
    second = commits[history.second]
    assert second.committed_at.utcoffset() == timedelta(hours=-5)
    assert second.author_name == "Ada Lovelace"
    assert second.committer_email == "grace@example.org"
    assert second.parents == (history.first,)


def test_merges_are_commits_without_lines(history: Fixture) -> None:
    merge = next(c for c in iter_commits(history.repo) if c.sha == history.merge)
    assert merge.is_merge
    assert len(merge.parents) == 2
    assert merge.files == ()
    assert merge.lines_added == 0


def test_renames_are_detected_like_git_does(history: Fixture) -> None:
    renamed = next(c for c in iter_commits(history.repo) if c.sha == history.renamed)
    (change,) = renamed.files
    assert change.status == "renamed"
    assert change.old_path == "src/app.py"
    assert change.path == "src/main.py"
    assert (change.lines_added, change.lines_deleted) == (1, 0)


def test_binary_files_count_no_lines(history: Fixture) -> None:
    commits = {c.sha: c for c in iter_commits(history.repo)}
    logo = next(f for f in commits[history.first].files if f.path == "logo.bin")
    assert logo.is_binary
    assert (logo.lines_added, logo.lines_deleted) == (0, 0)
    huge = next(c for c in commits.values() if c.subject == "Huge binary")
    assert huge.files[0].is_binary and huge.files[0].status == "added"


def test_latin1_messages_from_git_commit_arrive_as_text(history: Fixture) -> None:
    # `git commit -F` with i18n.commitEncoding unset re-encodes Latin-1 to UTF-8 on write.
    commit = next(c for c in iter_commits(history.repo) if c.sha == history.latin1)
    assert commit.subject == "Fix café crème handling"
    assert commit.message == "Fix café crème handling\n\nLatin-1 body ü"


def test_raw_non_utf8_message_bytes_are_replaced_not_fatal(history: Fixture) -> None:
    commit = next(c for c in iter_commits(history.repo) if c.sha == history.raw_bytes)
    assert commit.message == "Raw caf\ufffd bytes"
    assert commit.files == ()


def test_reverts_point_at_the_reverted_commit(history: Fixture) -> None:
    commits = {c.sha: c for c in iter_commits(history.repo)}
    revert = commits[history.revert]
    assert revert.is_revert
    assert revert.reverted_sha == history.reverted
    assert revert.subject == 'Revert "Risky change"'
    assert not commits[history.reverted].is_revert


def test_submodules_are_gitlink_entries(history: Fixture) -> None:
    commit = next(c for c in iter_commits(history.repo) if c.sha == history.submodule)
    by_path = {f.path: f for f in commit.files}
    assert by_path["vendor/library"].is_submodule
    assert by_path["vendor/library"].status == "added"
    assert not by_path[".gitmodules"].is_submodule


def test_incremental_sync_skips_already_seen_history(history: Fixture) -> None:
    seen = git(history.repo, "rev-parse", "v1.1^{commit}")
    new = [c.sha for c in iter_commits(history.repo, exclude=[seen])]
    assert new == git(history.repo, "rev-list", "HEAD", f"^{seen}").split()
    since = [c.sha for c in iter_commits(history.repo, since=datetime(2024, 1, 8, tzinfo=UTC))]
    assert history.latin1 in since and history.revert not in since


def test_a_bare_clone_reads_the_same_history(history: Fixture, tmp_path: Path) -> None:
    bare = tmp_path / "bare.git"
    git(tmp_path, "clone", "-q", "--bare", str(history.repo), str(bare))
    assert inspect_repository(bare).is_bare
    assert [c.sha for c in iter_commits(bare)] == [c.sha for c in iter_commits(history.repo)]


def test_stopping_early_does_not_hang(history: Fixture) -> None:
    first_two = list(itertools.islice(iter_commits(history.repo), 2))
    assert len(first_two) == 2


def test_release_tags_follow_the_pattern_and_creation_time(history: Fixture) -> None:
    tags = list_release_tags(history.repo)
    assert [t.name for t in tags] == ["v1.0", "v1.1", "v1.0.1", "v2.0.0"]
    by_name = {t.name: t for t in tags}
    # lightweight: the commit's committer date; annotated: the tagger date
    assert by_name["v1.0"].kind == "lightweight"
    assert by_name["v1.0"].created_at == datetime(2024, 1, 1, 10, tzinfo=timezone(timedelta(hours=2)))
    assert by_name["v1.1"].kind == "annotated"
    assert by_name["v1.1"].created_at == datetime(2024, 1, 5, 15, 30, tzinfo=UTC)
    assert by_name["v1.1"].commit_sha == history.merge
    assert by_name["v1.0.1"].commit_sha == history.maintenance_fix
    assert by_name["v2.0.0"].created_at == datetime(2024, 1, 9, 11, tzinfo=UTC)
    assert not re.search(DEFAULT_RELEASE_TAG_PATTERN, "2.0.0rc1")


def test_each_commit_maps_to_the_first_release_containing_it(history: Fixture) -> None:
    tags = list_release_tags(history.repo)
    order = {t.name: i for i, t in enumerate(tags)}
    first_release = map_first_release(history.repo, tags)
    all_shas = git(history.repo, "rev-list", "--all").split()
    for sha in all_shas:
        containing = [
            name for name in git(history.repo, "tag", "--contains", sha).split() if name in order
        ]
        expected = min(containing, key=order.__getitem__) if containing else None
        got = first_release[sha].name if sha in first_release else None
        assert got == expected, sha
    assert first_release[history.second].name == "v1.1"
    assert first_release[history.maintenance_fix].name == "v1.0.1"
    assert first_release[history.latin1].name == "v2.0.0"


def test_a_custom_pattern_can_include_pre_releases(history: Fixture) -> None:
    names = [t.name for t in list_release_tags(history.repo, pattern=r"^v?\d+(\.\d+)+(rc\d+)?$")]
    assert "2.0.0rc1" in names


def test_a_repository_without_tags_has_no_releases(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    commit_file(tmp_path, "a.txt", "a\n", "a", "2024-01-01T00:00:00+00:00")
    assert list_release_tags(tmp_path) == []
    assert map_first_release(tmp_path, []) == {}


def test_it_refuses_a_path_that_is_not_a_repository(tmp_path: Path) -> None:
    with pytest.raises(GitRepositoryError) as error:
        list(iter_commits(tmp_path))
    assert str(error.value) == NOT_A_GIT_REPOSITORY.format(path=tmp_path)
    missing = tmp_path / "missing"
    with pytest.raises(GitRepositoryError) as error:
        inspect_repository(missing)
    assert str(error.value) == NOT_A_GIT_REPOSITORY.format(path=missing)


def test_it_refuses_an_empty_repository(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    with pytest.raises(GitRepositoryError) as error:
        list(iter_commits(tmp_path))
    assert str(error.value) == EMPTY_REPOSITORY.format(path=tmp_path)


def test_it_refuses_an_unknown_revision(history: Fixture) -> None:
    with pytest.raises(GitRepositoryError) as error:
        list(iter_commits(history.repo, revision="no-such-branch"))
    assert str(error.value) == REVISION_NOT_FOUND.format(revision="no-such-branch", path=history.repo)


def test_shallow_clones_are_reported_unless_allowed(history: Fixture, tmp_path: Path) -> None:
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{history.repo}", str(shallow))
    assert inspect_repository(shallow).is_shallow
    with pytest.raises(GitRepositoryError) as error:
        list(iter_commits(shallow))
    assert str(error.value) == SHALLOW_REPOSITORY.format(path=shallow)
    commits = list(iter_commits(shallow, allow_shallow=True))
    assert [c.sha for c in commits] == [git(history.repo, "rev-parse", "HEAD")]

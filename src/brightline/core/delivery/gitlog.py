"""Mining a local git repository (working clone or bare) through ``git`` plumbing.

Everything here shells out to the ``git`` binary and parses its NUL-separated output in
Python. We deliberately avoid libgit2/PyDriller: ``git log --numstat`` already computes the
diffs in C, and parsing its output stream keeps memory flat however long the history is
(:func:`iter_commits` and :func:`iter_commit_summaries` yield one commit at a time and hold at
most 32 MiB of git's output read ahead, never the whole log).

Line counts are exactly what ``git log --numstat`` reports, with git's default rename
detection (``-M``, 50 % similarity). Merge commits are yielded but carry no file changes,
as ``git log --numstat`` shows none for merges by default.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Final, Literal, NamedTuple, TypeVar

__all__ = [
    "DEFAULT_RELEASE_TAG_PATTERN",
    "EMPTY_REPOSITORY",
    "GIT_COMMAND_FAILED",
    "GIT_NOT_INSTALLED",
    "NOT_A_GIT_REPOSITORY",
    "REVISION_NOT_FOUND",
    "SHALLOW_REPOSITORY",
    "ChangeStatus",
    "Commit",
    "CommitSummary",
    "FileChange",
    "GitRepositoryError",
    "ReleaseTag",
    "RepositoryInfo",
    "TagKind",
    "inspect_repository",
    "iter_commit_summaries",
    "iter_commits",
    "iter_release_contents",
    "list_release_tags",
    "map_first_release",
    "BackgroundGit",
    "RevertCommit",
    "claim_history",
    "count_new",
    "existing_commits",
    "first_release_of",
    "is_ancestor",
    "parse_parents",
    "resolve_revision",
    "reverts_off_head",
    "start_history_walk",
]

# --- error messages (tests assert these exact texts) -----------------------------------
NOT_A_GIT_REPOSITORY: Final = (
    "{path} is not a git repository (neither a working clone nor a bare repository)."
)
EMPTY_REPOSITORY: Final = "{path} is an empty git repository: it has no commits yet."
SHALLOW_REPOSITORY: Final = (
    "{path} is a shallow clone: its history is truncated, so lead times and release contents "
    "would be wrong. Run `git fetch --unshallow` first, or pass allow_shallow=True to accept "
    "the truncated history."
)
REVISION_NOT_FOUND: Final = "Revision {revision!r} does not exist in {path}."
GIT_COMMAND_FAILED: Final = "git {command} failed with exit code {code}: {stderr}"
GIT_NOT_INSTALLED: Final = (
    "The git executable was not found on PATH; Brightline needs git to read repositories."
)

DEFAULT_RELEASE_TAG_PATTERN: Final = r"^v?\d+(\.\d+)+$"
"""Release tags look like ``1.2``, ``v1.2.3``; pre-releases such as ``2.0.0rc1`` do not match."""

_Parsed = TypeVar("_Parsed")
ChangeStatus = Literal["added", "modified", "deleted", "renamed", "copied", "type_changed", "unknown"]
TagKind = Literal["annotated", "lightweight"]

_STATUS_BY_LETTER: Final[dict[str, ChangeStatus]] = {
    "A": "added",
    "M": "modified",
    "D": "deleted",
    "R": "renamed",
    "C": "copied",
    "T": "type_changed",
}
_GITLINK_MODE: Final = b"160000"  # a submodule entry in a tree
_REVERT_SUBJECT = re.compile(r'^Revert "(?P<title>.*)"\s*$')
_REVERT_BODY = re.compile(r"This reverts commit (?P<sha>[0-9a-f]{7,64})", re.IGNORECASE)
_REVERT_BODY_BYTES = re.compile(_REVERT_BODY.pattern.encode(), re.IGNORECASE)
# A pairing trailer, as GitHub and GitLab write it: "Co-authored-by: Name <email>" on a line of its own (git's own
# trailer keys are case-insensitive, and so is this).
_CO_AUTHOR_BYTES = re.compile(rb"^[ \t]*co-authored-by:[ \t]*(?P<name>[^<\n]*?)[ \t]*<(?P<email>[^>\n]+)>",
                              re.IGNORECASE | re.MULTILINE)

# Each record starts with a marker that cannot occur inside a commit message (messages never
# contain NUL) nor, realistically, at the start of a path: NUL + RS RS "BL" RS.
_RECORD_MARK: Final = b"\x00\x1e\x1eBL\x1e"
_LOG_FORMAT: Final = "%x1e%x1eBL%x1e%H%x1f%P%x1f%an%x1f%ae%x1f%ad%x1f%cn%x1f%ce%x1f%cd%x1f%B"
_READ_SIZE: Final = 1 << 20  # 1 MiB reads: large enough to amortise syscalls, small enough for flat RSS
_READ_AHEAD: Final = 32 << 20  # bytes buffered ahead of the consumer: git runs up to 32 MiB ahead, then waits
_POLL_SECONDS: Final = 0.01  # the pipe holds 1 MiB, 0.2 s of git's output: 10 ms polls never let it fill


class GitRepositoryError(Exception):
    """A repository cannot be read; ``str(error)`` is one of this module's message constants."""


# --- typed results ---------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class FileChange:
    """One file touched by a commit, as ``git log --raw --numstat`` reports it.

    ``lines_added``/``lines_deleted`` are line counts; binary files (numstat ``-``/``-``)
    count 0 lines and have ``is_binary=True``. ``old_path`` is set for renames and copies.
    ``is_submodule`` marks gitlink entries (mode 160000), whose "lines" are git's
    one-line ``Subproject commit`` pseudo-diff.
    """

    path: str
    lines_added: int
    lines_deleted: int
    status: ChangeStatus
    old_path: str | None = None
    is_binary: bool = False
    is_submodule: bool = False


@dataclass(frozen=True, slots=True)
class Commit:
    """One commit. Times are timezone-aware and keep the author's/committer's own UTC offset."""

    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    authored_at: datetime
    committer_name: str
    committer_email: str
    committed_at: datetime
    message: str
    files: tuple[FileChange, ...]
    reverted_sha: str | None
    """The commit this one reverts (from ``This reverts commit <sha>`` in the body), else None."""

    @property
    def subject(self) -> str:
        """First line of the message."""
        return self.message.split("\n", 1)[0]

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1

    @property
    def is_revert(self) -> bool:
        """True for ``git revert`` commits: a ``Revert "…"`` subject or a ``This reverts commit`` line."""
        return self.reverted_sha is not None or _REVERT_SUBJECT.match(self.subject) is not None

    @property
    def lines_added(self) -> int:
        return sum(change.lines_added for change in self.files)

    @property
    def lines_deleted(self) -> int:
        return sum(change.lines_deleted for change in self.files)


class CommitSummary(NamedTuple):
    """One commit with per-commit totals instead of per-file changes (:func:`iter_commit_summaries`).

    A named tuple rather than a dataclass: it is built 50,000 times in a second when a history is
    ingested, and a tuple is the cheapest thing Python builds. Times as in :class:`Commit`.
    """

    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    authored_at: datetime
    committer_name: str
    committer_email: str
    committed_at: datetime
    subject: str
    """First line of the message."""
    lines_added: int
    lines_deleted: int
    files_changed: int
    """Files in ``git log --numstat`` (a rename is one file; binary files and submodules count)."""
    reverted_sha: str | None
    is_revert: bool
    """As :attr:`Commit.is_revert`."""
    co_authors: tuple[tuple[str, str], ...] = ()
    """``(name, email)`` of each ``Co-authored-by:`` line of the message, in order, without repeats."""

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1


@dataclass(frozen=True, slots=True)
class ReleaseTag:
    """A tag matching the release pattern: one production deployment at ``created_at``.

    ``created_at`` is the tagger date for annotated tags and the commit's committer date for
    lightweight tags (git's ``creatordate``), with the original UTC offset.
    """

    name: str
    commit_sha: str
    created_at: datetime
    kind: TagKind
    tag_object_sha: str | None = None
    tagger_name: str | None = None
    tagger_email: str | None = None


@dataclass(frozen=True, slots=True)
class RepositoryInfo:
    """What :func:`inspect_repository` learned about a path."""

    path: Path
    git_dir: Path
    is_bare: bool
    is_shallow: bool
    head_sha: str | None
    """None when the repository has no commits."""


# --- helpers ---------------------------------------------------------------------------
_GIT_ENV: Final = {
    # Stable, parseable output whatever the user's locale and pager settings are.
    "LC_ALL": "C",
    "GIT_PAGER": "cat",
    "GIT_TERMINAL_PROMPT": "0",
}


def _environment() -> dict[str, str]:
    return {**os.environ, **_GIT_ENV}


def _git_args(repository: Path) -> list[str]:
    # quotepath=off: non-ASCII paths come through as bytes, not C-quoted octal escapes.
    return ["git", "-C", str(repository), "-c", "core.quotepath=off"]


def _run_git(repository: Path, *args: str, check: bool = True, stdin: bytes | None = None) -> bytes:
    try:
        result = subprocess.run(
            [*_git_args(repository), *args],
            input=stdin,
            capture_output=True,
            env=_environment(),
            check=False,
        )
    except FileNotFoundError as error:
        raise GitRepositoryError(GIT_NOT_INSTALLED) from error
    if check and result.returncode != 0:
        raise GitRepositoryError(
            GIT_COMMAND_FAILED.format(
                command=args[0],
                code=result.returncode,
                stderr=result.stderr.decode("utf-8", "replace").strip(),
            )
        )
    return result.stdout


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


_OFFSET_CACHE: dict[bytes, timezone] = {}


def _parse_raw_date(raw: bytes) -> datetime:
    """Parse git's ``--date=raw`` form ``<unix seconds> <+hhmm>`` into an aware datetime."""
    seconds, _, offset = raw.partition(b" ")
    tz = _OFFSET_CACHE.get(offset)
    if tz is None:
        sign = -1 if offset[:1] == b"-" else 1
        hours, minutes = int(offset[1:3] or b"0"), int(offset[3:5] or b"0")
        tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
        _OFFSET_CACHE[offset] = tz
    return datetime.fromtimestamp(int(seconds), tz)


def inspect_repository(path: str | os.PathLike[str]) -> RepositoryInfo:
    """Check that ``path`` is a git repository and describe it.

    Raises :class:`GitRepositoryError` with :data:`NOT_A_GIT_REPOSITORY` for anything that is
    not a repository (including a missing path). Empty and shallow repositories are *described*,
    not refused; :func:`iter_commits` decides what to do with them.
    """
    repository = Path(path)
    if not repository.is_dir():
        raise GitRepositoryError(NOT_A_GIT_REPOSITORY.format(path=repository))
    try:
        probe = subprocess.run(
            [
                *_git_args(repository),
                "rev-parse",
                "--absolute-git-dir",
                "--is-bare-repository",
                "--is-shallow-repository",
            ],
            capture_output=True,
            env=_environment(),
            check=False,
        )
    except FileNotFoundError as error:
        raise GitRepositoryError(GIT_NOT_INSTALLED) from error
    if probe.returncode != 0:
        raise GitRepositoryError(NOT_A_GIT_REPOSITORY.format(path=repository))
    git_dir, is_bare, is_shallow = _decode(probe.stdout).split("\n")[:3]
    head = _run_git(repository, "rev-parse", "--verify", "--quiet", "HEAD^{commit}", check=False)
    return RepositoryInfo(
        path=repository,
        git_dir=Path(git_dir),
        is_bare=is_bare == "true",
        is_shallow=is_shallow == "true",
        head_sha=_decode(head).strip() or None,
    )


def _checked_repository(path: str | os.PathLike[str], *, allow_shallow: bool) -> RepositoryInfo:
    info = inspect_repository(path)
    if info.head_sha is None:
        raise GitRepositoryError(EMPTY_REPOSITORY.format(path=info.path))
    if info.is_shallow and not allow_shallow:
        raise GitRepositoryError(SHALLOW_REPOSITORY.format(path=info.path))
    return info


def _verify_revision(repository: Path, revision: str) -> None:
    found = _run_git(repository, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}", check=False)
    if not found.strip():
        raise GitRepositoryError(REVISION_NOT_FOUND.format(revision=revision, path=repository))


# --- commits ---------------------------------------------------------------------------
def _parse_changes(diff: bytes) -> tuple[FileChange, ...]:
    """Parse the ``--raw --numstat -z`` block that follows a commit header.

    Raw entries (``:oldmode newmode oldsha newsha status``) come first and give the status
    and modes; numstat entries (``added\\tdeleted\\tpath``) follow in the same order and give
    the line counts. Renames/copies spread paths over the next two NUL-separated tokens.
    """
    tokens = diff.split(b"\x00")
    kinds: dict[bytes, tuple[ChangeStatus, bool]] = {}
    changes: list[FileChange] = []
    index, count = 0, len(tokens)
    while index < count:
        token = tokens[index]
        index += 1
        if not token or token == b"\n":
            continue
        if token[:1] == b":" or token[:2] == b"\n:":
            fields = token.lstrip(b"\n:").split(b" ")
            letter = fields[4][:1].decode("ascii", "replace") if len(fields) > 4 else "?"
            is_submodule = _GITLINK_MODE in (fields[0], fields[1]) if len(fields) > 1 else False
            if letter in ("R", "C"):
                path = tokens[index + 1]
                index += 2
            else:
                path = tokens[index]
                index += 1
            kinds[path] = (_STATUS_BY_LETTER.get(letter, "unknown"), is_submodule)
            continue
        added, deleted, path = token.lstrip(b"\n").split(b"\t", 2)
        old_path: bytes | None = None
        if not path:
            # Rename/copy: "added\tdeleted\t" then old and new path as separate tokens.
            old_path, path = tokens[index], tokens[index + 1]
            index += 2
        is_binary = added == b"-"
        status, is_submodule = kinds.get(path, ("renamed" if old_path is not None else "unknown", False))
        changes.append(
            FileChange(
                path=_decode(path),
                lines_added=0 if is_binary else int(added),
                lines_deleted=0 if is_binary else int(deleted),
                status=status,
                old_path=None if old_path is None else _decode(old_path),
                is_binary=is_binary,
                is_submodule=is_submodule,
            )
        )
    return tuple(changes)


def _parse_record(record: bytes) -> Commit:
    header, _, diff = record.partition(b"\x00")
    sha, parents, a_name, a_email, a_date, c_name, c_email, c_date, body = header.split(b"\x1f", 8)
    message = _decode(body).rstrip("\n")
    reverted = _REVERT_BODY.search(message)
    return Commit(
        sha=sha.decode("ascii"),
        parents=tuple(parents.decode("ascii").split()),
        author_name=_decode(a_name),
        author_email=_decode(a_email),
        authored_at=_parse_raw_date(a_date),
        committer_name=_decode(c_name),
        committer_email=_decode(c_email),
        committed_at=_parse_raw_date(c_date),
        message=message,
        files=_parse_changes(diff) if diff else (),
        reverted_sha=reverted.group("sha").lower() if reverted else None,
    )


def _numstat_totals(diff: bytes) -> tuple[int, int, int]:
    """``(lines added, lines deleted, files)`` of a ``--numstat -z`` block (no ``--raw`` entries),
    counted exactly as :func:`_parse_changes` counts them."""
    added = deleted = files = 0
    tokens = diff.split(b"\x00")
    index, count = 0, len(tokens)
    while index < count:
        token = tokens[index]
        index += 1
        if not token or token == b"\n":
            continue
        lines_added, lines_deleted, path = token.lstrip(b"\n").split(b"\t", 2)
        if not path:
            index += 2  # rename/copy: old and new path follow as separate tokens
        files += 1
        if lines_added != b"-":  # binary files count no lines
            added += int(lines_added)
            deleted += int(lines_deleted)
    return added, deleted, files


def _parse_summary(record: bytes) -> CommitSummary:
    header, _, diff = record.partition(b"\x00")
    sha, parents, a_name, a_email, a_date, c_name, c_email, c_date, body = header.split(b"\x1f", 8)
    # The revert marker is ASCII, so searching the raw body finds what searching the decoded one would.
    reverted = _REVERT_BODY_BYTES.search(body)
    reverted_sha = reverted.group("sha").decode("ascii").lower() if reverted else None
    subject = _decode(body.split(b"\n", 1)[0])
    added, deleted, files = _numstat_totals(diff) if diff else (0, 0, 0)
    return CommitSummary(
        sha.decode("ascii"), tuple(parents.decode("ascii").split()), _decode(a_name), _decode(a_email),
        _parse_raw_date(a_date), _decode(c_name), _decode(c_email), _parse_raw_date(c_date), subject,
        added, deleted, files, reverted_sha, reverted_sha is not None or _REVERT_SUBJECT.match(subject) is not None,
        co_authors(body) if b":" in body else (),
    )


def co_authors(body: bytes) -> tuple[tuple[str, str], ...]:
    """The ``(name, email)`` of each ``Co-authored-by:`` line of a commit message, in order, without repeats."""
    found: dict[str, tuple[str, str]] = {}
    for match in _CO_AUTHOR_BYTES.finditer(body):
        name, email = _decode(match.group("name")).strip(), _decode(match.group("email")).strip()
        found.setdefault(email.lower(), (name, email))
    return tuple(found.values())


def _split_records(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Yield one raw record at a time from chunks of git's stdout, holding one chunk at a time."""
    pending = b"\x00"  # the first record has no NUL before its marker; pretend it does
    for chunk in chunks:
        pending += chunk
        parts = pending.split(_RECORD_MARK)
        pending = parts.pop()
        # parts[0] is the empty prefix before the very first marker
        for part in parts:
            if part:
                yield part
    if pending.strip(b"\x00\n"):
        yield pending


def _enlarge_pipe(fd: int) -> None:
    """Let the pipe hold 1 MiB instead of 64 KiB where Linux allows it (``fs.pipe-max-size``)."""
    try:
        import fcntl  # POSIX only

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _READ_SIZE)
    except (ImportError, AttributeError, OSError):
        pass  # a smaller pipe only means more frequent polls


class _ReadAhead:
    """Reads a pipe on a thread into a bounded buffer, polling rather than waiting on it.

    git computes the diffs in its own process but stops as soon as the pipe is full, so a consumer
    that is busy elsewhere — writing a batch to a database, say — would stall it: the thread keeps
    up to ``limit`` bytes read ahead, while parsing stays on the caller's thread. It polls the pipe
    (enlarged to 1 MiB where Linux allows) every :data:`_POLL_SECONDS` instead of blocking in
    ``read``: git writes once per commit, and a reader blocked on the pipe is woken — and git
    preempted — 50,000 times for 50,000 commits. Iterating yields chunks of at most
    :data:`_READ_SIZE` and re-raises a read error. :meth:`close` stops the thread; call it once
    the writing process has exited or been killed.
    """

    def __init__(self, stream: IO[bytes], *, limit: int):
        self._fd = stream.fileno()
        _enlarge_pipe(self._fd)
        # Where the pipe cannot be made non-blocking (Windows before Python 3.12), reads block and
        # are woken by each of git's writes: slower, still correct.
        with contextlib.suppress(AttributeError, OSError):
            os.set_blocking(self._fd, False)
        self._limit = limit
        self._buffer = bytearray()
        self._ended = False
        self._error: BaseException | None = None
        self._closed = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, name="git-output-reader", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            while True:
                with self._changed:
                    if self._closed:
                        return
                    room = self._limit - len(self._buffer)
                try:
                    data = os.read(self._fd, min(room, _READ_SIZE)) if room > 0 else None
                except BlockingIOError:
                    data = None
                if data is None:  # nothing to read yet, or the buffer is full
                    time.sleep(_POLL_SECONDS)
                    continue
                with self._changed:
                    self._buffer += data
                    self._ended = not data
                    self._changed.notify()
                if not data:
                    return
        except BaseException as error:  # handed over to the consumer, never swallowed
            with self._changed:
                self._error, self._ended = error, True
                self._changed.notify()

    def __iter__(self) -> Iterator[bytes]:
        while True:
            with self._changed:
                while not self._buffer and not self._ended:
                    self._changed.wait()
                if not self._buffer:
                    if self._error is not None:
                        raise self._error
                    return
                chunk = bytes(self._buffer[:_READ_SIZE])
                del self._buffer[:_READ_SIZE]
            yield chunk

    def close(self) -> None:
        with self._changed:
            self._closed = True
        self._thread.join()


def iter_commits(
    path: str | os.PathLike[str],
    *,
    revision: str = "HEAD",
    exclude: Iterable[str] = (),
    since: datetime | None = None,
    allow_shallow: bool = False,
) -> Iterator[Commit]:
    """Stream the commits reachable from ``revision``, newest first (``git log`` order).

    ``exclude`` lists revisions whose history is already ingested (``--not <sha>…``), which
    makes incremental sync cheap: store the newest sha you saw and pass it next time.
    ``since`` filters on committer date (git's ``--since``). Memory stays flat: one commit
    is parsed at a time, and a thread reads git's output at most 32 MiB ahead of the parser so
    that git keeps computing diffs while the caller is busy with the commits it was given.

    Raises :class:`GitRepositoryError` for a non-repository, an empty repository, an unknown
    revision, a shallow clone (unless ``allow_shallow``), or a failing ``git log``.
    """
    records = _log_records(path, revision=revision, exclude=exclude, since=since, allow_shallow=allow_shallow,
                           file_changes=True)
    return _parse_each(records, _parse_record)


def iter_commit_summaries(
    path: str | os.PathLike[str],
    *,
    revision: str = "HEAD",
    exclude: Iterable[str] = (),
    since: datetime | None = None,
    allow_shallow: bool = False,
) -> Iterator[CommitSummary]:
    """The commits of :func:`iter_commits` with totals instead of per-file changes.

    Same commits, order, options and errors; ``lines_added``, ``lines_deleted`` and
    ``files_changed`` equal the sums over ``Commit.files``. git is not asked for file statuses
    and no :class:`FileChange` is built, which halves the parsing time: this is the form to
    store many commits in.
    """
    records = _log_records(path, revision=revision, exclude=exclude, since=since, allow_shallow=allow_shallow,
                           file_changes=False)
    return _parse_each(records, _parse_summary)


def _parse_each(records: Generator[bytes, None, None], parse: Callable[[bytes], _Parsed]) -> Iterator[_Parsed]:
    try:
        for record in records:
            yield parse(record)
    finally:
        records.close()  # stops git now if the consumer stopped early


def _log_records(
    path: str | os.PathLike[str],
    *,
    revision: str,
    exclude: Iterable[str],
    since: datetime | None,
    allow_shallow: bool,
    file_changes: bool,
) -> Generator[bytes, None, None]:
    """Run ``git log`` and yield its raw records; with ``file_changes`` the ``--raw`` entries
    (statuses and modes) come before the numstat entries of each record."""
    info = _checked_repository(path, allow_shallow=allow_shallow)
    repository = info.path
    _verify_revision(repository, revision)
    args = [
        *_git_args(repository),
        "log",
        "--no-color",
        "--no-show-signature",
        "--no-ext-diff",
        "--no-textconv",  # count the stored bytes, not a user-configured text conversion
        "--diff-merges=off",  # merges add no lines, as plain `git log --numstat` shows
        "-M",  # git's default rename detection, even if the user's config disables it
        *(["--raw"] if file_changes else []),
        "--numstat",
        "-z",
        "--date=raw",
        f"--format={_LOG_FORMAT}",
    ]
    if since is not None:
        args.append(f"--since={int(since.timestamp())}")
    excluded = list(exclude)
    stdin_data = None
    if excluded:
        # Pass exclusions on stdin so thousands of seen shas never hit the argv limit.
        args.append("--stdin")
        stdin_data = "".join(f"^{sha}\n" for sha in excluded).encode()
    args += ["--end-of-options", revision]
    with tempfile.TemporaryFile() as stderr:
        # stderr goes to a file: a PIPE we do not drain could fill up and deadlock git.
        try:
            process = subprocess.Popen(
                args,
                stdin=subprocess.PIPE if stdin_data is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=stderr,
                env=_environment(),
            )
        except FileNotFoundError as error:
            raise GitRepositoryError(GIT_NOT_INSTALLED) from error
        assert process.stdout is not None
        reader = None
        try:
            if stdin_data is not None:
                assert process.stdin is not None
                process.stdin.write(stdin_data)
                process.stdin.close()
            reader = _ReadAhead(process.stdout, limit=_READ_AHEAD)
            yield from _split_records(reader)
        finally:
            # If the consumer stops early, stop git too rather than leaving it blocked on a pipe.
            if process.poll() is None:
                process.kill()
            if reader is not None:
                reader.close()
            process.stdout.close()
            if process.stdin is not None:
                process.stdin.close()
            code = process.wait()
        if code != 0:
            stderr.seek(0)
            raise GitRepositoryError(
                GIT_COMMAND_FAILED.format(
                    command="log", code=code, stderr=_decode(stderr.read()).strip()
                )
            )


# --- release tags ----------------------------------------------------------------------
_TAG_FORMAT: Final = (
    "%(refname:strip=2)%00%(objecttype)%00%(objectname)%00%(*objectname)%00%(*objecttype)"
    "%00%(taggerdate:raw)%00%(creatordate:raw)%00%(taggername)%00%(taggeremail)"
)


def list_release_tags(
    path: str | os.PathLike[str],
    *,
    pattern: str | re.Pattern[str] = DEFAULT_RELEASE_TAG_PATTERN,
) -> list[ReleaseTag]:
    """Every tag whose name matches ``pattern``, oldest first (ties broken by name).

    Each matching tag counts as one production deployment, wherever it sits (maintenance
    branches included). Annotated tags use the tagger date, lightweight tags the commit's
    committer date. Tags that do not point at a commit (trees, blobs) are ignored. A
    repository with no tags gives an empty list.
    """
    repository = inspect_repository(path).path
    matcher = re.compile(pattern) if isinstance(pattern, str) else pattern
    output = _run_git(repository, "for-each-ref", f"--format={_TAG_FORMAT}", "refs/tags")
    tags: list[ReleaseTag] = []
    nested: list[tuple[str, str, datetime, str | None, str | None]] = []
    for line in output.split(b"\n"):
        if not line:
            continue
        name_raw, kind, sha, peeled, peeled_kind, tagger_date, creator_date, tagger, email = line.split(
            b"\x00"
        )
        name = _decode(name_raw)
        if not matcher.search(name):
            continue
        if kind == b"commit":
            tags.append(
                ReleaseTag(
                    name=name,
                    commit_sha=sha.decode(),
                    created_at=_parse_raw_date(creator_date),
                    kind="lightweight",
                )
            )
        elif kind == b"tag":
            created = _parse_raw_date(tagger_date or creator_date)
            tagger_name = _decode(tagger) or None
            tagger_email = _decode(email).strip("<>") or None
            if peeled_kind == b"commit":
                tags.append(
                    ReleaseTag(
                        name=name,
                        commit_sha=peeled.decode(),
                        created_at=created,
                        kind="annotated",
                        tag_object_sha=sha.decode(),
                        tagger_name=tagger_name,
                        tagger_email=tagger_email,
                    )
                )
            elif peeled_kind == b"tag":
                # A tag of a tag: rare, resolved below with one extra rev-parse.
                nested.append((name, sha.decode(), created, tagger_name, tagger_email))
    for name, tag_sha, created, tagger_name, tagger_email in nested:
        commit = _run_git(
            repository, "rev-parse", "--verify", "--quiet", f"{tag_sha}^{{commit}}", check=False
        )
        if commit.strip():
            tags.append(
                ReleaseTag(
                    name=name,
                    commit_sha=_decode(commit).strip(),
                    created_at=created,
                    kind="annotated",
                    tag_object_sha=tag_sha,
                    tagger_name=tagger_name,
                    tagger_email=tagger_email,
                )
            )
    tags.sort(key=lambda tag: (tag.created_at, tag.name))
    return tags


def iter_release_contents(
    path: str | os.PathLike[str],
    tags: Sequence[ReleaseTag],
    *,
    allow_shallow: bool = False,
) -> Iterator[tuple[ReleaseTag, str]]:
    """Yield ``(first release tag, commit sha)`` for every commit in some release.

    Tags are walked in time order; for each tag we list the commits it contains that no
    earlier tag contains (``git rev-list tag --not <earlier tags>``), so every commit is
    reported once, against the earliest release that shipped it. That costs one
    ``rev-list`` per tag, each walking only the new history — far cheaper than asking
    ``git tag --contains`` per commit. ``tags`` need not be sorted.
    """
    repository = _checked_repository(path, allow_shallow=allow_shallow).path
    ordered = sorted(tags, key=lambda tag: (tag.created_at, tag.name))
    earlier: list[str] = []
    seen_commits: set[str] = set()
    for tag in ordered:
        if tag.commit_sha in seen_commits:
            # Re-tag of an already released commit: nothing new ships.
            continue
        stdin = "".join(f"^{sha}\n" for sha in earlier).encode()
        output = _run_git(repository, "rev-list", "--stdin", tag.commit_sha, stdin=stdin)
        for sha in output.split():
            yield tag, sha.decode("ascii")
        earlier.append(tag.commit_sha)
        seen_commits.add(tag.commit_sha)


def map_first_release(
    path: str | os.PathLike[str],
    tags: Sequence[ReleaseTag],
    *,
    allow_shallow: bool = False,
) -> Mapping[str, ReleaseTag]:
    """Map every released commit sha to the first release tag (by creation time) containing it.

    Commits in no release are absent. The answer of :func:`iter_release_contents`, from one history
    walk (:func:`start_history_walk`, :func:`first_release_of`) — the walk a repository sync makes.
    """
    repository = _checked_repository(path, allow_shallow=allow_shallow).path
    if not tags:
        return {}
    parents = parse_parents(start_history_walk(repository, (tag.commit_sha for tag in tags)).result())
    return first_release_of(parents, tags, lambda tag: tag)


# --- the commit graph: one walk answers which commits are new and which release shipped each ---
class BackgroundGit:
    """A git command started now and read later: it runs while the caller does other work (a sync
    starts the history walk, then streams ``git log`` beside it), writing to temporary files, never
    to a pipe that could fill up and stall it. :meth:`result` waits for it; :meth:`close` stops it.
    """

    def __init__(self, path: str | os.PathLike[str], *args: str, stdin: bytes | None = None):
        self._command = args[0]
        self._stdout = tempfile.TemporaryFile()  # noqa: SIM115 -- closed by close(), after the process
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115
        try:
            self._process = subprocess.Popen(
                [*_git_args(Path(path)), *args], stdout=self._stdout, stderr=self._stderr, env=_environment(),
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL)
        except FileNotFoundError as error:
            self._stdout.close()
            self._stderr.close()
            raise GitRepositoryError(GIT_NOT_INSTALLED) from error
        if stdin is not None:
            assert self._process.stdin is not None
            self._process.stdin.write(stdin)
            self._process.stdin.close()

    def result(self) -> str:
        """The command's output; raises :class:`GitRepositoryError` if it failed."""
        try:
            code = self._process.wait()
            if code != 0:
                self._stderr.seek(0)
                raise GitRepositoryError(GIT_COMMAND_FAILED.format(
                    command=self._command, code=code, stderr=_decode(self._stderr.read()).strip()))
            self._stdout.seek(0)
            return _decode(self._stdout.read())
        finally:
            self.close()

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._stdout.close()
        self._stderr.close()


def start_history_walk(path: str | os.PathLike[str], tips: Iterable[str]) -> BackgroundGit:
    """Start listing every commit reachable from ``tips`` with its parents (``git rev-list --parents``);
    read it with :func:`parse_parents`. The tips go on stdin, so any number of release points fit."""
    unique = "".join(f"{sha}\n" for sha in dict.fromkeys(tips))
    return BackgroundGit(path, "rev-list", "--parents", "--stdin", stdin=unique.encode())


def parse_parents(output: str) -> dict[str, str]:
    """``{sha: its parents' shas separated by spaces}`` from ``git rev-list --parents``; one string a
    commit rather than a list keeps a million-commit history small."""
    parents: dict[str, str] = {}
    for line in output.splitlines():
        sha, _, rest = line.partition(" ")
        parents[sha] = rest
    return parents


_Value = TypeVar("_Value")


def claim_history(parents: Mapping[str, str], tip: str, claimed: dict[str, _Value], value: _Value) -> None:
    """Set ``claimed[sha] = value`` for every commit in ``tip``'s history not claimed yet, without
    walking past claimed ones (a history is closed under parents, so what lies behind is claimed too)."""
    stack = [tip]
    while stack:
        sha = stack.pop()
        if sha in claimed:
            continue
        claimed[sha] = value
        stack.extend(parents.get(sha, "").split())


def count_new(parents: Mapping[str, str], head: str, exclude: Iterable[str]) -> int:
    """How many commits ``head`` reaches that none of ``exclude`` does: ``git rev-list --count head ^exclude…``."""
    seen: dict[str, bool] = {}
    for sha in exclude:
        claim_history(parents, sha, seen, False)
    claim_history(parents, head, seen, True)
    return sum(1 for new in seen.values() if new)


def first_release_of(parents: Mapping[str, str], points: Iterable[ReleaseTag],
                     label: Callable[[ReleaseTag], _Value]) -> dict[str, _Value]:
    """``{commit sha: label(first release point that shipped it)}`` for every released commit.

    Release points are taken in order of time, then name; a commit belongs to the earliest point whose
    history contains it — the answer of :func:`iter_release_contents` (``rev-list point --not <earlier>``
    per point), computed from one ``git rev-list --parents`` walk: walking from each point in order and
    stopping at commits an earlier point claimed visits exactly the commits that ``rev-list`` lists.
    """
    first: dict[str, _Value] = {}
    for point in sorted(points, key=lambda point: (point.created_at, point.name)):
        claim_history(parents, point.commit_sha, first, label(point))
    return first


def resolve_revision(path: str | os.PathLike[str], revision: str) -> str:
    """The full sha of the commit ``revision`` names; :data:`REVISION_NOT_FOUND` if none."""
    repository = Path(path)
    found = _decode(_run_git(repository, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}",
                             check=False)).strip()
    if not found:
        raise GitRepositoryError(REVISION_NOT_FOUND.format(revision=revision, path=repository))
    return found


def is_ancestor(path: str | os.PathLike[str], ancestor: str, descendant: str) -> bool:
    """Whether ``ancestor`` is in ``descendant``'s history (a cursor still valid after a push)."""
    try:
        return subprocess.run([*_git_args(Path(path)), "merge-base", "--is-ancestor", ancestor, descendant],
                              capture_output=True, env=_environment(), check=False).returncode == 0
    except FileNotFoundError as error:
        raise GitRepositoryError(GIT_NOT_INSTALLED) from error


def existing_commits(path: str | os.PathLike[str], shas: Sequence[str]) -> dict[str, str]:
    """``{given sha: full sha}`` for the given shas (full or abbreviated) that name a commit."""
    if not shas:
        return {}
    output = _decode(_run_git(Path(path), "cat-file", "--batch-check=%(objectname) %(objecttype)",
                              stdin="".join(f"{sha}^{{commit}}\n" for sha in shas).encode()))
    found: dict[str, str] = {}
    for sha, line in zip(shas, output.splitlines(), strict=False):
        parts = line.split()
        if len(parts) == 2 and parts[1] == "commit":
            found[sha] = parts[0]
    return found


class RevertCommit(NamedTuple):
    """A revert commit: its sha, the sha it names as reverted, and when it was committed."""

    sha: str
    reverted_sha: str
    committed_at: datetime


def reverts_off_head(path: str | os.PathLike[str], head: str, tips: Iterable[str]) -> list[RevertCommit]:
    """The reverts that ``tips`` reach and ``head`` does not (a fix on a release's maintenance branch),
    with the sha each names (the rule of :attr:`Commit.reverted_sha`)."""
    wanted = sorted(set(tips) - {head})
    if not wanted:
        return []
    output = _decode(_run_git(Path(path), "log", "-i", "--grep=This reverts commit", "--format=%H%x00%cI%x00%B%x01",
                              "--stdin", stdin="".join(f"{sha}\n" for sha in wanted).encode() + f"^{head}\n".encode()))
    found: list[RevertCommit] = []
    for record in output.split("\x01"):
        sha, _, rest = record.strip("\n").partition("\x00")
        committed, _, message = rest.partition("\x00")
        reverted = _REVERT_BODY.search(message)
        if sha and reverted:
            found.append(RevertCommit(sha, reverted.group("sha").lower(), datetime.fromisoformat(committed)))
    return found

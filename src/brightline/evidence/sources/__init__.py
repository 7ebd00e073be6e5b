"""Evidence sources. Each is a self-contained package behind the small interface in :mod:`.base`:

* it names the policy allow-list keys it needs (principle 6) and calls :func:`.base.require_allowed`
  before reading anything;
* it keeps a :class:`~brightline.evidence.models.SyncCursor` (or, for git, the repository's last
  synced head) so every sync is incremental and can be resumed after a crash or a rate limit;
* it writes idempotently (unique source ids, ``bulk_create(ignore_conflicts=True)``), so running
  it twice never duplicates anything.

A new source starts as a copy of a sibling package.
"""

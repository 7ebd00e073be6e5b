"""Local git repositories: commits reachable from a branch, release tags and reverts."""

from brightline.evidence.sources.git.sync import BATCH_SIZE, POLICY_KEYS, GitSyncResult, sync_git_repository

__all__ = ["BATCH_SIZE", "POLICY_KEYS", "GitSyncResult", "sync_git_repository"]

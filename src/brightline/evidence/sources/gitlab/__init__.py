"""GitLab (REST API v4): merge requests, reviews and approvals, releases, deployments, incident issues."""

from brightline.evidence.sources.gitlab.sync import DEFAULT_API_URL, sync_gitlab

__all__ = ["DEFAULT_API_URL", "sync_gitlab"]

"""GitHub (REST API v3): pull requests, reviews, releases, deployments and incident issues."""

from brightline.evidence.sources.github.sync import DEFAULT_API_URL, sync_github

__all__ = ["DEFAULT_API_URL", "sync_github"]

"""A small, injectable HTTP client for the platform sources, with pagination and rate limits.

Tests pass the same :class:`UrllibClient` pointed at a local server that replays recorded
payloads; nothing here talks to the network by itself.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Protocol

from brightline.evidence.sources.base import SourceError

DEFAULT_MAX_WAIT_SECONDS: Final = 60.0
MAX_RETRIES: Final = 3
ERR_HTTP: Final = "{method} {url} answered {status}: {detail}"
ERR_UNREACHABLE: Final = "Could not reach {url}: {reason}"
ERR_RATE_LIMITED: Final = (
    "Stopped at the {platform} rate limit (it resets in {wait:.0f} s, longer than the {limit:.0f} s we wait). "
    "Everything up to here is stored; run the same command again after the reset to resume from {url}."
)
_LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    """Header names in lower case."""
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8")) if self.body else None


class HttpClient(Protocol):
    def get(self, url: str, headers: dict[str, str]) -> Response: ...


class UrllibClient:
    """The default client (standard library only); answers non-2xx statuses instead of raising."""

    def __init__(self, *, timeout: float = 30.0):
        self.timeout = timeout

    def get(self, url: str, headers: dict[str, str]) -> Response:
        request = urllib.request.Request(url, headers=headers, method="GET")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310 (https/http only)
                return Response(answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read())
        except urllib.error.HTTPError as error:
            with error:
                return Response(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())
        except urllib.error.URLError as error:
            raise SourceError(ERR_UNREACHABLE.format(url=url, reason=error.reason)) from None


class RateLimited(SourceError):
    def __init__(self, message: str, *, url: str):
        super().__init__(message)
        self.url = url


@dataclass
class Fetcher:
    """GETs JSON pages, waiting out short rate limits and stopping (resumably) at long ones."""

    client: HttpClient
    headers: dict[str, str]
    platform: str
    sleep: Callable[[float], None] = time.sleep
    max_wait: float = DEFAULT_MAX_WAIT_SECONDS
    now: Callable[[], float] = time.time
    requests: int = 0
    waited: float = 0.0

    def _wait_for(self, response: Response) -> float | None:
        """Seconds to wait when ``response`` is a rate-limit answer, else None."""
        headers = response.headers
        if response.status not in {403, 429}:
            return None
        retry_after = headers.get("retry-after")
        if retry_after is not None and retry_after.strip().isdigit():
            return float(retry_after)
        remaining = headers.get("x-ratelimit-remaining", headers.get("ratelimit-remaining"))
        reset = headers.get("x-ratelimit-reset", headers.get("ratelimit-reset"))
        if remaining is not None and remaining.strip() == "0" and reset is not None and reset.strip().isdigit():
            return max(0.0, float(reset) - self.now()) + 1
        if response.status == 429:
            return 60.0
        return None

    def get(self, url: str) -> Response:
        for _attempt in range(MAX_RETRIES + 1):
            self.requests += 1
            response = self.client.get(url, self.headers)
            wait = self._wait_for(response)
            if wait is None:
                break
            if wait > self.max_wait:
                raise RateLimited(ERR_RATE_LIMITED.format(platform=self.platform, wait=wait, limit=self.max_wait,
                                                          url=url), url=url)
            self.waited += wait
            self.sleep(wait)
        if not 200 <= response.status < 300:
            detail = response.body[:300].decode("utf-8", "replace")
            raise SourceError(ERR_HTTP.format(method="GET", url=url, status=response.status, detail=detail))
        return response

    def pages(self, url: str) -> Iterator[tuple[str, Any]]:
        """``(page url, decoded JSON)`` for each page, following ``Link: rel=next`` or GitLab's ``X-Next-Page``."""
        next_url: str | None = url
        while next_url:
            response = self.get(next_url)
            yield next_url, response.json()
            next_url = next_page(next_url, response.headers)


def next_page(url: str, headers: dict[str, str]) -> str | None:
    link = headers.get("link", "")
    match = _LINK_NEXT.search(link)
    if match:
        return match.group(1)
    page = headers.get("x-next-page", "").strip()
    if page:
        if re.search(r"([?&])page=\d+", url):
            return re.sub(r"([?&])page=\d+", rf"\g<1>page={page}", url)
        return f"{url}{'&' if '?' in url else '?'}page={page}"
    return None


def parse_time(value: str | None) -> datetime | None:
    """ISO 8601 from GitHub/GitLab (``Z`` or an offset) as an aware datetime."""
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)

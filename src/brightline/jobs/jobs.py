"""A job that exists to check the plumbing end to end (used by the tests and `brightline jobs ping`)."""

from __future__ import annotations

from typing import Any

from brightline.jobs.services import Progress, job


@job("jobs.ping")
def ping(progress: Progress, *, steps: int = 3, fail: bool = False) -> dict[str, Any]:
    for done in range(1, steps + 1):
        progress.update(done, total=steps, message=f"step {done} of {steps}")
    if fail:
        raise RuntimeError("ping was asked to fail")
    return {"steps": steps}

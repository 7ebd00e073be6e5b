"""``audit.checkpoint``: sign the heads of the audit trail and the access log (scheduled hourly)."""

from __future__ import annotations

from typing import Any

from brightline.jobs.services import Progress, job


@job("audit.checkpoint")
def checkpoint(progress: Progress) -> dict[str, Any]:
    from brightline.audit.services import checkpoint_heads

    written = checkpoint_heads()
    progress.update(1, total=1, message="signed")
    return {"checkpoints": [{"chain": cp.chain, "seq": cp.seq} for cp in written]}

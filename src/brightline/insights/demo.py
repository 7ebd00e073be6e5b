"""Demo step: compute the signals on whatever the demo built so far (evidence and feedback run first).

The run is stamped as the nightly run of the demo's "today" rather than the real clock, so the
signal pages do not show signals computed weeks after the data they describe.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from brightline.demo import DemoContext

NIGHTLY_RUN_AT = time(5, 30)


def build_demo_history(context: DemoContext) -> None:
    from brightline.insights.models import InputFingerprint, Signal
    from brightline.insights.services import PACKET_CHECK_PREFIX, run_insights

    # The reviews step's saves checked their packets as they went, with the real clock's window; the run
    # below raises the checks of the packets still in draft again, as of the demo's "today".
    Signal.objects.filter(key__startswith=PACKET_CHECK_PREFIX).delete()
    run_insights(all_subjects=True, today=context.today, actor_label="demo:insights")
    ran_at = datetime.combine(context.today, NIGHTLY_RUN_AT, tzinfo=UTC)
    Signal.objects.update(created_at=ran_at, updated_at=ran_at)
    InputFingerprint.objects.update(computed_at=ran_at)

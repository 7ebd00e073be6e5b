"""Demo step: compute the signals on whatever the demo built so far (evidence and feedback run first)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from brightline.demo import DemoContext


def build_demo_history(context: DemoContext) -> None:
    from brightline.insights.services import run_insights

    run_insights(all_subjects=True, today=context.today, actor_label="demo:insights")

from typing import Any

from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "brightline.insights"
    label = "insights"
    verbose_name = "AI-derived signals"

    def ready(self) -> None:
        from brightline.feedback.signals import packet_claims_changed

        packet_claims_changed.connect(_recheck_changed_packets, dispatch_uid="insights.recheck_changed_packets")


def _recheck_changed_packets(sender: Any, **kwargs: Any) -> None:
    # Imported on the first change, not at start-up: the services load the NLP and statistics code.
    from brightline.insights.services import recheck_changed_packets

    recheck_changed_packets(sender, **kwargs)

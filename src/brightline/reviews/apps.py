from typing import Any

from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "brightline.reviews"
    label = "reviews"
    verbose_name = "Review cycles and calibration"

    def ready(self) -> None:
        from brightline.insights.signals import draft_packet_claims, review_managers

        draft_packet_claims.connect(_answer_draft_packet_claims, dispatch_uid="reviews.draft_packet_claims")
        review_managers.connect(_answer_review_managers, dispatch_uid="reviews.review_managers")


def _answer_draft_packet_claims(sender: Any, **scope: Any) -> Any:
    from brightline.reviews.packet_claims import answer_draft_packet_claims

    return answer_draft_packet_claims(sender, **scope)


def _answer_review_managers(sender: Any, **scope: Any) -> Any:
    from brightline.reviews.packet_claims import answer_review_managers

    return answer_review_managers(sender, **scope)

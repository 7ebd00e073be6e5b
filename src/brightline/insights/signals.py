"""Where the insights app asks an app above it: the claims of the draft review packets.

The reviews app sits above insights (packets cite accepted signals), so insights never imports it.
``draft_packet_claims.send(sender=None, person_id=…)`` (or ``review_id=…``, or ``accomplishment_id=…``:
the packets that chose it) is answered by the reviews app, connected in ``ReviewsConfig.ready()``, with
``{review id: (person id, [PacketClaim, …])}`` for the draft packets in scope, in review id order.

``review_managers.send(sender=None, review_ids=[…])`` is answered by the reviews app with
``{review id: manager id}``: who writes the manager's part of each packet (the owner of a check on it).
"""

from django.dispatch import Signal

draft_packet_claims = Signal()
review_managers = Signal()

"""The one signal between apps: a draft review packet's claims changed.

Defined here, in the lowest app that sends it, so every sender imports it downwards: the feedback
app sends it when an accomplishment changes (with ``accomplishment_id``: every draft packet that
chose it), the reviews app when it saves a packet's claims (with ``review_id``). Both send it inside
the transaction of the save, with the ``actor``. The insights app, which re-checks those packets for
claims that cite no evidence (C5), connects to it in ``InsightsConfig.ready()``; a receiver's error
rolls the save back.
"""

from django.dispatch import Signal

packet_claims_changed = Signal()

"""What an ingestion added or changed that incident attribution must look at again.

The events import and the GitHub and GitLab syncs both collect it as they write, and hand it to
``update_incident_attribution(deployments=, incidents=)``, which then recomputes only the incidents those rows
can move instead of every incident of the services.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

# The columns of a deployment and of an incident that attribution reads: a row whose values of these did not
# change moves no incident.
DEPLOYMENT_INPUTS: Final = ("service_id", "deployed_at", "sha", "status", "environment")
INCIDENT_INPUTS: Final = ("service_id", "opened_at", "linked_deployment_id", "root_cause_sha")
TOUCH_LIMIT: Final = 1000


@dataclass
class AttributionTouches:
    """Each added or changed deployment as (id, service id, deployed at, sha), before and after the change, and the
    ids of the added or changed incidents. Past :meth:`touch_limit` of either (a first import of a whole history,
    say), nothing more is held and attribution reads every row of the services."""

    touched_deployments: set[tuple[int, int, datetime, str]] = field(default_factory=set, repr=False, kw_only=True)
    touched_incidents: set[int] = field(default_factory=set, repr=False, kw_only=True)
    touched_too_many: bool = field(default=False, repr=False, kw_only=True)

    def touch_limit(self) -> int:
        return TOUCH_LIMIT

    def touch(self, deployments: Iterable[tuple[int, int, datetime, str]] = (), incidents: Iterable[int] = ()
              ) -> None:
        if self.touched_too_many:
            return
        self.touched_deployments.update(deployments)
        self.touched_incidents.update(incidents)
        if max(len(self.touched_deployments), len(self.touched_incidents)) > self.touch_limit():
            self.touched_too_many = True
            self.touched_deployments.clear()
            self.touched_incidents.clear()

    def touch_deployment(self, pk: int, before: tuple[Any, ...] | None, after: tuple[Any, ...]) -> None:
        """A deployment written: ``before`` and ``after`` are its values of :data:`DEPLOYMENT_INPUTS` (``before``
        None when it is new); nothing is held when they are equal."""
        if before != after:
            self.touch(deployments=[(pk, *state[:3]) for state in (before, after) if state is not None])

    def attribution_scope(self) -> dict[str, Any]:
        """The keyword arguments of ``update_incident_attribution``: none (every row) past the limit."""
        if self.touched_too_many:
            return {}
        return {"deployments": self.touched_deployments, "incidents": self.touched_incidents}

"""Deployment and incident events: JSON or CSV files, the signed webhook, PagerDuty- and
Opsgenie-like exports. Every record is validated before anything is written; a batch with
any bad record writes nothing and reports every problem with its record number."""

from brightline.evidence.sources.events.importer import (
    EventError,
    EventImportError,
    EventImportResult,
    import_events,
    parse_event_file,
)

__all__ = ["EventError", "EventImportError", "EventImportResult", "import_events", "parse_event_file"]

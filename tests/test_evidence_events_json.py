"""JSON event files read as they are used: a JSON array (or ``{"events": [...]}``) element by element and JSON Lines
line by line give what the same events in CSV give; a file that breaks off writes nothing (issue 19, item 6)."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from brightline.audit.models import AuditEntry
from brightline.evidence.models import Deployment, EvidenceItem, Incident, Page, Remediation, Service
from brightline.evidence.sources.events import import_events, parse_event_file
from brightline.evidence.sources.events import jsonstream as jsonstream_module
from brightline.evidence.sources.events.importer import STAGE_PREFIX
from brightline.policy.services import get_policy

pytestmark = pytest.mark.django_db

FIELDS = ["type", "id", "service", "version", "deployed_at", "kind", "fixes", "opened_at", "resolved_at",
          "linked_deployment", "paged_at", "person", "incident", "handled_by", "title", "severity"]


@pytest.fixture
def stream_service(personas) -> Service:
    policy = get_policy()
    policy.allowed_sources = sorted({*policy.allowed_sources, "deployments", "incidents"})
    policy.save()
    return Service.objects.create(name="stream-api", team=personas.erin.team)


def events(count: int, tag: str) -> list[dict[str, Any]]:
    """Deployments, rollbacks and incidents naming a deployment further on, pages of those incidents; titles with
    quotes, commas, brackets, escapes and non-ASCII text, so that values straddle the reading window's edges."""
    records: list[dict[str, Any]] = []
    for number in range(count):
        at = f"2026-03-{1 + number % 28:02d}T{number % 24:02d}:{number % 60:02d}:00Z"
        resolved = f"2026-03-{1 + number % 28:02d}T{number % 24:02d}:{number % 60:02d}:30Z"
        later = f"{tag}d{number + 5 - number % 5}"
        if number % 5 == 0 or number >= count - 5:
            records.append({"type": "deployment", "id": f"{tag}d{number}", "service": "stream-api",
                            "version": f"v{number}", "deployed_at": at})
        elif number % 5 == 1:
            records.append({"type": "deployment", "id": f"{tag}r{number}", "service": "stream-api",
                            "version": f"v{number}", "deployed_at": at, "kind": "rollback", "fixes": later})
        elif number % 5 == 2:
            records.append({"type": "incident", "id": f"{tag}i{number}", "service": "stream-api", "opened_at": at,
                            "resolved_at": resolved, "linked_deployment": later, "handled_by": "erin@example.org",
                            "title": f'Incident {number}: "queue" [full], {{déjà vu}} \\ ✓', "severity": "sev2"})
        else:
            records.append({"type": "page", "id": f"{tag}p{number}", "service": "stream-api", "paged_at": at,
                            "resolved_at": resolved, "person": "erin@example.org",
                            "incident": f"{tag}i{number - number % 5 + 2}"})
    return records


def write_csv(path: Path, records: list[dict[str, Any]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, FIELDS)
        writer.writeheader()
        writer.writerows(records)
    return path


def write_json(path: Path, records: list[dict[str, Any]], layout: str) -> Path:
    if layout == "array":  # one line, as json.dump writes it
        path.write_text(json.dumps(records))
    elif layout == "array-indented":
        path.write_text(json.dumps(records, indent=2, ensure_ascii=False))
    elif layout == "object":
        path.write_text(json.dumps({"exported_at": "2026-04-01T00:00:00Z", "events": records, "count": len(records)},
                                   indent=1))
    else:  # JSON Lines
        path.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records))
    return path


def import_file(path: Path) -> Any:
    with path.open("rb") as handle:
        source, records = parse_event_file(handle)
        return import_events(records, source=source, actor_label="cli:test")


def stored(tag: str) -> dict[str, Any]:
    """What the import left about the ``tag`` events, with ids and the tag written neutrally."""
    def rows(model: Any, key: str, *fields: str) -> list[Any]:
        return sorted(tuple(re.sub(rf"\b{tag}(?=[drip]\d)", "T", str(value)) for value in row)
                      for row in model.objects.filter(**{f"{key}__startswith": tag}).values_list(key, *fields))

    return {
        "deployments": rows(Deployment, "external_id", "version", "deployed_at", "status", "source"),
        "remediations": rows(Remediation, "remediation_deployment__external_id", "kind",
                             "failed_deployment__external_id"),
        "incidents": rows(Incident, "external_id", "title", "opened_at", "resolved_at",
                          "linked_deployment__external_id", "handled_by__email", "severity"),
        "pages": rows(Page, "external_id", "paged_at", "resolved_at", "person__email", "incident__external_id"),
        "evidence": rows(EvidenceItem, "source_ref", "title", "person__email"),
    }


def counts() -> tuple[int, ...]:
    return (Deployment.objects.count(), Incident.objects.count(), Page.objects.count(), Remediation.objects.count(),
            AuditEntry.objects.count())


@pytest.mark.parametrize("layout, suffix", [("array", ".json"), ("array-indented", ".json"),
                                            ("object", ".json"), ("lines", ".jsonl"), ("lines", ".txt")])
def test_a_large_json_file_imports_as_the_same_events_in_csv_do(stream_service, tmp_path, monkeypatch, layout,
                                                                 suffix):
    from brightline.evidence.sources.events import importer

    # A small window and small batches: every value is read across many refills, and written in many batches.
    monkeypatch.setattr(jsonstream_module, "CHUNK", 97)
    monkeypatch.setattr(importer, "BATCH_SIZE", 50, raising=False)
    from_csv = import_file(write_csv(tmp_path / "events.csv", events(1500, "c")))
    from_json = import_file(write_json(tmp_path / f"events{suffix}", events(1500, "j"), layout))
    assert from_json.to_json() == from_csv.to_json()
    assert (from_json.deployments, from_json.incidents, from_json.pages, from_json.created) == (603, 299, 598, 1500)
    assert stored("j") == stored("c")
    assert ("Ti12", 'Incident 12: "queue" [full], {déjà vu} \\ ✓') in {row[:2] for row in stored("j")["incidents"]}


def test_a_json_array_is_read_through_a_window_not_whole(stream_service, tmp_path, monkeypatch):
    from brightline.evidence.sources.events import importer

    monkeypatch.setattr(jsonstream_module, "CHUNK", 1024)
    monkeypatch.setattr(importer, "BATCH_SIZE", 100, raising=False)
    path = write_json(tmp_path / "events.json", events(3000, "w"), "array")  # one line of about 600 kB
    widest: list[int] = []
    fill = jsonstream_module.JsonText.fill

    def watched(self: Any, least: int | None = None) -> None:
        fill(self, least)
        widest.append(len(self.buffer))

    monkeypatch.setattr(jsonstream_module.JsonText, "fill", watched)
    result = import_file(path)
    assert result.created == 3000 and len(widest) > 500
    assert max(widest) < 3 * 1024, max(widest)  # the window plus the element being decoded


@pytest.mark.parametrize("layout", ["array", "array-indented", "object"])
def test_a_json_array_cut_short_refuses_the_file_names_the_element_and_writes_nothing(stream_service, tmp_path,
                                                                                      layout):
    path = write_json(tmp_path / "events.json", events(400, "t"), layout)
    text = path.read_text()
    cut = text.index('"tp353"')  # inside element 354
    path.write_text(text[:cut + 3])
    before = counts()
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("import", "events", str(path), "--json", stdout=out)
    assert counts() == before
    refused = json.loads(out.getvalue())
    assert refused["problems"] == 1  # the links to the deployments it never read are not checked
    [error] = refused["errors"]
    assert error["record"] == 354 and "line" not in error
    assert error["reason"].startswith("the JSON breaks off or is malformed in element 354, so nothing after it "
                                      "was read: Unterminated string")
    from django.db import connection

    assert not [name for name in connection.introspection.table_names() if name.startswith(STAGE_PREFIX)]


def test_malformed_json_after_the_events_and_before_the_first_are_refused(stream_service, tmp_path):
    path = tmp_path / "events.json"
    path.write_text(json.dumps(events(20, "m")) + "\n]")
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit):
        call_command("import", "events", str(path), stdout=out, stderr=err)
    assert ": record 21: the JSON is malformed after the last event: Extra data: line 2 column 1" in err.getvalue()
    path.write_text('[{"type": "deployment", "id": oops}]')
    err = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("import", "events", str(path), stdout=out, stderr=err)
    assert (": record 1: the JSON breaks off or is malformed in element 1, so nothing after it was read: Expecting "
            "value: line 1 column 31") in err.getvalue()
    path.write_text('{"events": [{"type": "deployment"}], "incidents": [}')
    err = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("import", "events", str(path), stdout=out, stderr=err)
    assert ": record 2: the JSON is malformed after the last event: Expecting value: line 1 column 52" \
        in err.getvalue()
    path.write_text('{"incidents": [}')  # before the first event: the file is refused as a whole
    err = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("import", "events", str(path), stdout=out, stderr=err)
    assert ": file: the file is neither JSON nor CSV with a header row: Expecting value: line 1 column 16" \
        in err.getvalue()


@pytest.mark.parametrize("suffix", [".jsonl", ".ndjson", ".json"])
def test_json_lines_with_a_bad_line_names_that_line_and_writes_nothing(stream_service, tmp_path, suffix):
    lines = [json.dumps(record) for record in events(300, "l")]
    lines.insert(100, "")  # a blank line is skipped; the line numbers count it
    lines[250] = lines[250][:-1]  # line 251 loses its closing brace
    lines[270] = "[1, 2]"
    path = tmp_path / f"events{suffix}"
    path.write_text("\n".join(lines) + "\n")
    before = counts()
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit):
        call_command("import", "events", str(path), stdout=out, stderr=err)
    assert counts() == before
    message = err.getvalue()
    assert ": line 251: the line is not valid JSON: Expecting ',' delimiter (column " in message
    assert ": line 271: a record must be an object with a 'type'" in message


class Pipe(io.RawIOBase):
    """A stream that cannot be rewound, as a pipe is."""

    def __init__(self, data: bytes):
        self.data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self.data.read(min(len(buffer), 10))
        buffer[:len(chunk)] = chunk
        return len(chunk)


@pytest.mark.parametrize("layout", ["csv", "array", "lines"])
def test_a_stream_that_cannot_be_rewound_is_read_in_every_format(tmp_path, layout):
    records = events(40, "p")
    path = write_csv(tmp_path / "events.csv", records) if layout == "csv" else \
        write_json(tmp_path / "events.json", records, layout)
    source, parsed = parse_event_file(Pipe(path.read_bytes()))
    assert source == "events"
    assert [(record["type"], record["id"]) for record in parsed] == [(record["type"], record["id"])
                                                                      for record in records]

"""A NUL character in a request's address, form fields or JSON body is refused with a 400 naming where it is;
nothing is stored (SQLite would keep it, PostgreSQL refuses it with a server error)."""

from __future__ import annotations

import json

import pytest

from brightline.evidence.models import EvidenceItem

pytestmark = pytest.mark.django_db


def written(**fields: str) -> dict[str, str]:
    return {"kind": "incident_debrief", "title": "Queue outage", "summary": "Drained the queue.",
            "occurred_on": "2026-11-02", **fields}


def test_a_nul_in_a_json_field_is_refused_naming_the_field_and_nothing_is_stored(personas, client_for):
    answer = client_for(personas.erin).post("/api/evidence/items", written(title="Queue\x00outage"),
                                            content_type="application/json")
    assert answer.status_code == 400
    assert answer.json()["detail"].startswith("The field 'title' contains a NUL character")
    assert not EvidenceItem.objects.exists()


def test_a_nul_deep_in_a_json_body_is_named_by_its_path(personas, client_for):
    body = json.dumps({"reason": "x", "allowed_sources": ["feedback", "git\x00commits"]})
    answer = client_for(personas.pia).patch("/api/policy", body, content_type="application/json")
    assert answer.status_code == 400 and "'allowed_sources[1]'" in answer.json()["detail"]


def test_a_nul_in_a_form_field_is_refused_and_nothing_is_stored(personas, client_for):
    answer = client_for(personas.erin).post("/growth/evidence/new/", written(summary="Drained\x00the queue."))
    assert answer.status_code == 400
    assert "The field 'summary' contains a NUL character" in answer.content.decode()
    assert not EvidenceItem.objects.exists()


def test_a_nul_in_the_address_is_refused(personas, client_for):
    answer = client_for(personas.erin).get("/api/evidence/items?person_id=%00")
    assert answer.status_code == 400 and answer.json()["detail"].startswith("The address contains a NUL")
    documented = client_for(personas.erin).get("/api/openapi.json").json()["paths"]["/api/evidence/items"]["get"]
    assert "400" in documented["responses"]


def test_text_that_only_spells_the_escape_is_stored_as_written(personas, client_for):
    title = "Why \\u0000 broke the parser"
    answer = client_for(personas.erin).post("/api/evidence/items", written(title=title),
                                            content_type="application/json")
    assert answer.status_code == 201
    assert EvidenceItem.objects.get().title == title


def test_a_nul_in_a_url_encoded_form_field_is_refused(personas, client_for):
    from urllib.parse import urlencode

    answer = client_for(personas.erin).post("/growth/evidence/new/", urlencode(written(title="A\x00B")),
                                            content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 400 and "The field 'title' contains a NUL" in answer.content.decode()
    assert not EvidenceItem.objects.exists()


def test_an_uploaded_file_with_a_nul_reaches_the_csv_reader_which_names_line_and_column(personas, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("texts.csv", b"group,text\nF,fine\nM,the wo\x00rk\n", "text/csv")
    answer = client_for(personas.pia).post("/fairness/language/", {"file": upload, "kind": "feedback"})
    assert answer.status_code == 200 and "NUL" in answer.content.decode()

"""Schemathesis against the real server on the demo: no operation answers 5xx or breaks its own schema.

Runs once, on PostgreSQL (``live`` marker; see scripts/test.sh). Bounded for the suite's time: a few
examples per operation and a few linked sequences, generated deterministically (the same cases every run),
without the coverage phase (about 1,900 more cases, four minutes); run that by hand with the command in
docs/deployment.md.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from urllib.request import urlopen

import pytest

from brightline.people.models import Person, TokenScope
from brightline.people.tokens import create_api_token

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

EXAMPLES_PER_OPERATION = 5
METHODS = {"get", "put", "post", "patch", "delete", "head", "options"}


def test_no_api_operation_answers_a_server_error_or_breaks_its_schema(live_server, demo, monkeypatch, tmp_path):
    # The events webhook answers 503 until a secret is configured: configure one, as a deployment would.
    monkeypatch.setenv("BRIGHTLINE_WEBHOOK_SECRET", "schemathesis-webhook-secret")
    manager = Person.objects.get(user__username="mo")  # a manager: reports, reviews, feedback, signals
    token = create_api_token(manager, name="schemathesis", actor=None, actor_label="test", scope=TokenScope.WRITE)
    schema_url = f"{live_server.url}/api/openapi.json"
    operations = sum(1 for item in _schema_paths(schema_url).values() for method in item if method in METHODS)

    run = subprocess.run(
        [sys.executable, "-m", "schemathesis.cli", "run", schema_url, "--header", f"Authorization: Bearer {token}",
         "--phases", "examples,fuzzing,stateful", "--max-examples", str(EXAMPLES_PER_OPERATION),
         "--generation-deterministic", "--workers", "1",
         "--checks", "not_a_server_error,response_schema_conformance,content_type_conformance",
         "--request-timeout", "60", "--no-color"],
        cwd=tmp_path, capture_output=True, text=True, timeout=900, check=False)

    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    tested = re.search(r"Tested: (\d+)", output)
    assert tested is not None and int(tested.group(1)) == operations, output


def _schema_paths(url: str) -> dict:
    with urlopen(url, timeout=60) as answer:  # the test's own server
        return json.load(answer)["paths"]

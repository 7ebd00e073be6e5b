"""Concurrent writers never fork the audit chain: the head row serialises them (real PostgreSQL transactions)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from brightline.audit.models import AuditEntry
from brightline.audit.services import log_action, verify_chain


@pytest.mark.django_db(transaction=True)
def test_parallel_writers_produce_one_unbroken_chain():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises all writers anyway; this needs real concurrent transactions (PostgreSQL)")
    writers, entries_each = 6, 15
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(number: int) -> None:
        try:
            barrier.wait()
            for index in range(entries_each):
                log_action("test.concurrent.write", None, None, {"writer": number, "index": index},
                           actor_label=f"writer-{number}")
        except BaseException as error:  # collected and re-raised in the main thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(number,)) for number in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert AuditEntry.objects.filter(action="test.concurrent.write").count() == writers * entries_each
    result = verify_chain()
    assert result.ok, result.reason
    assert list(AuditEntry.objects.values_list("seq", flat=True)) == list(range(1, result.entries + 1))

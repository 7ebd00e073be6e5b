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


@pytest.mark.django_db(transaction=True)
def test_parallel_readers_produce_one_unbroken_access_log(personas):
    from django.test import override_settings

    from brightline.audit.models import AccessLog, AuditCheckpoint
    from brightline.audit.services import record_access, verify_access_log

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises all writers anyway; this needs real concurrent transactions (PostgreSQL)")
    readers, reads_each = 6, 10
    barrier = threading.Barrier(readers)
    errors: list[BaseException] = []

    def read(number: int) -> None:
        try:
            barrier.wait()
            for _index in range(reads_each):
                record_access(personas.mo, personas.erin, f"test.read.{number}", via="api")
        except BaseException as error:  # collected and re-raised in the main thread
            errors.append(error)
        finally:
            connections.close_all()

    with override_settings(AUDIT_CHECKPOINT_EVERY=7):
        threads = [threading.Thread(target=read, args=(number,)) for number in range(readers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors, errors
        result = verify_access_log()
    assert result.ok, result.reason
    assert list(AccessLog.objects.order_by("seq").values_list("seq", flat=True)) == list(
        range(1, readers * reads_each + 1))
    assert AuditCheckpoint.objects.filter(chain="access").count() == readers * reads_each // 7

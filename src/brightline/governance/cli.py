"""``brightline import hris-events`` (leavers, transfers, promotions for system-health measures) and
``brightline import surveys`` (anonymous clarity-of-expectations answers for manager quality)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand


def _run_import(options: dict[str, Any], command: BaseCommand, importer: Any, noun: str) -> int:
    from brightline.csvio import run_import
    from brightline.people.cli import cli_actor_label

    return run_import(options, command, importer, noun, actor_label=cli_actor_label())


def _import_hris_events(options: dict[str, Any], command: BaseCommand) -> int:
    from brightline.governance.hris import import_hris_events

    return _run_import(options, command, import_hris_events, "HRIS events")


def _import_surveys(options: dict[str, Any], command: BaseCommand) -> int:
    from brightline.governance.surveys import import_survey_answers

    return _run_import(options, command, import_survey_answers, "survey answers")

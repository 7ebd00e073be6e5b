"""``brightline ingest git|github|gitlab``, ``brightline import events|pto`` and ``brightline metrics dora``.

Commands are thin: parse, call one service, print counts (or the JSON contract with ``--json``).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any, Final

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from brightline.commands import open_progress, write_json
from brightline.core.delivery import DEFAULT_RELEASE_TAG_PATTERN, GitRepositoryError
from brightline.evidence.metrics import (
    MetricsError,
    parse_window,
    service_dora,
    service_dora_by_period,
    team_dora,
    team_dora_by_period,
)
from brightline.evidence.models import Service
from brightline.evidence.services import EvidenceError, ensure_service, register_repository
from brightline.evidence.sources.base import SourceError
from brightline.evidence.sources.events import EventImportError, import_events, parse_event_file
from brightline.evidence.sources.git import BATCH_SIZE, sync_git_repository
from brightline.evidence.sources.github import DEFAULT_API_URL as GITHUB_API
from brightline.evidence.sources.github import sync_github
from brightline.evidence.sources.gitlab import DEFAULT_API_URL as GITLAB_API
from brightline.evidence.sources.gitlab import sync_gitlab
from brightline.people.cli import cli_actor_label
from brightline.people.models import Team

ERR_NO_FILE: Final = "no such file: {path}"
NO_RELEASES: Final = (
    "No tag in {path} matches the release pattern {pattern!r}, so there are no deployments yet: deployment "
    "frequency and lead time need releases. Pass --release-tags REGEX if your release tags look different, "
    "or send deployments with `brightline import events` or the webhook."
)


def _add_ingest_git_arguments(parser: CommandParser) -> None:
    parser.add_argument("path", help="a local clone or bare repository")
    parser.add_argument("--service", required=True, help="the service this repository deploys (created when new)")
    parser.add_argument("--team", help="slug of the owning team (for a new service)")
    parser.add_argument("--branch", default="HEAD", help="the branch whose history is the service's (default HEAD)")
    parser.add_argument("--release-tags", metavar="REGEX",
                        help=f"tags that are production releases (default {DEFAULT_RELEASE_TAG_PATTERN})")
    parser.add_argument("--allow-shallow", action="store_true", help="accept a shallow clone's truncated history")
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE,
                        help=f"commits written per transaction (default {BATCH_SIZE})")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def _ingest_git(options: dict[str, Any], command: BaseCommand) -> int:
    label = cli_actor_label()
    try:
        service = ensure_service(name=options["service"], team_slug=options["team"],
                                 release_tags=options["release_tags"], actor=None, actor_label=label)
        repository = register_repository(service, path=options["path"], branch=options["branch"], actor=None,
                                          actor_label=label)
        with open_progress(None, description=f"ingest {service.name}", enabled=True) as bar:
            def progress(done: int, total: int | None) -> None:
                bar.total = total
                bar.update(done - bar.n)

            result = sync_git_repository(repository, actor_label=label, allow_shallow=options["allow_shallow"],
                                         batch_size=max(1, options["batch_size"]), on_progress=progress)
    except (EvidenceError, SourceError, GitRepositoryError) as error:
        raise CommandError(str(error)) from None
    if result.releases == 0:
        command.stderr.write(NO_RELEASES.format(path=repository.path, pattern=service.release_tag_pattern))
    if options["json"]:
        write_json(command, result.to_json())
    else:
        command.stdout.write(
            f"{service.name}: {result.commits} commits ({result.new_commits} new), +{result.lines_added}/"
            f"-{result.lines_deleted} lines, {result.releases} releases, {result.reverts} reverts "
            f"in {result.seconds:.1f} s.")
    return 0


def _add_platform_arguments(parser: CommandParser, *, platform: str) -> None:
    if platform == "github":
        parser.add_argument("--repo", required=True, help="OWNER/NAME")
    else:
        parser.add_argument("--project", required=True, help="numeric project id or group/project path")
    parser.add_argument("--service", required=True, help="the service the repository belongs to (created when new)")
    parser.add_argument("--team", help="slug of the owning team (for a new service)")
    parser.add_argument("--api-url", help="API root, for GitHub Enterprise or a self-managed GitLab")
    parser.add_argument("--max-wait", type=float, default=60.0,
                        help="longest rate-limit pause to wait out, in seconds (default 60); longer stops resumably")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def _ingest_platform(options: dict[str, Any], command: BaseCommand, *, platform: str) -> int:
    label = cli_actor_label()
    try:
        service = ensure_service(name=options["service"], team_slug=options["team"], release_tags=None, actor=None,
                                 actor_label=label)
        if platform == "github":
            result = sync_github(service, repo=options["repo"], api_url=options["api_url"] or GITHUB_API,
                                 max_wait=options["max_wait"], actor_label=label)
        else:
            result = sync_gitlab(service, project=options["project"], api_url=options["api_url"] or GITLAB_API,
                                 max_wait=options["max_wait"], actor_label=label)
    except (EvidenceError, SourceError, ValueError) as error:
        raise CommandError(str(error)) from None
    if options["json"]:
        write_json(command, result.to_json())
    else:
        command.stdout.write(
            f"{service.name} from {platform}: {result.pull_requests} pull/merge requests, {result.releases} "
            f"releases, {result.deployments} deployments, {result.incidents} incidents ({result.requests} requests).")
        for skipped in result.skipped:
            command.stderr.write(f"Skipped {skipped}.")
    if not result.complete:
        command.stderr.write(result.message)
        return 3
    return 0


def _add_dora_arguments(parser: CommandParser) -> None:
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--service", help="a service name from the catalogue")
    target.add_argument("--team", help="a team slug: all services the team owns")
    parser.add_argument("--since", help="start of the window, ISO date (default: 182 days before --until)")
    parser.add_argument("--until", help="end of the window, ISO date, exclusive (default: end of today, UTC)")
    parser.add_argument("--period", choices=["week", "month", "quarter"], help="one result per UTC calendar period")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def _dora(options: dict[str, Any], command: BaseCommand) -> int:
    try:
        period = options["period"]
        start, end = parse_window(options["since"], options["until"], now=timezone.now(), period=period)
        if options["service"]:
            service = Service.objects.select_related("team").filter(name=options["service"]).first()
            if service is None:
                raise CommandError(f"There is no service called {options['service']!r} in the catalogue.")
            label = f"service {service.name}"
            result: Any = (service_dora_by_period(service, start=start, end=end, period=period) if period
                           else service_dora(service, start=start, end=end))
        else:
            team = Team.objects.filter(slug=options["team"]).first()
            if team is None:
                raise CommandError(f"There is no team with the slug {options['team']!r}.")
            label = f"team {team.slug}"
            result = (team_dora_by_period(team, start=start, end=end, period=period) if period
                      else team_dora(team, start=start, end=end))
    except (MetricsError, ValueError) as error:
        raise CommandError(str(error)) from None
    if options["json"]:
        write_json(command, [metrics.to_period_json() for metrics in result] if period else result.to_json())
        return 0
    rows = result if period else [result]
    command.stdout.write(f"DORA metrics for {label}, {start.date()} to {end.date()} (UTC, end exclusive); "
                         "teams and services, never individuals.")
    for metrics in rows:
        lead, recovery = metrics.lead_time_hours, metrics.failed_deployment_recovery_hours
        prefix = f"{metrics.period_start.date()}  " if period else ""
        command.stdout.write(
            f"{prefix}deployments {metrics.deployments} ({metrics.deployment_frequency_per_week:.2f}/week, "
            f"{metrics.levels.deployment_frequency or 'no level'}); lead time median "
            f"{_hours(lead.median)} (n={lead.n}, {metrics.levels.lead_time or 'no level'}); change fail rate "
            f"{_percent(metrics.change_fail_rate)}; recovery median {_hours(recovery.median)}; "
            f"rework {_percent(metrics.rework_rate)}")
    return 0


def _hours(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} h"


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f} %"


def _add_import_events_arguments(parser: CommandParser) -> None:
    parser.add_argument("file", type=Path,
                        help="JSON (a list of events, or a PagerDuty/Opsgenie export), JSON Lines or CSV")
    parser.add_argument("--dry-run", action="store_true", help="check every record; write nothing")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def _import_events(options: dict[str, Any], command: BaseCommand) -> int:
    path: Path = options["file"]
    if not path.is_file():
        raise CommandError(ERR_NO_FILE.format(path=path))
    bars: dict[str, Any] = {}

    def progress(stage: str, done: int, total: int | None) -> None:
        if stage not in bars:  # one bar per stage: checking every record, then writing
            for bar in bars.values():
                bar.close()
            bars[stage] = open_progress(total, description=stage, enabled=not options["json"])
        bar = bars[stage]
        bar.total = total
        bar.update(done - bar.n)

    try:
        with path.open("rb") as handle:  # read record by record (CSV, JSON array, JSON Lines), a batch at a time
            source, records = parse_event_file(handle)
            result = import_events(records, source=source, actor_label=cli_actor_label(),
                                   dry_run=options["dry_run"], on_progress=progress)
    except EventImportError as error:
        if options["json"]:
            write_json(command, {"errors": [problem.to_json() for problem in error.errors], "problems": error.total})
        else:
            for problem in error.errors:
                where = (f"line {problem.line}" if problem.line else f"record {problem.record}") if problem.record \
                    else "file"
                command.stderr.write(f"{path}: {where}: {problem.reason}")
            listed = "" if error.total == len(error.errors) else f" (the first {len(error.errors)} are listed)"
            command.stderr.write(f"{error.total} problem(s){listed}; nothing was imported.")
        return 1
    finally:
        for bar in bars.values():
            bar.close()
    if options["json"]:
        write_json(command, {**result.to_json(), "dry_run": options["dry_run"]})
    else:
        verb = "Would import" if options["dry_run"] else "Imported"
        command.stdout.write(
            f"{verb} from {source}: {result.deployments} deployments, {result.incidents} incidents, "
            f"{result.pages} pages, {result.support_tickets} support tickets ({result.created} new, "
            f"{result.updated} updated).")
    return 0


def _add_import_pto_arguments(parser: CommandParser) -> None:
    parser.add_argument("file", type=Path, help="CSV file: person,start_date,end_date,kind")
    parser.add_argument("--dry-run", action="store_true", help="validate and report changes; write nothing")
    parser.add_argument("--replace", action="store_true",
                        help="replace every stored time off of the people the file names (a corrected export)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def _import_pto(options: dict[str, Any], command: BaseCommand) -> int:
    # The CSV imports share one runner (file checks, per-line errors, --json).
    from brightline.csvio import run_import
    from brightline.evidence.timeoff import import_time_off
    from brightline.people.cli import cli_actor_label

    return run_import(options, command, partial(import_time_off, replace=options["replace"]), "time-off ranges",
                      actor_label=cli_actor_label())


def _add_github_arguments(parser: CommandParser) -> None:
    _add_platform_arguments(parser, platform="github")


def _ingest_github(options: dict[str, Any], command: BaseCommand) -> int:
    return _ingest_platform(options, command, platform="github")


def _add_gitlab_arguments(parser: CommandParser) -> None:
    _add_platform_arguments(parser, platform="gitlab")


def _ingest_gitlab(options: dict[str, Any], command: BaseCommand) -> int:
    return _ingest_platform(options, command, platform="gitlab")

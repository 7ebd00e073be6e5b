"""``brightline narrative check``, ``brightline narrative draft`` and ``brightline nlp classify``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from brightline import csvio
from brightline.commands import open_progress, write_json
from brightline.core.csvsafe import CsvCellError, read_records
from brightline.core.narrative import FLAG_IDS, NARRATIVE_KINDS, NarrativeReport, check_text

ERR_NO_FILE = "no such file: {path}"
ERR_TEXT_OR_INPUT = "give either --text TEXT, or --input CSV with --text-column and --output"
ERR_MISSING_COLUMN = "{path} has no column {column!r}; its columns are: {columns}"
ERR_OUTPUT_CLASH = "{path} already has a column named {column!r}, which the output would overwrite"
ERR_EMPTY_FILE = "{path} is empty: expected a header row naming the text column"
ERR_NOT_UTF8 = "{path} is not valid UTF-8; re-save it as UTF-8 and try again"
ERR_NO_PERSON = "no active person with the email {email!r}"

FLAGS_COLUMN = "flags"
REASONS_COLUMN = "flag_reasons"


def flag_rows(report: NarrativeReport) -> list[dict[str, Any]]:
    """Each flag with the sentence it sits in, the words behind it, its reason and a suggestion."""
    rows = []
    for sentence in report.sentences:
        rows.extend({"flag_id": flag.flag_id, "sentence": sentence.text, "words": [s.text for s in flag.spans],
                     "reason": flag.reason, "suggestion": flag.suggestion} for flag in sentence.flags)
    rows.extend({"flag_id": flag.flag_id, "sentence": None, "words": [s.text for s in flag.spans],
                 "reason": flag.reason, "suggestion": flag.suggestion} for flag in report.text_flags)
    return rows


def _add_check_arguments(parser: CommandParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--text", help="one text to check")
    source.add_argument("--input", type=Path, help="a UTF-8 CSV file with one text per row")
    parser.add_argument("--text-column", help="the CSV column holding the text (with --input)")
    parser.add_argument("--output", type=Path, help="where to write the CSV: input columns plus "
                        f"'{FLAGS_COLUMN}' and '{REASONS_COLUMN}' (with --input)")
    parser.add_argument("--kind", choices=NARRATIVE_KINDS, default="feedback",
                        help="what the text is; decides which checks apply (default: feedback)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def _print_report(command: BaseCommand, text: str, report: NarrativeReport) -> None:
    rows = flag_rows(report)
    command.stdout.write(f"{len(rows)} flag{'s' if len(rows) != 1 else ''}: {text}")
    for row in rows:
        words = ", ".join(f"“{word}”" for word in row["words"])
        command.stdout.write(f"  {row['flag_id']}: {words}")
        command.stdout.write(f"    why: {row['reason']}")
        command.stdout.write(f"    try: {row['suggestion']}")


def _check(options: dict[str, Any], command: BaseCommand) -> int:
    kind = options["kind"]
    if options["text"] is not None:
        report = check_text(options["text"], kind=kind)
        if options["json"]:
            write_json(command, {"kind": kind, "texts": [
                {"text": options["text"], "flags": flag_rows(report), "flag_counts": report.summary}]})
        else:
            _print_report(command, options["text"], report)
        return 0
    if not options["text_column"] or not options["output"]:
        command.stderr.write(ERR_TEXT_OR_INPUT)
        return 2
    return _check_csv(options["input"], options["output"], options["text_column"], kind, options["json"], command)


def _check_csv(source: Path, output: Path, column: str, kind: str, as_json: bool, command: BaseCommand) -> int:
    if not source.is_file():
        command.stderr.write(ERR_NO_FILE.format(path=source))
        return 1
    counts = dict.fromkeys(FLAG_IDS, 0)
    rows = flagged = 0
    try:
        with source.open(encoding="utf-8-sig", newline="") as handle, \
                output.open("w", encoding="utf-8", newline="") as out:
            reader = (fields for _line, fields in read_records(handle))
            header = next(reader, None)
            if not header or not any(cell.strip() for cell in header):
                command.stderr.write(ERR_EMPTY_FILE.format(path=source))
                return 1
            if column not in header:
                command.stderr.write(ERR_MISSING_COLUMN.format(path=source, column=column, columns=", ".join(header)))
                return 1
            for clash in (FLAGS_COLUMN, REASONS_COLUMN):
                if clash in header:
                    command.stderr.write(ERR_OUTPUT_CLASH.format(path=source, column=clash))
                    return 1
            index = header.index(column)
            writer = csvio.writer(out)
            writer.writerow([*header, FLAGS_COLUMN, REASONS_COLUMN])
            with open_progress(None, description=f"checking {source.name}", enabled=True) as bar:
                for row in reader:
                    report = check_text(row[index] if index < len(row) else "", kind=kind)  # type: ignore[arg-type]
                    found = flag_rows(report)
                    for item in found:
                        counts[item["flag_id"]] += 1
                    rows += 1
                    flagged += bool(found)
                    ids = list(dict.fromkeys(item["flag_id"] for item in found))
                    reasons = " | ".join(f"{item['flag_id']}: {item['reason']}" for item in found)
                    writer.writerow([*row, ";".join(ids), reasons])
                    bar.update(1)
    except UnicodeDecodeError:
        command.stderr.write(ERR_NOT_UTF8.format(path=source))
        return 1
    except CsvCellError as error:
        command.stderr.write(f"{source}: {error}")
        return 1
    if as_json:
        write_json(command, {"kind": kind, "rows": rows, "flagged_rows": flagged, "flag_counts": counts,
                             "output": str(output)})
    else:
        listed = ", ".join(f"{name} {count}" for name, count in counts.items() if count) or "none"
        command.stdout.write(f"Checked {rows} texts: {flagged} flagged ({listed}). Wrote {output}.")
    return 0


def _add_draft_arguments(parser: CommandParser) -> None:
    parser.add_argument("--email", help="draft for this person only (default: everyone with evidence)")
    parser.add_argument("--window-days", type=int, default=14, help="days of evidence up to today (default 14)")
    parser.add_argument("--json", action="store_true", help="print the job's result as JSON")


def _draft(options: dict[str, Any], command: BaseCommand) -> int:
    from brightline.jobs.services import enqueue
    from brightline.people.models import Person

    arguments: dict[str, Any] = {"window_days": options["window_days"]}
    if options["email"]:
        person = Person.objects.filter(email=options["email"].strip().lower(), is_active=True).first()
        if person is None:
            command.stderr.write(ERR_NO_PERSON.format(email=options["email"]))
            return 1
        arguments["person_id"] = person.pk
    run = enqueue("feedback.draft_impact_statements", **arguments)
    payload = {"job": run.pk, "status": run.status, "result": run.result}
    if options["json"]:
        write_json(command, payload)
    elif run.result is not None:
        command.stdout.write(f"Drafted impact statements for {run.result['drafts']} people "
                             f"({run.result['skipped']} without evidence in the window).")
    else:
        command.stdout.write(f"Queued job {run.pk}.")
    return 0


def _add_classify_arguments(parser: CommandParser) -> None:
    parser.add_argument("--task", choices=("sentiment", "tone"), required=True)
    parser.add_argument("--input", type=Path, required=True, help="a UTF-8 CSV file")
    parser.add_argument("--text-column", required=True, help="the column holding the text")
    parser.add_argument("--output", type=Path, required=True,
                        help="the CSV to write: every input row, in order, plus 'label' and 'confidence'")
    parser.add_argument("--json", action="store_true", help="print a JSON summary")


def _classify(options: dict[str, Any], command: BaseCommand) -> int:
    from brightline.core.nlp import CsvClassificationError, classify_csv

    source: Path = options["input"]
    if not source.is_file():
        command.stderr.write(ERR_NO_FILE.format(path=source))
        return 1
    try:
        summary = classify_csv(source, options["output"], task=options["task"], text_column=options["text_column"],
                               progress=sys.stderr.isatty())
    except CsvClassificationError as error:
        command.stderr.write(str(error))
        return 1
    if options["json"]:
        write_json(command, {"task": options["task"], "rows": summary.rows, "label_counts": summary.label_counts,
                             "output": str(options["output"])})
    else:
        counts = ", ".join(f"{label} {count}" for label, count in sorted(summary.label_counts.items()))
        command.stdout.write(f"Classified {summary.rows} rows ({counts or 'none'}). Wrote {options['output']}.")
    return 0

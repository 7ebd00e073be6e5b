"""Fairness pages: audits and compliance reports for people partners. Each view asks
``brightline.access``, parses its input, calls one service and renders. The leadership view, system
health and manager quality are the governance app's pages."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from brightline import access
from brightline.core.fairness import MISSING_COLUMN, FairnessInputError, format_values
from brightline.fairness import compliance, decisions, narratives, pdf
from brightline.fairness.audits import (
    CutAudit,
    audit_as_csv,
    narratives_from_csv,
    read_uploaded_csv,
    run_custom_audit,
    run_language_audit,
    run_outcome_audits,
)
from brightline.fairness.demographics import DemographicsError, attribute_label, has_demographics, known_attributes
from brightline.people.models import Person, Team, WorkloadClass, WorkModality
from brightline.policy.services import min_cohort_size
from brightline.reviews.services.calibration import calibration_moves
from brightline.security import megabytes

DENIED_AUDITS = "Fairness audits and compliance reports are for people partners."
ERR_NO_CYCLE = "Choose a review cycle that has reached the decision memo, or upload a decision table."
ERR_UPLOAD_TOO_LARGE = ("This file is {size} MB; CSV uploads are limited to {limit} MB. Split it into smaller "
                        "files, or ask your administrator to raise the limit.")


_viewer = access.request_person  # the signed-in person (request.person), or 403


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def uploaded_csv(request: HttpRequest) -> bytes | None:
    """The uploaded CSV, refused (``FairnessInputError``) above ``MAX_CSV_UPLOAD_MB`` before it is read."""
    upload = request.FILES.get("file")
    if upload is None:
        return None
    limit: int = settings.BRIGHTLINE_MAX_CSV_UPLOAD_BYTES
    if upload.size is not None and upload.size > limit:
        raise FairnessInputError(ERR_UPLOAD_TOO_LARGE.format(size=megabytes(upload.size), limit=megabytes(limit)))
    return upload.read()


def _download(content: bytes | str, *, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    _require(access.can_run_fairness_audits(viewer), DENIED_AUDITS)
    return render(request, "fairness/index.html", {"can_audit": True})


# ------------------------------------------------------------------------------------ outcome audits


def _overview(results: list[CutAudit], table: decisions.DecisionTable) -> list[dict[str, Any]]:
    """Rows of cuts × columns of measures, for the summary matrix."""
    by_key = {(result.cut.key, result.measure.key): result for result in results}
    measures = [measure for measure in table.measures if not measure.detail]
    return [{"cut": cut, "cells": [by_key.get((cut.key, measure.key)) for measure in measures]} for cut in table.cuts]


def cut_labels() -> dict[str, dict[str, str]]:
    """The human label of each stored group key, per cut: teams by name, not slug (one query)."""
    return {"team": dict(Team.objects.values_list("slug", "name")),
            "workload_class": {str(key): str(label) for key, label in WorkloadClass.choices},
            "work_modality": {str(key): str(label) for key, label in WorkModality.choices}}


@require_http_methods(["GET", "POST"])
def outcomes(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    _require(access.can_run_fairness_audits(viewer), DENIED_AUDITS)
    min_cohort = min_cohort_size()
    context: dict[str, Any] = {"cycles": decisions.auditable_cycles(), "min_cohort": min_cohort,
                               "protected": [(a, attribute_label(a)) for a in known_attributes()], "posted": {},
                               "cut_labels": cut_labels()}
    table = None
    try:
        if request.method == "POST":
            raw = uploaded_csv(request)
            if raw is None:
                raise FairnessInputError("Choose a CSV file to audit.")
            context["posted"] = request.POST
            header, rows = read_uploaded_csv(raw)
            include_protected = request.POST.get("protected") == "on"
            if decisions.is_cycle_export(header) and not request.POST.get("outcome_column"):
                table = decisions.table_from_export(rows, source="an uploaded decision table",
                                                    as_of=timezone.now().date(), viewer=viewer,
                                                    include_protected=include_protected)
            else:
                context["custom"] = _custom_audit(request, viewer, header, rows, min_cohort)
        elif request.GET.get("cycle"):
            cycle = next((c for c in context["cycles"] if str(c.pk) == request.GET["cycle"]), None)
            if cycle is None:
                raise FairnessInputError(ERR_NO_CYCLE)
            table = decisions.table_from_cycle(cycle, viewer=viewer, include_protected=has_demographics())
            context["cycle"] = cycle
            moves = context["moves"] = calibration_moves(cycle)
            context["moves_raised"] = sum(1 for move in moves if move.direction == "raised")
            context["moves_lowered"] = sum(1 for move in moves if move.direction == "lowered")
    except (FairnessInputError, DemographicsError) as error:
        context["error"] = str(error)
    if table is not None:
        results = run_outcome_audits(table, actor=viewer, min_cohort=min_cohort)
        if context.get("cycle") and request.GET.get("format") == "csv":
            return _download(audit_as_csv(results), filename=f"outcome-audit-cycle-{context['cycle'].pk}.csv",
                             content_type="text/csv")
        context.update({"table": table, "results": results, "overview": _overview(results, table),
                        "measures": [m for m in table.measures if not m.detail],
                        "flags": [r for r in results if r.four_fifths_flag]})
    return render(request, "fairness/outcomes.html", context)


def _custom_audit(request: HttpRequest, viewer: Person, header: list[str], rows: list[dict[str, str]],
                  min_cohort: int) -> Any:
    post = request.POST
    group_columns = [column.strip() for column in post.get("group_columns", "").split(",") if column.strip()]
    favourable = [value.strip() for value in post.get("favourable", "").split(",") if value.strip()]
    protected = [column for column in group_columns if column in known_attributes() and column not in header]
    for column in [post.get("outcome_column", "").strip(), *group_columns]:
        if column not in header and column not in protected:
            raise FairnessInputError(MISSING_COLUMN.format(column=column, source="the uploaded file",
                                                           available=format_values(header)))
    if protected:
        if "employee_id" not in header:
            raise FairnessInputError("To compare by a protected attribute the file needs an employee_id column.")
        decisions.join_protected(rows, viewer=viewer, purpose="outcome audit of an uploaded table",
                                 attributes=protected)
    return run_custom_audit(rows, outcome_column=post.get("outcome_column", "").strip(), favourable=favourable,
                            group_columns=group_columns, min_cohort=min_cohort, actor=viewer,
                            source="an uploaded table", protected_attributes=protected)


# ----------------------------------------------------------------------------------- language audits


@require_http_methods(["GET", "POST"])
def language(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    _require(access.can_run_fairness_audits(viewer), DENIED_AUDITS)
    min_cohort = min_cohort_size()
    groupings = [(key, label) for key, label in narratives.STANDARD_GROUPINGS.items()]
    groupings += [(attribute, attribute_label(attribute)) for attribute in known_attributes()]
    context: dict[str, Any] = {"groupings": groupings,
                               "min_cohort": min_cohort, "posted": request.POST or request.GET}
    try:
        if request.method == "POST":
            raw = uploaded_csv(request)
            if raw is None:
                raise FairnessInputError("Choose a CSV file with the columns text and group.")
            kind = "manager_narrative" if request.POST.get("kind") == "manager_narrative" else "feedback"
            texts = narratives_from_csv(raw, kind=kind)
            context["audit"] = run_language_audit(texts, min_cohort=min_cohort, actor=viewer,
                                                  source="an uploaded CSV", grouping="group column")
            context["source_label"] = "the uploaded texts"
        elif request.GET.get("source") in ("manager", "peer") and request.GET.get("grouping") in dict(groupings):
            source, grouping = request.GET["source"], request.GET["grouping"]
            texts = narratives.narratives_for(source, grouping, viewer=viewer)
            if texts:
                context["audit"] = run_language_audit(
                    texts, min_cohort=min_cohort, actor=viewer, source=f"{source} narratives", grouping=grouping,
                    protected_attributes=[grouping] if grouping in known_attributes() else [])
            else:
                context["error"] = "There are no narratives of this kind yet."
            context["source_label"] = f"{'manager narratives' if source == 'manager' else 'peer feedback'} " \
                                      f"by {dict(groupings)[grouping].lower()}"
    except (FairnessInputError, DemographicsError) as error:
        context["error"] = str(error)
    return render(request, "fairness/language.html", context)


# ------------------------------------------------------------------------------- compliance reports


@require_http_methods(["GET", "POST"])
def ll144(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    _require(access.can_run_fairness_audits(viewer), DENIED_AUDITS)
    min_cohort = min_cohort_size()
    cycles = decisions.auditable_cycles()
    context: dict[str, Any] = {"cycles": cycles, "min_cohort": min_cohort,
                               "sources": compliance.LEGAL_SOURCES_LL144}
    output = request.POST.get("format") or request.GET.get("format") or "html"
    try:
        table = None
        if request.method == "POST":
            raw = uploaded_csv(request)
            if raw is None:
                raise FairnessInputError("Choose a decision table exported with 'brightline cycle export'.")
            _, rows = read_uploaded_csv(raw)
            table = decisions.table_from_export(rows, source="an uploaded decision table",
                                                as_of=timezone.now().date(), viewer=viewer, include_protected=True)
        elif request.GET.get("cycle"):
            cycle = next((c for c in cycles if str(c.pk) == request.GET["cycle"]), None)
            if cycle is None:
                raise FairnessInputError(ERR_NO_CYCLE)
            context["cycle"] = cycle
            table = decisions.table_from_cycle(cycle, viewer=viewer, include_protected=True)
        if table is not None:
            report = compliance.build_ll144_report(table, min_cohort=min_cohort)
            from brightline.audit.services import log_action

            log_action("fairness.ll144_report.generated", viewer, None,
                       {"source": report.source, "format": output, "assessed": report.assessed})
            if output == "csv":
                return _download(compliance.ll144_csv(report), filename="bias-audit-promotion.csv",
                                 content_type="text/csv")
            if output == "pdf":
                return _download(pdf.ll144_pdf(report), filename="bias-audit-promotion.pdf",
                                 content_type="application/pdf")
            context["report"] = report
    except (FairnessInputError, DemographicsError) as error:
        context["error"] = str(error)
    return render(request, "fairness/ll144.html", context)


@require_GET
def ai_system_record(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    _require(access.can_run_fairness_audits(viewer), DENIED_AUDITS)
    record = compliance.build_ai_system_record()
    if request.GET.get("format") == "pdf":
        return _download(pdf.ai_system_record_pdf(record), filename="ai-system-record.pdf",
                         content_type="application/pdf")
    return render(request, "fairness/ai_system.html", {"record": record})

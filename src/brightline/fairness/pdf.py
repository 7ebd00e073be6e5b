"""PDF versions of the compliance reports (reportlab), for handing to counsel.

The PDFs carry only what the pages show: published numbers, withheld categories by name, and
text generated from the configuration. ``invariant`` output keeps the bytes stable for a given
content, which makes the files easy to compare and to test.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import ListFlowable, ListItem, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from brightline.fairness.compliance import LEGAL_SOURCES_LL144, AiSystemRecord, LL144Report
from brightline.fairness.templatetags.fairness_labels import percent_text

_STYLES = getSampleStyleSheet()
_CELL = ParagraphStyle("cell", parent=_STYLES["BodyText"], fontSize=8, leading=10)


def _text(value: object) -> str:
    # Paragraph reads a small XML dialect: escape the three characters it would take as markup.
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _table(rows: Sequence[Sequence[object]], widths: Sequence[float] | None = None) -> Table:
    data = [[Paragraph(_text(cell), _CELL) for cell in row] for row in rows]
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#d5dde5")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef3f7")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return table


def _render(story: list[Flowable], title: str) -> bytes:
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, title=title, author="Brightline", invariant=1,
                                 leftMargin=18 * mm, rightMargin=18 * mm, topMargin=18 * mm, bottomMargin=18 * mm)
    document.build(story)
    return buffer.getvalue()


def _bullets(items: Sequence[str]) -> ListFlowable:
    return ListFlowable([ListItem(Paragraph(_text(item), _STYLES["BodyText"])) for item in items],
                        bulletType="bullet", leftIndent=10)


def ll144_pdf(report: LL144Report) -> bytes:
    story: list[Flowable] = [
        Paragraph("Bias audit of promotion decisions", _STYLES["Title"]),
        Paragraph(_text(f"Source: {report.source}. Generated {report.generated_at:%Y-%m-%d %H:%M} UTC. "
                        f"Selection: {report.selection_label}. People assessed: {report.assessed}; "
                        f"selected: {report.selected}."), _STYLES["BodyText"]),
        Paragraph(_text("Shaped after: " + "; ".join(LEGAL_SOURCES_LL144) + "."), _STYLES["BodyText"]),
        Spacer(1, 4 * mm),
    ]
    for table in report.tables:
        story.append(Paragraph(_text(table.title), _STYLES["Heading2"]))
        rows: list[list[object]] = [["Category", "Assessed", "Selected", "Selection rate", "Impact ratio"]]
        rows += [[row.category, row.n, row.selected, percent_text(row.selection_rate),
                  "–" if row.impact_ratio is None else f"{row.impact_ratio:.3f}"] for row in table.rows]
        rows += [[label, "withheld", "", "", ""] for label in table.withheld]
        unknown = f"fewer than {report.min_cohort}" if table.unknown_count is None else table.unknown_count
        rows.append(["Unknown (not disclosed)", unknown, "", "", "not rated"])
        story.append(_table(rows))
        story.extend(Paragraph(_text(note), _STYLES["Italic"]) for note in table.notes)
    story.append(Paragraph("How to read this report", _STYLES["Heading2"]))
    story.append(_bullets(report.notes))
    return _render(story, "Bias audit of promotion decisions")


def ai_system_record_pdf(record: AiSystemRecord) -> bytes:
    story: list[Flowable] = [
        Paragraph("AI-system record", _STYLES["Title"]),
        Paragraph(_text(f"Generated {record.generated_at:%Y-%m-%d %H:%M} UTC from this installation's live "
                        "configuration."), _STYLES["BodyText"]),
    ]
    for section in record.sections:
        story.append(Paragraph(_text(section.title), _STYLES["Heading2"]))
        story.append(Paragraph(_text(section.intro), _STYLES["BodyText"]))
        if section.items:
            story.append(_bullets(section.items))
        if section.table:
            story.append(Spacer(1, 2 * mm))
            story.append(_table(section.table))
    return _render(story, "AI-system record")

"""Language audits: narrative-check flags compared across groups, with the same suppression rules."""

from __future__ import annotations

import pytest

from tests.conftest import audit_actions

pytestmark = pytest.mark.django_db

VAGUE = "She is a great team player and very nice to work with."
SPECIFIC = "He cut the p95 latency of checkout from 900 ms to 250 ms, so 12,000 customers paid faster."


def test_the_page_cites_the_research_that_is_the_reason_for_the_audit(personas, client_for):
    page = client_for(personas.pia).get("/fairness/language/").content.decode()
    assert "Correll &amp; Simard" in page and "Harvard Business Review, 2016" in page and "Textio" in page


def test_an_uploaded_csv_is_audited_by_group_with_small_groups_withheld(personas, client_for, tmp_path):
    rows = ["text,group"] + [f'"{VAGUE}",women'] * 8 + [f'"{SPECIFIC}",women'] * 2 + [f'"{SPECIFIC}",men'] * 9 + \
        [f'"{VAGUE}",men'] + [f'"{VAGUE}",other'] * 2 + [f'"{SPECIFIC}",nonbinary'] * 6
    path = tmp_path / "texts.csv"
    path.write_text("\n".join(rows) + "\n")
    with path.open("rb") as handle:
        response = client_for(personas.pia).post("/fairness/language/", {"file": handle, "kind": "feedback"})
    audit = response.context["audit"]
    from brightline.core.narrative import check_text

    vague_flags = check_text(VAGUE, kind="feedback").flag_ids
    assert "personality" in vague_flags or "vague" in vague_flags
    flag = next(f for f in audit.flags if f.flag in vague_flags)
    rates = {group.group: (group.n, group.flagged) for group in flag.groups}
    assert rates == {"women": (10, 8), "men": (10, 1)}
    # "other" (2) is below the minimum; the next-smallest group is withheld with it against subtraction.
    assert set(audit.suppressed) == {"other", "nonbinary"}
    page = response.content.decode()
    assert VAGUE not in page  # counts only, never the texts
    assert "fairness.language_audit.run" in audit_actions()
    # Flags and tests by their names in words, never the keys they are stored under.
    assert "About personality, not behaviour" in page or "Vague" in page
    assert "output_without_outcome" not in page and "fisherexact" not in page and "chisquare" not in page
    # Rates as percentages beside their counts, the gap in percentage points.
    assert '<td>10</td><td>8</td><td class="num">80.0 %</td>' in page
    # 1 of 10 is a small cell: "fewer than 3", with no rate, and no gap that would give it back.
    assert '<td>10</td><td>fewer than 3</td>' in page and "10.0 %" not in page
    assert "Gap: 70.0 percentage points" not in page and "0.800" not in page


@pytest.mark.usefixtures("demographics_allowed")
def test_manager_narratives_in_brightline_are_audited_by_a_protected_attribute(personas, client_for, organisation,
                                                                             ladder):
    from brightline.audit.models import AuditEntry
    from brightline.fairness.demographics import import_demographics
    from brightline.feedback.models import ManagerCommentary
    from tests.fairness_helpers import Member, make_people

    members = [Member(f"W{i}", "alpha", sex="F") for i in range(6)] + [Member(f"M{i}", "alpha", sex="M")
                                                                        for i in range(6)]
    people = make_people(organisation, ladder, personas.mo, members)
    for person, member in zip(people, members, strict=True):
        ManagerCommentary.objects.create(person=person, author=personas.mo, period="2026-H1",
                                         owned=VAGUE if member.sex == "F" else SPECIFIC)
    import_demographics(("employee_id,sex_or_gender\n" + "\n".join(
        f"{p.employee_id},{m.sex}" for p, m in zip(people, members, strict=True))).encode(), actor=personas.pia)
    response = client_for(personas.pia).get("/fairness/language/", {"source": "manager",
                                                                     "grouping": "sex_or_gender"})
    audit = response.context["audit"]
    vague = next(flag for flag in audit.flags if flag.flag == "vague")
    assert {group.group: (group.n, group.flagged) for group in vague.groups} == {"F": (6, 6), "M": (6, 0)}
    read = AuditEntry.objects.filter(action="fairness.demographics.read").last()
    assert read.data["attributes"] == ["sex_or_gender"] and "language audit" in read.data["purpose"]
